"""Writes of the exchange: the standards registry and datasets. Imports are in imports.py."""

from __future__ import annotations

from django.db import transaction

from crisisgov.directory.facade import organisation_info
from crisisgov.exchange.models import Dataset, SchemaVersion
from crisisgov.exchange.permissions import ExchangePermission
from crisisgov.exchange.tableschema import (
    SchemaError,
    TableSchema,
    check_compatibility,
    standards,
)
from crisisgov.geo.facade import area_info
from crisisgov.kernel.actor import SYSTEM, Actor
from crisisgov.kernel.audit import audit_record
from crisisgov.kernel.errors import Conflict, DomainError, NotFound


def _latest(name: str) -> SchemaVersion | None:
    versions = list(SchemaVersion.objects.filter(name=name))
    return max(versions, key=lambda v: tuple(int(p) for p in v.version.split(".")), default=None)


def schema_publish(*, actor: Actor, descriptor: dict) -> SchemaVersion:
    """Publish a version of a standard. A breaking change needs a new major version; the
    reasons are named when it is refused."""
    try:
        schema = TableSchema.from_descriptor(descriptor)
    except SchemaError as exc:
        raise DomainError(str(exc), field="descriptor") from exc
    if SchemaVersion.objects.filter(name=schema.name, version=schema.version).exists():
        raise Conflict(f"{schema.name} {schema.version} is already published", field="version")
    latest = _latest(schema.name)
    if latest is not None:
        verdict = check_compatibility(TableSchema.from_descriptor(latest.descriptor), schema)
        if not verdict.ok:
            raise DomainError(
                f"{schema.name} {schema.version} cannot follow {latest.version}: "
                + "; ".join(verdict.version_problems + verdict.breaking),
                field="version",
            )
    with transaction.atomic():
        version = SchemaVersion.objects.create(
            name=schema.name,
            version=schema.version,
            major=schema.major,
            title=schema.title,
            title_zh=schema.title_zh,
            descriptor=schema.to_descriptor(),
        )
        audit_record(
            actor=actor,
            action="exchange.schema_published",
            target_type="exchange.schemaversion",
            target_id=version.pk,
            detail={"name": schema.name, "version": schema.version},
        )
    return version


def standards_sync() -> list[SchemaVersion]:
    """Publish every shipped standard version not yet in the registry (idempotent)."""
    published = []
    for schema in standards(all_versions=True):
        if not SchemaVersion.objects.filter(name=schema.name, version=schema.version).exists():
            published.append(schema_publish(actor=SYSTEM, descriptor=schema.to_descriptor()))
    return published


def dataset_create(
    *,
    actor: Actor,
    owner_id: int,
    schema_id: int,
    name_zh: str,
    name_en: str,
    area_id: int,
    description: str = "",
) -> Dataset:
    """A dataset of an organisation the actor manages datasets for, covering an area inside it."""
    owner = organisation_info(owner_id)
    area = area_info(area_id)
    if area is None:
        raise NotFound("no such area", field="area_id")
    scope = actor.scope_for(ExchangePermission.MANAGE_DATASET, area.path)
    if owner is None or not (
        actor.is_system or (scope and scope.organisation_id in (None, owner.id))
    ):
        raise NotFound("no such organisation", field="owner_id")
    if not actor.is_system and scope is None:
        raise NotFound("no such area", field="area_id")
    schema = SchemaVersion.objects.filter(pk=schema_id).first()
    if schema is None:
        raise NotFound("no such schema version", field="schema_id")
    if not name_zh.strip() or not name_en.strip():
        raise DomainError("a dataset needs a Chinese and an English name", field="name_zh")
    with transaction.atomic():
        dataset = Dataset.objects.create(
            owner_id=owner.id,
            schema=schema,
            name_zh=name_zh.strip(),
            name_en=name_en.strip(),
            description=description,
            area_id=area.id,
            area_path=area.path,
        )
        audit_record(
            actor=actor,
            action="exchange.dataset_created",
            permission=ExchangePermission.MANAGE_DATASET,
            target_type="exchange.dataset",
            target_id=dataset.pk,
            area_path=area.path,
            detail={"schema": str(schema), "owner_id": owner.id},
        )
    return dataset
