"""The outline checks alone: no database."""

from __future__ import annotations

import pytest
from shapely.geometry import shape

from crisisgov.geo import geometry
from crisisgov.geo.geometry import GeometryError, parse_outline
from crisisgov.geo.tests.factories import BOW_TIE, rectangle


def test_a_rectangle_is_kept_as_floats_with_its_bbox():
    outline = parse_outline(
        {"type": "Polygon", "coordinates": [[[114, 30], [115, 30], [115, 31], [114, 30]]]}
    )
    assert outline.geojson == {
        "type": "Polygon",
        "coordinates": [[[114.0, 30.0], [115.0, 30.0], [115.0, 31.0], [114.0, 30.0]]],
    }
    assert outline.bbox == (114.0, 30.0, 115.0, 31.0)


def test_foreign_members_and_altitudes_are_dropped():
    value = rectangle(1, 2, 3, 4) | {"crs": {"type": "name"}}
    value["coordinates"][0][1] = [3, 2, 55.5]
    assert parse_outline(value).geojson == rectangle(1.0, 2.0, 3.0, 4.0)


def test_a_multipolygon_of_two_islands_is_accepted():
    value = {
        "type": "MultiPolygon",
        "coordinates": [rectangle(0, 0, 1, 1)["coordinates"], rectangle(2, 2, 3, 3)["coordinates"]],
    }
    assert parse_outline(value).bbox == (0.0, 0.0, 3.0, 3.0)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([1, 2], "a geometry is a GeoJSON object"),
        (
            {"type": "Point", "coordinates": [1, 2]},
            "an area outline is a Polygon or MultiPolygon, not 'Point'",
        ),
        (
            {"type": "Polygon", "coordinates": []},
            "a polygon is a list of linear rings (at coordinates)",
        ),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]},
            "a linear ring has at least four positions (at coordinates[0])",
        ),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]},
            "a linear ring must end where it starts (closed) (at coordinates[0])",
        ),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], ["1", 1], [0, 0]]]},
            "coordinates are numbers (at coordinates[0][2])",
        ),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [True, 1], [0, 0]]]},
            "coordinates are numbers (at coordinates[0][2])",
        ),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [181, 0], [1, 1], [0, 0]]]},
            "longitude 181.0 is outside [-180, 180] (at coordinates[0][1])",
        ),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [1, -91], [1, 1], [0, 0]]]},
            "latitude -91.0 is outside [-90, 90] (at coordinates[0][1])",
        ),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [float("nan"), 0], [1, 1], [0, 0]]]},
            "coordinates are finite numbers (at coordinates[0][1])",
        ),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [2, 2], [0, 0]]]},
            "the outline is not a valid polygon: Self-intersection[1 1]",
        ),
        (
            {"type": "MultiPolygon", "coordinates": []},
            "a MultiPolygon has at least one polygon (at coordinates)",
        ),
    ],
)
def test_malformed_outlines_are_refused_saying_where(value, message):
    with pytest.raises(GeometryError) as caught:
        parse_outline(value)
    assert str(caught.value) == message


def test_a_self_intersecting_ring_is_refused_with_shapelys_explanation():
    with pytest.raises(GeometryError) as caught:
        parse_outline(BOW_TIE)
    assert str(caught.value) == (
        "the outline is not a valid polygon: Self-intersection[114.025 30.025]"
    )


def test_a_child_sharing_its_parents_edges_is_inside():
    parent = shape(rectangle(114.0, 30.0, 114.1, 30.1))
    assert geometry.covers(parent, shape(rectangle(114.0, 30.0, 114.1, 30.1)))
    assert geometry.covers(parent, shape(rectangle(114.0, 30.0, 114.05, 30.1)))


def test_rounding_along_a_shared_edge_is_tolerated_but_an_overhang_is_not():
    parent = shape(rectangle(114.0, 30.0, 114.1, 30.1))
    assert geometry.covers(parent, shape(rectangle(114.0, 30.0, 114.10000005, 30.1)))
    assert not geometry.covers(parent, shape(rectangle(114.0, 30.0, 114.1001, 30.1)))


def test_a_point_on_the_boundary_is_contained():
    outline = shape(rectangle(0, 0, 1, 1))
    assert geometry.contains_point(outline, 1.0, 0.5)
    assert not geometry.contains_point(outline, 1.5, 0.5)
