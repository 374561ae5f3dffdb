"""The areas API, mounted at /api/geo: read the tree, locate a point, edit, import, export.

Handlers parse a schema, call one selector or service with the request's actor, and return a
schema. Scoping happens in the selectors and services: an area outside the caller's
jurisdiction answers 404 exactly like a missing one.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import BeforeValidator, ConfigDict

from crisisgov.geo import selectors, services
from crisisgov.geo.levels import LEVEL_SLUGS, LEVELS_BY_SLUG
from crisisgov.geo.models import Area
from crisisgov.kernel.errors import NotFound
from crisisgov.kernel.http import actor_of

router = Router()

# Ids are 64-bit in the database; a larger number must be a 422, not a database error.
AreaIdParam = Annotated[int, Field(ge=1, le=2**63 - 1)]
LevelParam = Annotated[int, Field(ge=1, le=8)]
# In JSON bodies numbers must be numbers: "12" or true is a wrong type, not a guess.
AreaId = Annotated[int, Field(ge=1, le=2**63 - 1, strict=True)]
Population = Annotated[int, Field(ge=0, le=services.MAX_POPULATION, strict=True)]
LevelNumber = Annotated[
    int,
    Field(ge=1, le=8, strict=True, description="1 (province) to 8 (building), or its name"),
    BeforeValidator(
        lambda value: LEVELS_BY_SLUG.get(value, value) if isinstance(value, str) else value
    ),
]
Name = Annotated[str, Field(min_length=1, max_length=100)]
Code = Annotated[str, Field(pattern=r"^[0-9]{1,21}$")]
# A search term: no NUL (PostgreSQL refuses it in a query), bounded length.
SearchText = Annotated[str, Field(max_length=100, pattern=r"^[^\x00]*$")]


class Input(Schema):
    """Base of request bodies: an unknown field is a 422 naming it, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class AreaOut(Schema):
    id: int
    code: str
    path: str
    level: int
    level_slug: str
    parent_id: int | None
    name_zh: str
    name_en: str
    population: int
    bbox: list[float] | None = Field(description="[min_lon, min_lat, max_lon, max_lat]")

    @staticmethod
    def resolve_level_slug(area: Area) -> str:
        return LEVEL_SLUGS[area.level_enum]

    @staticmethod
    def resolve_bbox(area: Area) -> list[float] | None:
        if area.min_lon is None:
            return None
        return [area.min_lon, area.min_lat, area.max_lon, area.max_lat]  # type: ignore[list-item]


class AreaDetailOut(AreaOut):
    geometry: dict[str, Any] | None


class AreaPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[AreaOut]


class AreaFilters(Schema):
    level: LevelParam | None = None
    parent_id: AreaIdParam | None = None
    q: SearchText | None = Field(None, description="part of the Chinese or English name")
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0, le=2**31)


class AreaCreateIn(Input):
    code: Code
    level: LevelNumber
    parent_id: AreaId | None
    name_zh: Name
    name_en: Name
    geometry: dict[str, Any] | None = Field(None, description="GeoJSON Polygon or MultiPolygon")
    population: Population = 0


class AreaPatchIn(Input):
    """Only the fields given change; code, level and parent are fixed."""

    name_zh: Name | None = None
    name_en: Name | None = None
    geometry: dict[str, Any] | None = None
    population: Population | None = None


class FeatureProperties(Input):
    code: Code
    level: LevelNumber
    parent_code: Code | None = None
    name_zh: Name
    name_en: Name
    population: Population = 0
    id: int | None = Field(None, description="ignored: the exporting system's own id")


class FeatureIn(Input):
    type: Literal["Feature"]
    id: str | int | None = None
    geometry: dict[str, Any] | None
    properties: FeatureProperties
    bbox: list[float] | None = None


class FeatureCollectionIn(Input):
    type: Literal["FeatureCollection"]
    features: list[FeatureIn]
    bbox: list[float] | None = None
    # What desktop GIS tools put on an export; neither changes the meaning here.
    name: str | None = None
    crs: dict[str, Any] | None = None


class ImportReportOut(Schema):
    created: int
    updated: int
    unchanged: int


@router.get("/areas", response=AreaPage)
def list_areas(request: HttpRequest, filters: Query[AreaFilters]) -> dict:
    rows = selectors.area_list(
        actor=actor_of(request),
        level=filters.level,
        parent_id=filters.parent_id,
        q=filters.q,
    )
    items = rows[filters.offset : filters.offset + filters.limit]
    return {"count": rows.count(), "limit": filters.limit, "offset": filters.offset, "items": items}


@router.get("/areas/{area_id}", response=AreaDetailOut)
def get_area(request: HttpRequest, area_id: AreaIdParam) -> Area:
    return selectors.area_get(actor=actor_of(request), area_id=area_id)


@router.get("/areas/{area_id}/children.geojson", response=dict)
def area_children_geojson(request: HttpRequest, area_id: AreaIdParam) -> dict:
    area = selectors.area_get(actor=actor_of(request), area_id=area_id)
    return selectors.area_children_geojson(actor=actor_of(request), area=area)


@router.get("/areas/{area_id}/export.geojson", response=dict)
def export_area(
    request: HttpRequest, area_id: AreaIdParam, max_level: Query[LevelParam | None] = None
) -> dict:
    """The area and its subtree as a FeatureCollection that `POST /import` takes back."""
    actor = actor_of(request)
    area = selectors.area_get(actor=actor, area_id=area_id)
    return selectors.area_subtree_geojson(actor=actor, area=area, max_level=max_level)


@router.get("/locate", response=AreaOut)
def locate(
    request: HttpRequest,
    lon: Query[Annotated[float, Field(ge=-180, le=180)]],
    lat: Query[Annotated[float, Field(ge=-90, le=90)]],
    level: Query[LevelParam | None] = None,
) -> Area:
    """The deepest area (or the one at `level`) whose outline contains the point."""
    area = selectors.area_at_point(
        actor=actor_of(request),
        lon=lon,
        lat=lat,
        level=level,  # type: ignore[arg-type]
    )
    if area is None:
        raise NotFound("no area contains this point", field="lon")
    return area


@router.post("/areas", response={201: AreaDetailOut})
def create_area(request: HttpRequest, payload: AreaCreateIn) -> Status[Area]:
    area = services.area_create(actor=actor_of(request), **payload.model_dump())
    return Status(201, area)


@router.patch("/areas/{area_id}", response=AreaDetailOut)
def update_area(request: HttpRequest, area_id: AreaIdParam, payload: AreaPatchIn) -> Area:
    return services.area_update(
        actor=actor_of(request),
        area_id=area_id,
        **payload.model_dump(),
    )


@router.post("/import", response=ImportReportOut)
def import_areas(request: HttpRequest, payload: FeatureCollectionIn) -> services.ImportReport:
    """Create or update every feature of the collection, or none of them (400 per problem)."""
    collection = payload.model_dump(exclude_none=False)
    return services.areas_import_geojson(actor=actor_of(request), collection=collection)
