from django.apps import AppConfig


class CitizenApprovalsConfig(AppConfig):
    name = "crisisgov.citizen.approvals"
    label = "citizen_approvals"
    verbose_name = "Online approvals"
