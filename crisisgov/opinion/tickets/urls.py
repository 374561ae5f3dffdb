from django.urls import path, register_converter

from crisisgov.kernel.http import IdConverter
from crisisgov.opinion.tickets import views

register_converter(IdConverter, "tid")

app_name = "opinion_tickets"

urlpatterns: list = [
    path("", views.home, name="home"),
    path("calls/", views.calls, name="calls"),
    path("inbox/", views.inbox, name="inbox"),
    path("stats/", views.stats, name="stats"),
    path("catalogue/", views.catalogue_page, name="catalogue"),
    path("rate/<str:token>/", views.rate, name="rate"),
    path("<tid:ticket_id>/", views.detail, name="detail"),
]
