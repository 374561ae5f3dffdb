from django.apps import AppConfig


class CitizenBulletinsConfig(AppConfig):
    name = "crisisgov.citizen.bulletins"
    label = "citizen_bulletins"
    verbose_name = "Bulletins"
