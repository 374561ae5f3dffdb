from django.apps import AppConfig


class CitizenReservationsConfig(AppConfig):
    name = "crisisgov.citizen.reservations"
    label = "citizen_reservations"
    verbose_name = "Scarce-supply reservations"
