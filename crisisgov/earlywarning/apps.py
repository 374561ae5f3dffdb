from django.apps import AppConfig


class EarlyWarningConfig(AppConfig):
    name = "crisisgov.earlywarning"
    label = "earlywarning"
    verbose_name = "Early warning"
