from django.contrib.auth import views as auth_views
from django.urls import path, register_converter

from crisisgov.dashboard import people_views, views
from crisisgov.dashboard.converters import AreaIdConverter

register_converter(AreaIdConverter, "area_id")
register_converter(AreaIdConverter, "record_id")

urlpatterns = [
    path("", views.home, name="home"),
    path("map.json", views.home_map, name="home-map"),
    path("areas/<area_id:area_id>/", views.area_detail, name="area"),
    path("areas/<area_id:area_id>/map.json", views.area_map, name="area-map"),
    path("areas/<area_id:area_id>/people/", people_views.area_people, name="area-people"),
    path("people/<record_id:person_id>/", people_views.person_detail, name="person"),
    path("me/", people_views.my_record, name="me"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="registration/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    # Django's LogoutView answers POST only: the header holds a small logout form.
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
