from django.urls import path, register_converter

from crisisgov.kernel.http import IdConverter
from crisisgov.opinion.rumors import views

register_converter(IdConverter, "rumorid")

app_name = "opinion_rumors"

urlpatterns: list = [
    path("", views.queue, name="queue"),
    path("<rumorid:rumor_id>/", views.rumor, name="rumor"),
    path("facts", views.facts, name="facts"),
    path("facts/atom/en/", views.feed("en"), name="atom-en"),
    path("facts/atom/zh-hans/", views.feed("zh-hans"), name="atom-zh-hans"),
]
