from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "crisisgov.exchange"
    label = "exchange"
    verbose_name = "Data exchange"
