"""Bulk writes of organisations, households and residents for loaders (the synthetic city).

Personal fields are still encrypted row by row by their own model fields
(`EncryptedTextField.get_db_prep_save`) and their blind indexes computed by theirs. What a
loader saves is the per-row query, transaction and audit entry (it records one for the whole
load) and, for residents, the ORM's per-object work, which costs more than the encryption.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from django.db import connection
from django.utils import timezone

from crisisgov.kernel.fields import BlindIndexField

if TYPE_CHECKING:
    from crisisgov.geo.facade import AreaRef


class OrganisationRow(Protocol):
    kind: str
    department_type: str
    name_zh: str
    name_en: str
    area_code: str
    address: str
    lon: float
    lat: float
    public_phone: str


class HouseholdRow(Protocol):
    building_code: str
    number: str


class ResidentRow(Protocol):
    name: str
    national_id: str
    phone: str
    date_of_birth: dt.date
    sex: str
    building_code: str
    household_number: str


@dataclass(frozen=True)
class PeopleInserted:
    households: int
    people: int
    residents_by_building: dict[str, int]  # building code -> residents written


def organisations_bulk_insert(
    rows: Iterable[OrganisationRow], *, areas: Mapping[str, AreaRef], batch_size: int = 2000
) -> int:
    """Insert organisations; `areas` maps each row's area code to the written area."""
    from crisisgov.directory.models import Organisation

    written = 0
    batch: list[Organisation] = []
    for row in rows:
        area = areas[row.area_code]
        batch.append(
            Organisation(
                kind=row.kind,
                department_type=row.department_type,
                name_zh=row.name_zh,
                name_en=row.name_en,
                area_id=area.id,
                area_path=area.path,
                address=row.address,
                lon=row.lon,
                lat=row.lat,
                public_phone=row.public_phone,
            )
        )
        if len(batch) >= batch_size:
            written += len(Organisation.objects.bulk_create(batch))
            batch.clear()
    if batch:
        written += len(Organisation.objects.bulk_create(batch))
    return written


# Person fields whose values the resident row gives, under the same names.
_RESIDENT_FIELDS = ("name", "national_id", "phone", "date_of_birth", "sex")
ValueOf = Callable[[ResidentRow, Any], Any]  # (resident, saved household) -> column value


def _person_values() -> tuple[list[str], list[ValueOf]]:
    """The columns of a Person row and, for each, how to get its database value from a
    resident and its saved household. The model's own fields do the work: encrypted fields
    encrypt in `get_db_prep_save`, a blind index is its field's keyed digest of the source
    (what `refresh_blind_indexes` computes), timestamps are now, and any other column takes
    the field's default, as `bulk_create` would give it."""
    from crisisgov.directory.models import Person

    def given(field: Any) -> ValueOf:
        return lambda resident, _: field.get_db_prep_save(getattr(resident, field.name), connection)

    def blind_index(field: BlindIndexField) -> ValueOf:
        def value(resident: ResidentRow, _: Any) -> str:
            plaintext = getattr(resident, field.source)
            return field.digest(plaintext) if plaintext else ""

        return value

    def constant(value: Any) -> ValueOf:
        return lambda resident, household: value

    from_household: dict[str, ValueOf] = {
        "home_building": lambda _, household: household.building_id,
        "area_path": lambda _, household: household.area_path,
        "household": lambda _, household: household.pk,
    }
    now = timezone.now()
    columns, values = [], []
    for field in Person._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(field.column)
        if isinstance(field, BlindIndexField):
            values.append(blind_index(field))
        elif field.name in from_household:
            values.append(from_household[field.name])
        elif field.name in _RESIDENT_FIELDS:
            values.append(given(field))
        else:
            stamp = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
            values.append(
                constant(field.get_db_prep_save(now if stamp else field.get_default(), connection))
            )
    return columns, values


def households_and_people_bulk_insert(
    households: Iterable[tuple[HouseholdRow, Sequence[ResidentRow]]],
    *,
    buildings: Mapping[str, AreaRef],
    batch_size: int = 5000,
    on_progress: Callable[[int], None] | None = None,
) -> PeopleInserted:
    """Insert households with their members. A batch (about `batch_size` people) costs one
    insert for its households, whose new ids the members then carry, and one prepared insert
    run over its people (the ORM's per-object machinery would cost more than the encryption).
    `on_progress(n)` is called after each batch with the number of people it wrote."""
    from crisisgov.directory.models import Household, Person

    columns, values = _person_values()
    # Names come from the model, values go as parameters.
    insert_person = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        connection.ops.quote_name(Person._meta.db_table),
        ", ".join(connection.ops.quote_name(column) for column in columns),
        ", ".join(["%s"] * len(columns)),
    )
    pending: list[tuple[Household, Sequence[ResidentRow]]] = []
    pending_people = households_written = people_written = 0
    by_building: dict[str, int] = {}

    def flush() -> int:
        Household.objects.bulk_create([household for household, _ in pending])
        rows = [
            tuple(value(member, household) for value in values)
            for household, members in pending
            for member in members
        ]
        with connection.cursor() as cursor:
            cursor.executemany(insert_person, rows)
        if on_progress:
            on_progress(len(rows))
        return len(rows)

    for row, members in households:
        building = buildings[row.building_code]
        household = Household(building_id=building.id, area_path=building.path, number=row.number)
        pending.append((household, members))
        pending_people += len(members)
        by_building[row.building_code] = by_building.get(row.building_code, 0) + len(members)
        if pending_people >= batch_size:
            households_written += len(pending)
            people_written += flush()
            pending.clear()
            pending_people = 0
    if pending:
        households_written += len(pending)
        people_written += flush()
    return PeopleInserted(households_written, people_written, by_building)


def directory_delete_under(path: str, *, batch_size: int = 5000) -> dict[str, int]:
    """Delete what the directory keeps in the area subtree at `path`: the role assignments
    granted there, residents, households and organisations. Returns rows deleted per kind."""
    from crisisgov.directory.models import Household, Organisation, Person, RoleAssignment

    deleted = {}
    # Role assignments protect organisations, and everything here protects the areas.
    for name, model in (
        ("role_assignments", RoleAssignment),
        ("people", Person),
        ("households", Household),
        ("organisations", Organisation),
    ):
        rows = model.objects.filter(area_path__under=path)
        count = 0
        while ids := list(rows.order_by("id").values_list("id", flat=True)[:batch_size]):
            model.objects.filter(id__in=ids).delete()
            count += len(ids)
        deleted[name] = count
    return deleted
