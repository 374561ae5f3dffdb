"""Area outlines as GeoJSON geometries: parsing, validation, bounding boxes, containment.

Pure shapely, no Django, so the checks can be tested and benchmarked on their own. An area's
outline is a Polygon or MultiPolygon in WGS 84 longitude/latitude (RFC 7946).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

AREA_TYPES = ("Polygon", "MultiPolygon")
# A child may overhang its parent by this many degrees (about 1 cm) where the two were drawn
# from sources that round shared edges differently; GeoJSON files usually carry 6-7 decimals.
EDGE_TOLERANCE_DEGREES = 1e-7

BBox = tuple[float, float, float, float]  # min_lon, min_lat, max_lon, max_lat


class GeometryError(ValueError):
    """Why a geometry is not a usable area outline; `where` points into the coordinates."""

    def __init__(self, message: str, *, where: str = ""):
        super().__init__(f"{message} (at {where})" if where else message)
        self.message = message
        self.where = where


@dataclass(frozen=True)
class Outline:
    """A validated outline: the normalised GeoJSON to store and its shapely shape."""

    geojson: dict[str, Any]
    shape: Polygon | MultiPolygon

    @property
    def bbox(self) -> BBox:
        return bbox(self.shape)


def parse_outline(value: Any) -> Outline:
    """Validate a GeoJSON Polygon/MultiPolygon; raise GeometryError saying what is wrong.

    The stored form keeps only `type` and `coordinates` (foreign members such as `crs` are
    dropped) with every position as a [lon, lat] pair of floats.
    """
    if not isinstance(value, dict):
        raise GeometryError("a geometry is a GeoJSON object")
    kind = value.get("type")
    if kind not in AREA_TYPES:
        raise GeometryError(f"an area outline is a Polygon or MultiPolygon, not {kind!r}")
    coordinates = value.get("coordinates")
    if kind == "Polygon":
        normalised: list = _polygon(coordinates, "coordinates")
    else:
        if not isinstance(coordinates, list) or not coordinates:
            raise GeometryError("a MultiPolygon has at least one polygon", where="coordinates")
        normalised = [
            _polygon(polygon, f"coordinates[{i}]") for i, polygon in enumerate(coordinates)
        ]
    geojson = {"type": kind, "coordinates": normalised}
    outline = shape(geojson)
    if not shapely.is_valid(outline):
        raise GeometryError(f"the outline is not a valid polygon: {explain_validity(outline)}")
    if outline.is_empty or outline.area == 0:
        raise GeometryError("the outline encloses no area")
    return Outline(geojson=geojson, shape=outline)


def _polygon(rings: Any, where: str) -> list[list[list[float]]]:
    if not isinstance(rings, list) or not rings:
        raise GeometryError("a polygon is a list of linear rings", where=where)
    return [_ring(ring, f"{where}[{i}]") for i, ring in enumerate(rings)]


def _ring(ring: Any, where: str) -> list[list[float]]:
    if not isinstance(ring, list) or len(ring) < 4:
        raise GeometryError("a linear ring has at least four positions", where=where)
    positions = [_position(p, f"{where}[{i}]") for i, p in enumerate(ring)]
    if positions[0] != positions[-1]:
        raise GeometryError("a linear ring must end where it starts (closed)", where=where)
    return positions


def _position(position: Any, where: str) -> list[float]:
    if not isinstance(position, list | tuple) or len(position) not in (2, 3):
        raise GeometryError("a position is [longitude, latitude]", where=where)
    # bool is an int in Python; a JSON true is not a coordinate.
    if not all(isinstance(n, int | float) and not isinstance(n, bool) for n in position):
        raise GeometryError("coordinates are numbers", where=where)
    lon, lat = float(position[0]), float(position[1])
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise GeometryError("coordinates are finite numbers", where=where)
    if not -180 <= lon <= 180:
        raise GeometryError(f"longitude {lon} is outside [-180, 180]", where=where)
    if not -90 <= lat <= 90:
        raise GeometryError(f"latitude {lat} is outside [-90, 90]", where=where)
    return [lon, lat]  # an altitude says nothing about an administrative boundary


def outline_shape(geojson: dict[str, Any]) -> BaseGeometry:
    """The shape of an outline already stored (validated when it was written)."""
    return shape(geojson)


def bbox(geometry: BaseGeometry) -> BBox:
    min_lon, min_lat, max_lon, max_lat = geometry.bounds
    return (min_lon, min_lat, max_lon, max_lat)


def covers(parent: BaseGeometry, child: BaseGeometry) -> bool:
    """True when `child` lies inside `parent`, allowing for rounding along shared edges."""
    shapely.prepare(parent)  # a parent is usually asked about many children
    if parent.covers(child):  # the usual case, and the cheap one
        return True
    return parent.buffer(EDGE_TOLERANCE_DEGREES).covers(child)


def contains_point(geometry: BaseGeometry, lon: float, lat: float) -> bool:
    """True when the point is inside the outline or on its boundary."""
    return geometry.covers(Point(lon, lat))
