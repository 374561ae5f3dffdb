"""Template helpers for the page header."""

from __future__ import annotations

from django import template
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from crisisgov.citizen.facade import CitizenPermission
from crisisgov.directory import facade as directory
from crisisgov.earlywarning.facade import EarlyWarningPermission
from crisisgov.exchange.facade import ExchangePermission
from crisisgov.opinion.facade import OpinionPermission

register = template.Library()


@register.simple_tag
def actor_roles(request: HttpRequest) -> str:
    """The acting user's roles in the active language, e.g. "网格员"."""
    actor = getattr(request, "actor", None)
    if actor is None:
        return ""
    labels: list[str] = []
    for scope in actor.scopes:
        label = directory.role_label(scope.role)
        if label not in labels:
            labels.append(label)
    # Translators: separates role names in the header; Chinese uses the enumeration comma.
    return gettext(", ").join(labels)


# The top bar's links: each shown only to those whose roles open the page behind it.
_NAV = (
    ("exchange:catalogue", _("Data catalogue"), tuple(ExchangePermission)),
    ("exchange:forms", _("Entry forms"), (ExchangePermission.SUBMIT_RECORDS,)),
    ("earlywarning:signals", _("Signals"), (EarlyWarningPermission.VIEW_SIGNALS,)),
    ("earlywarning:alerts", _("Alerts"), (EarlyWarningPermission.VIEW_SIGNALS,)),
    ("earlywarning:risk", _("Risk levels"), (EarlyWarningPermission.VIEW_SIGNALS,)),
    ("earlywarning:sensors", _("Sensors"), (EarlyWarningPermission.VIEW_SIGNALS,)),
    ("citizen:home", _("Citizen services"), (CitizenPermission.USE_SERVICES,)),
    (
        "citizen_queries:staff",
        _("Exposures and testing sites"),
        (CitizenPermission.PUBLISH_EXPOSURES, CitizenPermission.RUN_SERVICE_POINT),
    ),
    ("citizen:override-inbox", _("Status overrides"), (CitizenPermission.OVERRIDE_STATUS,)),
    ("citizen:appeal-inbox", _("Status appeals"), (CitizenPermission.REVIEW_APPEALS,)),
    ("citizen_bulletins:desk", _("Bulletin desk"), (CitizenPermission.PUBLISH_BULLETINS,)),
    (
        "citizen:delegation-inbox",
        _("Acting-for requests"),
        (directory.DirectoryPermission.EDIT_PERSON,),
    ),
    ("citizen_approvals:inbox", _("Approval inbox"), (CitizenPermission.DECIDE_APPROVALS,)),
    ("citizen_approvals:services", _("Define services"), (CitizenPermission.MANAGE_SERVICES,)),
    ("citizen_reservations:staff", _("Pharmacy stock"), (CitizenPermission.RUN_SERVICE_POINT,)),
    ("citizen_reservations:manage", _("Rationing"), (CitizenPermission.MANAGE_RATIONING,)),
    ("opinion:board", _("Public opinion"), (OpinionPermission.VIEW_BOARD,)),
    ("opinion_rumors:queue", _("Rumors"), (OpinionPermission.CHECK_FACTS,)),
    ("opinion_tickets:calls", _("Hotline calls"), (OpinionPermission.TAKE_CALLS,)),
    ("opinion_tickets:inbox", _("Ticket inbox"), (OpinionPermission.HANDLE_TICKETS,)),
    ("opinion:import", _("Import posts"), (OpinionPermission.IMPORT_MESSAGES,)),
    ("opinion_tickets:catalogue", _("Dispatch catalogue"), (OpinionPermission.MANAGE_CATALOGUE,)),
)


@register.simple_tag
def nav_links(request: HttpRequest) -> list[tuple[str, str]]:
    """(url, label) of the pages the acting user may open from the top bar."""
    actor = getattr(request, "actor", None)
    if actor is None:
        return []
    return [
        (reverse(name), str(label))
        for name, label, permissions in _NAV
        if actor.is_system or any(actor.can(p) for p in permissions)
    ]
