from django.urls import path, register_converter

from crisisgov.citizen.bulletins import manage_views, views
from crisisgov.kernel.http import IdConverter

register_converter(IdConverter, "bid")

app_name = "citizen_bulletins"

urlpatterns: list = [
    path("", views.home, name="home"),
    path("<bid:bulletin_id>/", views.detail, name="detail"),
    path("desk/", manage_views.desk, name="desk"),
    path("desk/<bid:bulletin_id>/", manage_views.edit, name="edit"),
    path("feed/rss/en/", views.feed("rss", "en"), name="rss-en"),
    path("feed/rss/zh-hans/", views.feed("rss", "zh-hans"), name="rss-zh-hans"),
    path("feed/atom/en/", views.feed("atom", "en"), name="atom-en"),
    path("feed/atom/zh-hans/", views.feed("atom", "zh-hans"), name="atom-zh-hans"),
]
