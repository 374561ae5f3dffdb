from django.apps import AppConfig


class GeoConfig(AppConfig):
    name = "crisisgov.geo"
    label = "geo"
    verbose_name = "Areas and grids"
