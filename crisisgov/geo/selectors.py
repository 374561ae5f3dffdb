"""Reads of the area tree. Every one starts from `Area.objects.for_actor(actor, action)`."""

from __future__ import annotations

from django.db.models import F, Q, QuerySet
from shapely.geometry import Point, shape

from crisisgov.geo.levels import PATH_DIGITS, Level
from crisisgov.geo.models import Area
from crisisgov.geo.permissions import GeoPermission
from crisisgov.kernel.actor import Actor
from crisisgov.kernel.errors import NotFound

POINT_LOOKUP_BATCH = 500  # parent ids per query, well under SQLite's parameter limit


def area_visible(*, actor: Actor, action: str = GeoPermission.VIEW_AREA) -> QuerySet[Area]:
    return Area.objects.for_actor(actor, action)


def area_get(*, actor: Actor, area_id: int, action: str = GeoPermission.VIEW_AREA) -> Area:
    """The area, or NotFound when it is missing or outside the actor's jurisdiction."""
    area = area_visible(actor=actor, action=action).filter(pk=area_id).first()
    if area is None:
        # No id in the message: a hidden area's answer must be byte-for-byte a missing one's.
        raise NotFound("no such area", field="area_id")
    return area


def area_get_by_code(*, actor: Actor, code: str) -> Area:
    area = area_visible(actor=actor).filter(code=code).first()
    if area is None:
        raise NotFound("no area has this code", field="code")
    return area


def area_list(
    *,
    actor: Actor,
    level: int | None = None,
    parent_id: int | None = None,
    q: str | None = None,
) -> QuerySet[Area]:
    """Visible areas, optionally at one level, under one parent, or matching a name."""
    rows = area_visible(actor=actor)
    if level is not None:
        rows = rows.filter(level=level)
    if parent_id is not None:
        rows = rows.filter(parent_id=parent_id)
    if q:
        rows = rows.filter(Q(name_zh__icontains=q) | Q(name_en__icontains=q))
    return rows.order_by("path")


def area_children(*, actor: Actor, area: Area) -> QuerySet[Area]:
    return area_visible(actor=actor).filter(parent=area).order_by("path")


def _tops(actor: Actor) -> Q:
    """Selects the areas at the top of the actor's jurisdictions."""
    if actor.is_system:
        return Q(parent__isnull=True)
    paths = sorted({s.area_path for s in actor.scopes_for(GeoPermission.VIEW_AREA)})
    # Drop paths nested in another granted path: the outer one already shows them.
    return Q(path__in=[p for p in paths if not any(p != q and p.startswith(q) for q in paths)])


def area_roots_for_actor(*, actor: Actor) -> list[Area]:
    """The topmost areas the actor may see: where their role assignments are."""
    return list(area_visible(actor=actor).filter(_tops(actor)).order_by("path"))


def area_breadcrumb(*, actor: Actor, area: Area) -> list[Area]:
    """Ancestors of `area` the actor may see, root first, ending with `area` itself."""
    # The ancestors' paths are prefixes of the area's own: one query, not one per level.
    prefixes = [area.path[: PATH_DIGITS[level]] for level in Level if level < area.level]
    ancestors = area_visible(actor=actor).filter(path__in=prefixes).order_by("path")
    return [*ancestors, area]


def area_at_point(
    *, actor: Actor, lon: float, lat: float, level: Level | None = None
) -> Area | None:
    """The deepest visible area (or the one at `level`) whose outline contains the point.

    Walks down the tree from the actor's top areas, one query per level: a child lies inside
    its parent, so only the children of areas that contain the point can contain it. Each
    query takes the children of a few parents (the parent index) and keeps those whose
    bounding box holds the point; a flat scan of every bounding box would read the whole
    table. An area without an outline is looked through: its children may have one.
    """
    point = Point(lon, lat)
    may_contain = Q(min_lon__lte=lon, max_lon__gte=lon, min_lat__lte=lat, max_lat__gte=lat)
    may_contain |= Q(geometry__isnull=True)
    visible = area_visible(actor=actor).filter(may_contain).order_by("path")
    frontier = list(visible.filter(_tops(actor)))
    found = None
    while frontier:
        hits = [a for a in frontier if a.geometry and shape(a.geometry).covers(point)]
        for hit in hits:  # the deepest wins; among equals, the first in code order
            if (level is None or hit.level == level) and (found is None or hit.level > found.level):
                found = hit
        hit_ids = {a.pk for a in hits}
        parents = [
            a.pk
            for a in frontier
            if (a.pk in hit_ids or not a.geometry) and (level is None or a.level < level)
        ]
        frontier = [
            child
            for start in range(0, len(parents), POINT_LOOKUP_BATCH)
            for child in visible.filter(parent_id__in=parents[start : start + POINT_LOOKUP_BATCH])
        ]
    return found


def _with_parent_code(rows: QuerySet[Area]) -> QuerySet[Area]:
    # A join for the one column: select_related would load (and decode) every parent's outline.
    return rows.annotate(parent_code=F("parent__code"))


def _parent_code(area: Area) -> str | None:
    if hasattr(area, "parent_code"):
        return area.parent_code
    return area.parent.code if area.parent_id and area.parent else None


def feature(area: Area, *, with_geometry: bool = True) -> dict:
    return {
        "type": "Feature",
        "id": area.code,
        "geometry": area.geometry if with_geometry else None,
        "properties": {
            "id": area.pk,
            "code": area.code,
            "level": area.level,
            "parent_code": _parent_code(area),
            "name_zh": area.name_zh,
            "name_en": area.name_en,
            "population": area.population,
        },
    }


def area_children_geojson(*, actor: Actor, area: Area) -> dict:
    """The children of `area` as a FeatureCollection (the drill-down map's regions)."""
    children = _with_parent_code(area_children(actor=actor, area=area))
    return {"type": "FeatureCollection", "features": [feature(c) for c in children]}


def area_subtree_geojson(*, actor: Actor, area: Area, max_level: int | None = None) -> dict:
    """`area` and its visible descendants as a FeatureCollection (export; re-importable)."""
    rows = _with_parent_code(area_visible(actor=actor).filter(path__under=area.path))
    if max_level is not None:
        rows = rows.filter(level__lte=max_level)
    return {"type": "FeatureCollection", "features": [feature(a) for a in rows.order_by("path")]}
