from django.apps import AppConfig


class CitizenConfig(AppConfig):
    name = "crisisgov.citizen"
    label = "citizen"
    verbose_name = "Citizen services"
