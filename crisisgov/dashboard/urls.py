from django.urls import path

from crisisgov.dashboard import views

urlpatterns = [path("", views.home, name="home")]
