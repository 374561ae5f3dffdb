"""Kernel endpoints for auditors: verify the audit chain, read the entries of their areas."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from crisisgov.kernel.audit import audit_entry_list, audit_verify, canonical_time
from crisisgov.kernel.errors import PermissionDenied
from crisisgov.kernel.http import actor_of
from crisisgov.kernel.models import AuditEntry
from crisisgov.kernel.permissions import KernelPermission

router = Router()


class ErrorDetail(Schema):
    code: str
    message: str
    field: str | None = None


class ErrorOut(Schema):
    detail: list[ErrorDetail]


class ChainReportOut(Schema):
    ok: bool
    checked: int
    first_bad_seq: int | None
    problem: str


class AuditEntryOut(Schema):
    seq: int
    at: str = Field(description="UTC, to the microsecond, exactly as the entry's hash covers it")
    actor_user_id: int | None
    actor_username: str
    role: str
    organisation_id: int | None
    action: str
    target_type: str
    target_id: str
    subject_person_id: int | None
    area_path: str
    purpose: str
    fields_read: list[str]
    detail: dict[str, Any]
    prev_hash: str
    hash: str

    @staticmethod
    def resolve_at(entry: AuditEntry) -> str:
        return canonical_time(entry.at)


class EntryFilter(Schema):
    # Action names are lower-case words and dots. Anything else, a NUL above all (which
    # PostgreSQL refuses in a text parameter), is a 422 before the database sees it.
    action: str = Field(
        "",
        max_length=80,
        pattern=r"^[a-z_.]*$",
        description="an action name, e.g. geo.area_created",
    )
    after_seq: int = Field(0, ge=0, description="return entries after this sequence number")
    limit: int = Field(100, ge=1, le=500)


def require(request: HttpRequest, permission: KernelPermission, doing: str) -> None:
    if not actor_of(request).can(permission):
        raise PermissionDenied(f"{doing} needs the {permission} permission")


@router.get(
    "/audit/verify",
    response={200: ChainReportOut, 403: ErrorOut},
    summary="Verify the audit log's hash chain",
)
def verify(request: HttpRequest) -> dict[str, Any]:
    require(request, KernelPermission.VERIFY_AUDIT, "verifying the audit log")
    return dataclasses.asdict(audit_verify())


@router.get(
    "/audit/entries",
    response={200: list[AuditEntryOut], 403: ErrorOut},
    summary="Audit entries about the areas the auditor covers, oldest first",
)
def entries(request: HttpRequest, filters: Query[EntryFilter]) -> list[AuditEntry]:
    require(request, KernelPermission.VIEW_AUDIT, "reading the audit log")
    return audit_entry_list(
        actor=actor_of(request),
        action=filters.action,
        after_seq=filters.after_seq,
        limit=filters.limit,
    )
