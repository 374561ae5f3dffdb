from django.apps import AppConfig


class OpinionTicketsConfig(AppConfig):
    name = "crisisgov.opinion.tickets"
    label = "opinion_tickets"
    verbose_name = "Tickets and the response clock"
