from django.urls import path, register_converter

from crisisgov.citizen.queries import views
from crisisgov.kernel.http import IdConverter

register_converter(IdConverter, "qid")

app_name = "citizen_queries"

urlpatterns: list = [
    path("", views.home, name="home"),
    path("self-check/", views.self_check, name="self-check"),
    path("testing-sites/", views.testing_sites, name="testing-sites"),
    path("testing-sites/<qid:organisation_id>/edit/", views.site_edit, name="site-edit"),
    path("staff/", views.staff, name="staff"),
]
