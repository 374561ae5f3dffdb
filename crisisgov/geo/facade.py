"""What other apps may use of geo."""

from __future__ import annotations

from dataclasses import dataclass

from crisisgov.geo.levels import LEVEL_LABELS, PATH_DIGITS, Level
from crisisgov.geo.permissions import GeoPermission
from crisisgov.kernel.actor import Actor

__all__ = ["LEVEL_LABELS", "PATH_DIGITS", "AreaInfo", "GeoPermission", "Level"]


@dataclass(frozen=True)
class AreaInfo:
    id: int
    code: str
    path: str
    level: int
    name_zh: str
    name_en: str
    population: int
    parent_id: int | None


def _info(area) -> AreaInfo:  # type: ignore[no-untyped-def]
    return AreaInfo(
        id=area.pk,
        code=area.code,
        path=area.path,
        level=area.level,
        name_zh=area.name_zh,
        name_en=area.name_en,
        population=area.population,
        parent_id=area.parent_id,
    )


def area_for_actor(
    *, actor: Actor, area_id: int, action: str = GeoPermission.VIEW_AREA
) -> AreaInfo:
    """The area if the actor may act on it, else NotFound (same answer as a missing one)."""
    from crisisgov.geo.selectors import area_get

    return _info(area_get(actor=actor, area_id=area_id, action=action))


def area_info(area_id: int) -> AreaInfo | None:
    """Unscoped lookup for internal use (never hand it to a caller without a scope check)."""
    from crisisgov.geo.models import Area

    area = Area.objects.filter(pk=area_id).first()
    return _info(area) if area else None


def area_roots(*, actor: Actor) -> list[AreaInfo]:
    from crisisgov.geo import selectors

    return [_info(a) for a in selectors.area_roots_for_actor(actor=actor)]


def area_children(*, actor: Actor, area_id: int) -> list[AreaInfo]:
    from crisisgov.geo import selectors

    area = selectors.area_get(actor=actor, area_id=area_id)
    return [_info(a) for a in selectors.area_children(actor=actor, area=area)]


def area_breadcrumb(*, actor: Actor, area_id: int) -> list[AreaInfo]:
    from crisisgov.geo import selectors

    area = selectors.area_get(actor=actor, area_id=area_id)
    return [_info(a) for a in selectors.area_breadcrumb(actor=actor, area=area)]


def area_children_geojson(*, actor: Actor, area_id: int) -> dict:
    """FeatureCollection of the visible children of the area (for the region map)."""
    from crisisgov.geo import selectors

    area = selectors.area_get(actor=actor, area_id=area_id)
    return selectors.area_children_geojson(actor=actor, area=area)


def area_geojson(*, actor: Actor, area_id: int) -> dict:
    """FeatureCollection holding just the area (a leaf has no children to draw)."""
    from crisisgov.geo import selectors

    area = selectors.area_get(actor=actor, area_id=area_id)
    return {"type": "FeatureCollection", "features": [selectors.feature(area)]}


def area_at_point(*, actor: Actor, lon: float, lat: float) -> AreaInfo | None:
    from crisisgov.geo import selectors

    area = selectors.area_at_point(actor=actor, lon=lon, lat=lat)
    return _info(area) if area else None


def areas_at_level(level: int, *, under: str = "") -> list[AreaInfo]:
    """Unscoped: every area at `level` (under a path), in code order. For setup and drills."""
    from crisisgov.geo.models import Area

    rows = Area.objects.filter(level=level)
    if under:
        rows = rows.filter(path__under=under)
    return [_info(a) for a in rows.order_by("path")]


def area_id_for_code(code: str) -> int | None:
    """Unscoped: the id of the area with this code (commands resolve codes typed by staff)."""
    from crisisgov.geo.models import Area

    return Area.objects.filter(code=code).values_list("pk", flat=True).first()


# Bulk writes for loaders such as the synthetic city (crisisgov/geo/bulk.py), and the code
# scheme they follow.
from crisisgov.geo.bulk import (  # noqa: E402
    AreaRef,
    areas_bulk_insert,
    areas_count,
    areas_delete_under,
    areas_set_population,
)
from crisisgov.geo.levels import check_code, path_from_code  # noqa: E402

__all__ += [
    "AreaRef",
    "areas_bulk_insert",
    "areas_count",
    "areas_delete_under",
    "areas_set_population",
    "check_code",
    "path_from_code",
]


def areas_for_paths(paths: list[str]) -> dict[str, AreaInfo]:
    """Unscoped: {path: area} of the areas with these paths (open statistics name their areas)."""
    from crisisgov.geo.models import Area

    return {a.path: _info(a) for a in Area.objects.filter(path__in=paths)}


def area_paths_for_codes(codes: list[str]) -> dict[str, str]:
    """Unscoped: {code: path} of the areas with these codes (imports resolve area columns)."""
    from crisisgov.geo.models import Area

    return dict(Area.objects.filter(code__in=codes).values_list("code", "path"))


def area_geometries(area_ids: list[int]) -> dict[int, dict | None]:
    """Unscoped: {area id: GeoJSON geometry (WGS 84 lon/lat) or None}. For published outputs
    such as CAP alerts and public risk maps, whose areas are public by nature."""
    from crisisgov.geo.models import Area

    return dict(Area.objects.filter(pk__in=area_ids).values_list("pk", "geometry"))


def area_geometry(area_id: int) -> dict | None:
    """Unscoped: one area's GeoJSON geometry, or None (see `area_geometries`)."""
    return area_geometries([area_id]).get(area_id)


# --- public lookups for citizens (names, codes and outlines of areas are public) -------------


def area_at_point_public(*, lon: float, lat: float) -> AreaInfo | None:
    """Unscoped: the deepest area whose outline holds the point (a citizen's risk lookup)."""
    from crisisgov.geo import selectors
    from crisisgov.kernel.actor import SYSTEM

    area = selectors.area_at_point(actor=SYSTEM, lon=lon, lat=lat)
    return _info(area) if area else None


def area_by_code(code: str) -> AreaInfo | None:
    """Unscoped: the area with this code, or None."""
    from crisisgov.geo.models import Area

    area = Area.objects.defer("geometry").filter(code=code).first()
    return _info(area) if area else None


def areas_named_in(text: str, *, limit: int = 200) -> list[tuple[AreaInfo, bool]]:
    """Unscoped: (area, whole) for areas whose Chinese or English name occurs whole in `text`
    (an address a citizen typed), then those that contain `text` in their name (whole False),
    each in path order. Names shorter than two characters are ignored: they match anything."""
    from django.db.models import CharField, F, Q, Value
    from django.db.models.functions import Length

    from crisisgov.geo.models import Area

    text = text.strip()
    if not text:
        return []
    whole = (
        Area.objects.defer("geometry")
        .annotate(
            typed=Value(text, output_field=CharField()),
            zh_length=Length("name_zh"),
            en_length=Length("name_en"),
        )
        .filter(
            Q(typed__contains=F("name_zh"), zh_length__gte=2)
            | Q(typed__icontains=F("name_en"), en_length__gte=2)
        )
        .order_by("path")[:limit]
    )
    found = [(_info(a), True) for a in whole]
    seen = {info.id for info, _ in found}
    # Names that merely contain the text ("1栋" is in thousands): a few, after the whole ones.
    partial = Area.objects.defer("geometry").filter(
        Q(name_zh__contains=text) | Q(name_en__icontains=text)
    )
    found += [(_info(a), False) for a in partial.order_by("path")[:limit] if a.pk not in seen]
    return found
