from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "crisisgov.dashboard"
    label = "dashboard"
