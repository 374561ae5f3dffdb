from django.apps import AppConfig


class OpinionRumorsConfig(AppConfig):
    name = "crisisgov.opinion.rumors"
    label = "opinion_rumors"
    verbose_name = "Rumors and clarifications"
