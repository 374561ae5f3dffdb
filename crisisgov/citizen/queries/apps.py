from django.apps import AppConfig


class CitizenQueriesConfig(AppConfig):
    name = "crisisgov.citizen.queries"
    label = "citizen_queries"
    verbose_name = "Citizen queries"
