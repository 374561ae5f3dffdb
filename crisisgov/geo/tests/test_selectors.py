"""Reads of the tree: subtrees by path, point lookup, and what each actor may see."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from crisisgov.geo import selectors
from crisisgov.geo.levels import Level
from crisisgov.geo.models import Area
from crisisgov.geo.permissions import GeoPermission
from crisisgov.kernel.actor import SYSTEM, Actor, Scope
from crisisgov.kernel.errors import NotFound

DISTRICT_A = [
    "420102000000",
    "420102001000",
    "420102001001",
    "420102001001001",
    "420102001001001001",
    "420102001001001001001",
]


def codes(rows) -> list[str]:
    return [area.code for area in rows]


def test_a_subtree_is_every_path_that_extends_the_prefix(city):
    assert codes(Area.objects.filter(path__under="420102")) == DISTRICT_A
    assert codes(Area.objects.filter(path__under="420102001001001")) == DISTRICT_A[3:]
    # "4201020" is not a district's path; it must not match "420102" itself.
    assert codes(Area.objects.filter(path__under="4201020")) == DISTRICT_A[1:]
    assert Area.objects.filter(path__under="4201").count() == 13


def test_a_subtree_query_uses_the_path_index(city):
    rows = Area.objects.filter(path__under="420102")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # the test tables are tiny: force the choice
            cursor.execute("SET LOCAL enable_seqscan = off")
        plan = rows.explain()
        assert re.search(r"Index (Only )?Scan (using|on) geo_area_path_\w+", plan), plan
        assert "(path)::text >= '420102'::text) AND ((path)::text < '420103'::text)" in plan
    else:
        plan = rows.explain()
        assert "SEARCH geo_area USING INDEX" in plan and "(path>? AND path<?)" in plan, plan


def test_the_point_lookup_finds_the_building_under_the_point(city):
    assert selectors.area_at_point(actor=SYSTEM, lon=114.05, lat=30.05) == city.building_a
    assert selectors.area_at_point(actor=SYSTEM, lon=114.25, lat=30.05) == city.building_b
    found = selectors.area_at_point(actor=SYSTEM, lon=114.05, lat=30.05, level=Level.GRID)
    assert found == city.grid_a


def test_the_point_lookup_finds_the_deepest_area_drawn_there(city):
    """The city's east part (114.3-114.4) has no district drawn: the city is the answer."""
    assert selectors.area_at_point(actor=SYSTEM, lon=114.35, lat=30.05) == city.city


def test_a_point_outside_the_city_is_in_no_area(city):
    assert selectors.area_at_point(actor=SYSTEM, lon=113.5, lat=30.05) is None
    assert selectors.area_at_point(actor=SYSTEM, lon=114.05, lat=31.0) is None


def test_the_point_lookup_only_answers_within_the_actors_jurisdiction(city, make_user, actor_of):
    commander_b = actor_of(make_user("commander", city.district_b))
    assert selectors.area_at_point(actor=commander_b, lon=114.05, lat=30.05) is None
    assert selectors.area_at_point(actor=commander_b, lon=114.25, lat=30.05) == city.building_b


def test_the_point_lookup_covers_every_jurisdiction_of_an_actor(city):
    """Scopes at different depths (a district and a grid elsewhere) are searched alike."""
    view = frozenset({GeoPermission.VIEW_AREA})
    actor = Actor(
        user_id=1,
        username="two-hats",
        scopes=(
            Scope(role="commander", permissions=view, area_path=city.district_b.path),
            Scope(role="grid_worker", permissions=view, area_path=city.grid_a.path),
        ),
    )
    assert selectors.area_at_point(actor=actor, lon=114.05, lat=30.05) == city.building_a
    assert selectors.area_at_point(actor=actor, lon=114.25, lat=30.05) == city.building_b
    assert selectors.area_at_point(actor=actor, lon=114.05, lat=30.05, level=6) == city.grid_a
    assert selectors.area_at_point(actor=actor, lon=114.25, lat=30.05, level=3) == city.district_b
    assert selectors.area_at_point(actor=actor, lon=114.05, lat=30.05, level=3) is None


def test_an_area_without_an_outline_is_looked_through(city):
    Area.objects.filter(pk=city.street_a.pk).update(
        geometry=None, min_lon=None, min_lat=None, max_lon=None, max_lat=None
    )
    assert selectors.area_at_point(actor=SYSTEM, lon=114.05, lat=30.05) == city.building_a
    assert selectors.area_at_point(actor=SYSTEM, lon=114.05, lat=30.05, level=4) is None


def test_an_actor_sees_their_subtree_only(city, make_user, actor_of):
    commander_a = actor_of(make_user("commander", city.district_a))
    worker = actor_of(make_user("grid_worker", city.grid_a))
    citizen = actor_of(make_user("citizen", city.building_a))

    assert codes(selectors.area_visible(actor=commander_a)) == DISTRICT_A
    assert codes(selectors.area_visible(actor=worker)) == DISTRICT_A[3:]
    assert codes(selectors.area_visible(actor=citizen)) == []
    assert codes(selectors.area_roots_for_actor(actor=commander_a)) == ["420102000000"]
    assert codes(selectors.area_roots_for_actor(actor=SYSTEM)) == ["420000000000"]


def test_an_area_outside_the_jurisdiction_reads_as_missing(city, make_user, actor_of):
    commander_a = actor_of(make_user("commander", city.district_a))
    with pytest.raises(NotFound) as hidden:
        selectors.area_get(actor=commander_a, area_id=city.grid_b.pk)
    with pytest.raises(NotFound) as missing:
        selectors.area_get(actor=commander_a, area_id=10**9)
    assert hidden.value.as_dict() == missing.value.as_dict()


def test_the_breadcrumb_stops_at_the_top_of_the_jurisdiction(city, make_user, actor_of):
    commander_a = actor_of(make_user("commander", city.district_a))
    trail = selectors.area_breadcrumb(actor=commander_a, area=city.building_a)
    assert codes(trail) == DISTRICT_A
    full = selectors.area_breadcrumb(actor=SYSTEM, area=city.building_a)
    assert codes(full) == ["420000000000", "420100000000", *DISTRICT_A]


def test_the_list_filters_by_level_parent_and_name(city, make_user, actor_of):
    commander_a = actor_of(make_user("commander", city.district_a))
    assert codes(selectors.area_list(actor=SYSTEM, level=Level.DISTRICT)) == [
        "420102000000",
        "420103000000",
    ]
    assert codes(selectors.area_list(actor=SYSTEM, parent_id=city.city.pk)) == [
        "420102000000",
        "420103000000",
    ]
    assert codes(selectors.area_list(actor=SYSTEM, q="estate")) == [
        "420102001001001001",
        "420103001001001001",
    ]
    assert codes(selectors.area_list(actor=commander_a, q="小区")) == ["420102001001001001"]
    assert codes(selectors.area_list(actor=commander_a, level=3, q="江汉")) == []


def test_the_subtree_export_stops_at_max_level(city):
    exported = selectors.area_subtree_geojson(actor=SYSTEM, area=city.district_a, max_level=5)
    assert [f["properties"]["code"] for f in exported["features"]] == DISTRICT_A[:3]
    assert exported["features"][0]["properties"] == {
        "id": city.district_a.pk,
        "code": "420102000000",
        "level": 3,
        "parent_code": "420100000000",
        "name_zh": "江岸区",
        "name_en": "江岸 District",
        "population": 200,
    }
