"""What the command-centre pages show of an area: read models built from the geo and directory
facades only. Every lookup passes the actor, so an area outside their jurisdiction raises
`NotFound` exactly as a missing one does."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.utils.translation import get_language

from crisisgov.directory import facade as directory
from crisisgov.geo import facade as geo
from crisisgov.kernel.actor import Actor

COUNTS_VERSION_KEY = "dashboard:counts:version"
COUNTS_TTL_SECONDS = 600


def cached_counts(paths: list[str]) -> dict:
    """Directory counts per area, cached until a resident, household or organisation changes.

    Counting a district of a million-resident city scans its index range (about a second); the
    outbox handlers in `dashboard.handlers` bump the version when the directory changes, so a
    cached figure is never staler than the last committed change.
    """
    version = cache.get_or_set(COUNTS_VERSION_KEY, 1, timeout=None)
    key = f"dashboard:counts:{version}:" + hashlib.sha256(",".join(paths).encode()).hexdigest()
    counts = cache.get(key)
    if counts is None:
        counts = directory.counts_for_area_paths(paths)
        cache.set(key, counts, COUNTS_TTL_SECONDS)
    return counts


def display_name(area: geo.AreaInfo) -> str:
    """The area's name in the active language."""
    return area.name_en if (get_language() or "").startswith("en") else area.name_zh


def level_label(level: int) -> str:
    return str(geo.LEVEL_LABELS[geo.Level(level)])


@dataclass(frozen=True)
class AreaRow:
    """One area with the figures shown beside it: census population and directory counts."""

    area: geo.AreaInfo
    name: str
    level_label: str
    residents: int
    households: int
    organisations: int

    @property
    def id(self) -> int:
        return self.area.id

    @property
    def code(self) -> str:
        return self.area.code

    @property
    def population(self) -> int:
        return self.area.population


@dataclass(frozen=True)
class Crumb:
    id: int
    name: str


@dataclass(frozen=True)
class AreaPage:
    """An area's page: itself, the way down to it, and its children (the map's regions)."""

    current: AreaRow
    breadcrumb: list[Crumb]
    children: list[AreaRow]

    @property
    def is_leaf(self) -> bool:
        return not self.children


def _rows(areas: list[geo.AreaInfo]) -> list[AreaRow]:
    """Rows for `areas` with their counts. Siblings share a path length, so the directory
    answers them with one grouped query per table."""
    rows: list[AreaRow] = []
    by_length: dict[int, list[geo.AreaInfo]] = {}
    for area in areas:
        by_length.setdefault(len(area.path), []).append(area)
    counts: dict = {}
    for group in by_length.values():
        counts.update(cached_counts([a.path for a in group]))
    for area in areas:
        c = counts[area.path]
        rows.append(
            AreaRow(
                area=area,
                name=display_name(area),
                level_label=level_label(area.level),
                residents=c.residents,
                households=c.households,
                organisations=c.organisations,
            )
        )
    return rows


def area_page(*, actor: Actor, area_id: int) -> AreaPage:
    breadcrumb = geo.area_breadcrumb(actor=actor, area_id=area_id)
    area = breadcrumb[-1]
    children = geo.area_children(actor=actor, area_id=area_id)
    (current,) = _rows([area])
    return AreaPage(
        current=current,
        breadcrumb=[Crumb(id=a.id, name=display_name(a)) for a in breadcrumb],
        children=_rows(children),
    )


def root_rows(*, actor: Actor) -> list[AreaRow]:
    """The actor's topmost areas (where their role assignments are)."""
    return _rows(geo.area_roots(actor=actor))


def _merge(collection: dict, rows: list[AreaRow], url_for: Callable[[int], str] | None) -> dict:
    """The FeatureCollection with each feature's name, level and counts in its properties."""
    by_id = {row.id: row for row in rows}
    features = []
    for feature in collection["features"]:
        row = by_id.get(feature["properties"]["id"])
        if row is None:  # not among the rows the actor may see
            continue
        properties = {
            **feature["properties"],
            "name": row.name,
            "level_label": row.level_label,
            "residents": row.residents,
            "households": row.households,
            "organisations": row.organisations,
            "url": url_for(row.id) if url_for else None,
        }
        features.append({**feature, "properties": properties})
    return {"type": "FeatureCollection", "features": features}


def area_map(*, actor: Actor, area_id: int, url_for: Callable[[int], str]) -> dict:
    """The region map of an area: its children, each linking to its page; an area without
    visible children (a building) is drawn as its own polygon, linking nowhere."""
    children = geo.area_children(actor=actor, area_id=area_id)
    if children:
        collection = geo.area_children_geojson(actor=actor, area_id=area_id)
        return _merge(collection, _rows(children), url_for)
    area = geo.area_for_actor(actor=actor, area_id=area_id)
    return _merge(geo.area_geojson(actor=actor, area_id=area_id), _rows([area]), None)


def roots_map(*, actor: Actor, url_for: Callable[[int], str]) -> dict:
    """The region map of the home page when the actor holds several separate areas."""
    rows = root_rows(actor=actor)
    features = []
    for row in rows:
        features.extend(geo.area_geojson(actor=actor, area_id=row.id)["features"])
    return _merge({"type": "FeatureCollection", "features": features}, rows, url_for)
