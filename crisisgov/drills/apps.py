from django.apps import AppConfig


class DrillsConfig(AppConfig):
    name = "crisisgov.drills"
    label = "drills"
