"""Bulk writes of areas for loaders (the synthetic city): many rows, few queries.

These skip the per-area checks of `services.area_create` (outline inside the parent, audit
entry per area) because a loader writes tens of thousands of areas whose shape it vouches
for; the codes are still checked. The caller records one audit entry for the whole load.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from crisisgov.geo.levels import PATH_DIGITS, Level, check_code, path_from_code


class AreaRow(Protocol):
    """What a loader gives for one area (the drills' AreaSpec has these attributes)."""

    code: str
    level: int
    parent_code: str | None
    name_zh: str
    name_en: str
    geometry: dict[str, Any]
    population: int


@dataclass(frozen=True)
class AreaRef:
    """An area written to the database: its id, and its path for scoping columns."""

    id: int
    path: str


def _bbox(geometry: dict[str, Any]) -> tuple[float, float, float, float]:
    """Bounding box of a GeoJSON Polygon or MultiPolygon (outer rings suffice)."""
    coordinates = geometry["coordinates"]
    polygons = coordinates if geometry["type"] == "MultiPolygon" else [coordinates]
    points = [point for polygon in polygons for point in polygon[0]]
    lons, lats = [point[0] for point in points], [point[1] for point in points]
    return min(lons), min(lats), max(lons), max(lats)


def areas_bulk_insert(
    rows: Iterable[AreaRow],
    *,
    batch_size: int = 2000,
    known: Mapping[str, AreaRef] | None = None,
) -> dict[str, AreaRef]:
    """Insert areas given parents first; return {code: AreaRef} of the inserted ones.

    A parent is found among the rows inserted by this call, then in `known` (areas a previous
    call inserted), then in the database. A batch is written when it is full or when a row's
    parent is still waiting in it, so any parents-first order works.
    """
    from crisisgov.geo.models import Area

    known = known or {}
    inserted: dict[str, AreaRef] = {}
    pending: list[Area] = []
    pending_codes: set[str] = set()

    def parent_of(code: str) -> AreaRef:
        found = inserted.get(code) or known.get(code)
        if found is None:
            row = Area.objects.filter(code=code).values_list("id", "path").first()
            if row is None:
                raise ValueError(f"parent area {code} does not exist")
            found = inserted[code] = AreaRef(*row)
        return found

    def flush() -> None:
        Area.objects.bulk_create(pending, batch_size=batch_size)
        for area in pending:
            inserted[area.code] = AreaRef(area.pk, area.path)
        pending.clear()
        pending_codes.clear()

    for row in rows:
        if row.parent_code in pending_codes or len(pending) >= batch_size:
            flush()
        level = Level(row.level)
        parent = parent_of(row.parent_code) if row.parent_code else None
        problem = check_code(row.code, level, parent.path if parent else None)
        if problem:
            raise ValueError(f"area {row.code}: {problem}")
        min_lon, min_lat, max_lon, max_lat = _bbox(row.geometry)
        pending.append(
            Area(
                code=row.code,
                path=path_from_code(row.code, level),
                level=level,
                parent_id=parent.id if parent else None,
                name_zh=row.name_zh,
                name_en=row.name_en,
                geometry=row.geometry,
                min_lon=min_lon,
                min_lat=min_lat,
                max_lon=max_lon,
                max_lat=max_lat,
                population=row.population,
            )
        )
        pending_codes.add(row.code)
    if pending:
        flush()
    return inserted


def areas_set_population(populations: Mapping[str, int], *, batch_size: int = 2000) -> int:
    """Set Area.population from {path: residents}; return how many areas changed."""
    from crisisgov.geo.models import Area

    paths = list(populations)
    changed = 0
    for start in range(0, len(paths), batch_size):
        chunk = paths[start : start + batch_size]
        stale = [
            area
            for area in Area.objects.filter(path__in=chunk).only("id", "path", "population")
            if area.population != populations[area.path]
        ]
        for area in stale:
            area.population = populations[area.path]
        Area.objects.bulk_update(stale, ["population"], batch_size=batch_size)
        changed += len(stale)
    return changed


def areas_count(*, under: str = "") -> int:
    """How many areas there are (in the subtree of the path `under`)."""
    from crisisgov.geo.models import Area

    rows = Area.objects.all()
    return rows.filter(path__under=under).count() if under else rows.count()


def areas_delete_under(path: str, *, batch_size: int = 2000) -> int:
    """Delete the subtree at `path`, leaves first (parents are protected while children
    exist). Whatever else still points at these areas makes it fail with ProtectedError."""
    from crisisgov.geo.models import Area

    deleted = 0
    for level in sorted(Level, reverse=True):
        if PATH_DIGITS[level] < len(path):
            break
        rows = Area.objects.filter(level=level, path__under=path)
        while ids := list(rows.values_list("id", flat=True)[:batch_size]):
            deleted += Area.objects.filter(id__in=ids).delete()[0]
    return deleted
