"""Writing the synthetic city into the database.

The whole city is one transaction and one audit entry: either the drill city exists, as
generated, or nothing changed. Everything it writes lives under the drill namespace (province
code 99), and it refuses to share a database with real areas: synthetic residents must never
mix with real ones, and `--replace` must never delete a real place.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import ProtectedError

from crisisgov.directory.facade import (
    directory_delete_under,
    households_and_people_bulk_insert,
    idnumber,
    organisations_bulk_insert,
)
from crisisgov.drills.citygen import (
    PROVINCE_CODE,
    AreaSpec,
    HouseholdSpec,
    OrganisationSpec,
    ResidentSpec,
    Spec,
    generate_city,
)
from crisisgov.geo.facade import (
    PATH_DIGITS,
    AreaRef,
    Level,
    areas_bulk_insert,
    areas_count,
    areas_delete_under,
    areas_set_population,
)
from crisisgov.kernel.actor import SYSTEM
from crisisgov.kernel.audit import audit_record
from crisisgov.kernel.errors import Conflict

DRILL_PATH = PROVINCE_CODE  # every area, person and organisation of the drill city is under it
_LEVEL_OF_PATH_LENGTH = {digits: level for level, digits in PATH_DIGITS.items()}


@dataclass(frozen=True)
class LoadedCity:
    """What a load wrote."""

    areas_per_level: dict[Level, int]
    organisations: int
    households: int
    residents: int


@dataclass(frozen=True)
class GeneratedCity:
    seed: int
    size: str
    loaded: LoadedCity
    replaced: dict[str, int]  # rows of the previous drill city that --replace deleted


def city_exists() -> bool:
    """Whether a drill city is in the database."""
    return areas_count(under=DRILL_PATH) > 0


def city_clear() -> dict[str, int]:
    """Delete the drill city: its role assignments, residents, households, organisations and
    areas. Returns the rows deleted per kind. Raises Conflict when rows of other apps still
    refer to it (they keep their own records and must be cleared by their owners)."""
    try:
        with transaction.atomic():
            deleted = directory_delete_under(DRILL_PATH)
            deleted["areas"] = areas_delete_under(DRILL_PATH)
    except ProtectedError as exc:
        kinds = sorted({type(row)._meta.label for row in exc.protected_objects})
        raise Conflict(
            f"the drill city cannot be deleted: {', '.join(kinds)} rows still refer to it"
        ) from exc
    return deleted


def _kind(spec: Spec) -> str:
    if isinstance(spec, AreaSpec):
        return "areas"
    if isinstance(spec, OrganisationSpec):
        return "organisations"
    return "people"


def _households(
    specs: Iterable[HouseholdSpec | ResidentSpec],
) -> Iterator[tuple[HouseholdSpec, list[ResidentSpec]]]:
    """Pair each household with the residents that follow it in the stream."""
    household: HouseholdSpec | None = None
    members: list[ResidentSpec] = []
    for spec in specs:
        if isinstance(spec, HouseholdSpec):
            if household is not None:
                yield household, members
            household, members = spec, []
            continue
        if household is None or (household.building_code, household.number) != (
            spec.building_code,
            spec.household_number,
        ):
            raise ValueError(f"a resident of {spec.household_number} comes before its household")
        members.append(spec)
    if household is not None:
        yield household, members


def _populations(areas: dict[str, AreaRef], residents_by_building: Counter[str]) -> dict:
    """{path: residents in the subtree} for every area written, from the building counts."""
    populations = dict.fromkeys((area.path for area in areas.values()), 0)
    for code, residents in residents_by_building.items():
        path = areas[code].path
        for digits in PATH_DIGITS.values():
            if digits <= len(path):
                populations[path[:digits]] += residents
    return populations


@contextmanager
def _roomy_sqlite_cache(mebibytes: int = 128) -> Iterator[None]:
    """Give SQLite a page cache that holds the person indexes while loading. Blind indexes are
    random keys, so each insert touches a random page of them; with the default 2 MiB cache a
    large city spends its time re-reading pages. The cache is restored afterwards."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA cache_size = {-mebibytes * 1024}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {previous}")


def load_city(
    specs: Iterable[Spec],
    *,
    batch_size: int = 5000,
    on_residents: Callable[[int], None] | None = None,
) -> LoadedCity:
    """Write a spec stream (parents before children, households before their residents) in
    batches, then set every area's population to the residents loaded in its subtree."""
    areas: dict[str, AreaRef] = {}
    organisations = households = residents = 0
    residents_by_building: Counter[str] = Counter()
    for kind, group in itertools.groupby(specs, key=_kind):
        if kind == "areas":
            areas |= areas_bulk_insert(group, batch_size=batch_size, known=areas)  # type: ignore[arg-type]
        elif kind == "organisations":
            organisations += organisations_bulk_insert(group, areas=areas)  # type: ignore[arg-type]
        else:
            written = households_and_people_bulk_insert(
                _households(group),  # type: ignore[arg-type]
                buildings=areas,
                batch_size=batch_size,
                on_progress=on_residents,
            )
            households += written.households
            residents += written.people
            residents_by_building.update(written.residents_by_building)
    areas_set_population(_populations(areas, residents_by_building))
    per_level = dict.fromkeys(Level, 0)
    for area in areas.values():
        per_level[_LEVEL_OF_PATH_LENGTH[len(area.path)]] += 1
    return LoadedCity(per_level, organisations, households, residents)


def city_generate(
    *,
    seed: int,
    size: str,
    replace: bool = False,
    batch_size: int = 5000,
    on_residents: Callable[[int], None] | None = None,
) -> GeneratedCity:
    """Generate the drill city of `seed` and `size` and load it, in one transaction.

    Refuses (Conflict) when a drill city exists and `replace` is false, and always when the
    database holds areas outside the drill namespace.
    """
    with transaction.atomic(), _roomy_sqlite_cache():
        real_areas = areas_count() - areas_count(under=DRILL_PATH)
        if real_areas:
            raise Conflict(
                f"the database holds {real_areas} areas outside the drill namespace"
                f" ({DRILL_PATH}); generate the synthetic city into a database of its own"
            )
        if city_exists() and not replace:
            raise Conflict(
                "a synthetic city already exists; pass --replace to delete it and generate anew"
            )
        replaced = city_clear() if replace else {}
        specs = generate_city(seed, size, make_national_id=idnumber.make)
        loaded = load_city(specs, batch_size=batch_size, on_residents=on_residents)
        audit_record(
            actor=SYSTEM,
            action="drills.city_generated",
            area_path=DRILL_PATH,
            detail={
                "seed": seed,
                "size": size,
                "areas": {level.name.lower(): n for level, n in loaded.areas_per_level.items()},
                "organisations": loaded.organisations,
                "households": loaded.households,
                "residents": loaded.residents,
                "replaced": replaced,
            },
        )
    _refresh_planner_statistics()
    return GeneratedCity(seed, size, loaded, replaced)


def _refresh_planner_statistics() -> None:
    """After a bulk load the planner's row estimates are stale (PostgreSQL estimated 4k rows
    for a district holding 124k and sorted instead of walking the index): refresh them."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if connection.vendor == "postgresql" else "PRAGMA optimize")
