from django.apps import AppConfig


class OpinionConfig(AppConfig):
    name = "crisisgov.opinion"
    label = "opinion"
    verbose_name = "Public opinion"
