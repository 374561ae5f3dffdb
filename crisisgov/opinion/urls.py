from django.urls import path, register_converter

from crisisgov.kernel.http import IdConverter
from crisisgov.opinion import views

register_converter(IdConverter, "oid")

app_name = "opinion"

urlpatterns: list = [
    path("", views.board, name="board"),
    path("say/", views.say, name="say"),
    path("map.json", views.board_map, name="map"),
    path("alarms/", views.alarm_inbox, name="alarms"),
    path("alarms/<oid:alarm_id>/", views.alarm_detail, name="alarm"),
    path("import/", views.import_page, name="import"),
    path("topics/", views.topics_page, name="topics"),
]
