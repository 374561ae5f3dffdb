"""Roles and the permissions they grant. A role is always assigned at an area (and optionally
an organisation); its permissions apply to that area's subtree only."""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from crisisgov.citizen.facade import CitizenPermission as C
from crisisgov.directory.permissions import DirectoryPermission as D
from crisisgov.earlywarning.facade import EarlyWarningPermission as W
from crisisgov.exchange.facade import ExchangePermission as X
from crisisgov.geo.facade import GeoPermission as G
from crisisgov.kernel.permissions import KernelPermission as K
from crisisgov.opinion.facade import OpinionPermission as O


class Role(StrEnum):
    COMMANDER = "commander"
    DEPARTMENT_OFFICER = "department_officer"
    ANALYST = "analyst"
    GRID_WORKER = "grid_worker"
    NGO_LIAISON = "ngo_liaison"
    AUDITOR = "auditor"
    ACCOUNT_ADMIN = "account_admin"
    SERVICE_POINT_STAFF = "service_point_staff"
    HOTLINE_OPERATOR = "hotline_operator"
    CITIZEN = "citizen"


ROLE_LABELS = {
    Role.COMMANDER: _("commander"),
    Role.DEPARTMENT_OFFICER: _("department officer"),
    Role.ANALYST: _("analyst"),
    Role.GRID_WORKER: _("grid worker"),
    Role.NGO_LIAISON: _("NGO liaison"),
    Role.AUDITOR: _("auditor"),
    Role.ACCOUNT_ADMIN: _("account administrator"),
    Role.SERVICE_POINT_STAFF: _("service point staff"),
    Role.HOTLINE_OPERATOR: _("hotline operator"),
    Role.CITIZEN: _("citizen"),
}

ROLE_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.COMMANDER: frozenset(
        {
            G.VIEW_AREA,
            G.EDIT_AREA,
            D.VIEW_ORGANISATION,
            D.EDIT_ORGANISATION,
            D.VIEW_PERSON,
            X.VIEW_DATASET,
            W.VIEW_SIGNALS,
            W.TRIAGE_ALERTS,
            W.DECIDE_RISK_LEVELS,  # the official who approves or rejects risk-level changes
            C.OVERRIDE_STATUS,
            C.MANAGE_SERVICES,
            C.PUBLISH_BULLETINS,
            O.VIEW_BOARD,
            O.MANAGE_CATALOGUE,
        }
    ),
    # A department's officer runs its datasets (org-bound roles: only their own department's).
    Role.DEPARTMENT_OFFICER: frozenset(
        {
            G.VIEW_AREA,
            D.VIEW_ORGANISATION,
            D.VIEW_PERSON,
            D.VIEW_PERSON_PII,
            X.VIEW_DATASET,
            X.MANAGE_DATASET,
            X.REQUEST_ACCESS,
            X.READ_SHARED,
            X.REVIEW_LINKS,  # decides the master person index's doubtful pairs in its area
            W.VIEW_SIGNALS,
            W.REPORT_OBSERVATIONS,
            W.MANAGE_SENSORS,
            C.OVERRIDE_STATUS,  # an override needs two officials: one proposes, another confirms
            C.REVIEW_APPEALS,
            C.PUBLISH_EXPOSURES,
            C.MANAGE_RATIONING,
            C.DECIDE_APPROVALS,  # only the steps of the officer's own department
            O.VIEW_BOARD,
            O.HANDLE_TICKETS,  # tickets assigned to the officer's own department
        }
    ),
    # The epidemiologist of the command centre: watches the signals, triages alerts, tunes
    # the risk rules; an official decides the levels.
    Role.ANALYST: frozenset(
        {
            G.VIEW_AREA,
            D.VIEW_ORGANISATION,
            X.VIEW_DATASET,
            W.VIEW_SIGNALS,
            W.REPORT_OBSERVATIONS,
            W.TRIAGE_ALERTS,
            W.MANAGE_RISK_RULES,
            O.VIEW_BOARD,
            O.IMPORT_MESSAGES,
            O.CHECK_FACTS,  # the rumor queue and the clarifications
            O.CURATE_TOPICS,  # at the city: confirm, rename and merge the topics found online
        }
    ),
    # Grid workers call and visit residents: they see and correct their grid's records, and
    # enter records for their grid through the district's entry forms (collect once).
    Role.GRID_WORKER: frozenset(
        {
            G.VIEW_AREA,
            D.VIEW_ORGANISATION,
            D.VIEW_PERSON,
            D.VIEW_PERSON_PII,
            D.EDIT_PERSON,
            X.SUBMIT_RECORDS,
        }
    ),
    Role.NGO_LIAISON: frozenset(
        {G.VIEW_AREA, D.VIEW_ORGANISATION, X.REQUEST_ACCESS, X.READ_SHARED}
    ),
    Role.AUDITOR: frozenset({G.VIEW_AREA, K.VIEW_AUDIT, K.VERIFY_AUDIT}),
    Role.ACCOUNT_ADMIN: frozenset(
        {G.VIEW_AREA, D.VIEW_ORGANISATION, D.EDIT_ORGANISATION, D.MANAGE_ACCOUNTS}
    ),
    # Staff of a pharmacy or a testing site (organisation-bound): the pharmacy's daily stock and
    # pickups, the site's opening hours and queue.
    Role.SERVICE_POINT_STAFF: frozenset({D.VIEW_ORGANISATION, C.RUN_SERVICE_POINT}),
    # The city hotline (12345): takes calls, registers tickets and dispatches them.
    Role.HOTLINE_OPERATOR: frozenset(
        {G.VIEW_AREA, D.VIEW_ORGANISATION, O.VIEW_BOARD, O.TAKE_CALLS}
    ),
    Role.CITIZEN: frozenset({D.VIEW_OWN_RECORD, C.USE_SERVICES}),
}
