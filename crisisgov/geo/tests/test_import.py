"""GeoJSON import of a subtree: all or nothing, every problem named, re-import idempotent."""

from __future__ import annotations

import re

import pytest

from crisisgov.geo import selectors, services
from crisisgov.geo.models import Area
from crisisgov.geo.tests.factories import BOW_TIE, collection, feature
from crisisgov.kernel.actor import SYSTEM
from crisisgov.kernel.models import AuditEntry, OutboxEvent
from tests.scoping import rows_snapshot

snapshot = rows_snapshot(Area, AuditEntry, OutboxEvent)
COMMUNITY_A = "420102001001"
GRID = "420102001001002"
ESTATE = "420102001001002001"
BUILDING = "420102001001002001001"


@pytest.fixture
def commander_a(city, make_user, actor_of):
    return actor_of(make_user("commander", city.district_a, username="commander-a"))


def new_grid_file(**grid_extra):
    """A grid with an estate and a building, the building first: order does not matter."""
    return collection(
        feature(BUILDING, "building", ESTATE, box=(114.0, 30.0, 114.01, 30.01), population=40),
        feature(GRID, 6, COMMUNITY_A, **({"population": 90} | grid_extra)),
        feature(ESTATE, "residential_area", GRID, box=(114.0, 30.0, 114.02, 30.02)),
    )


def problems_of(actor, file) -> list[dict]:
    before = snapshot()
    with pytest.raises(services.ImportRejected) as caught:
        services.areas_import_geojson(actor=actor, collection=file)
    assert snapshot() == before, "a refused import wrote something"
    return caught.value.as_dict()["detail"]


def test_a_new_grid_with_its_estate_and_building_is_created(city, commander_a):
    report = services.areas_import_geojson(actor=commander_a, collection=new_grid_file())

    assert report == services.ImportReport(created=3, updated=0, unchanged=0)
    rows = Area.objects.filter(path__under=GRID).select_related("parent").order_by("path")
    assert [(a.code, a.path, a.level, a.parent.code, a.population) for a in rows] == [
        (GRID, GRID, 6, COMMUNITY_A, 90),
        (ESTATE, ESTATE, 7, GRID, 10),
        (BUILDING, BUILDING, 8, ESTATE, 40),
    ]
    assert (
        rows[2].geometry
        == feature(BUILDING, 8, ESTATE, box=(114.0, 30.0, 114.01, 30.01))["geometry"]
    )
    assert (rows[2].min_lon, rows[2].max_lat) == (114.0, 30.01)
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor_username, entry.area_path, entry.detail) == (
        "geo.areas_imported",
        "commander-a",
        GRID,
        {"created": [GRID, ESTATE, BUILDING], "updated": {}},
    )
    event = OutboxEvent.objects.get()
    assert (event.topic, event.payload["action"], event.payload["paths"]) == (
        "geo.area_changed",
        "imported",
        [GRID, ESTATE, BUILDING],
    )


def test_importing_the_same_file_twice_changes_nothing_the_second_time(city, commander_a):
    services.areas_import_geojson(actor=commander_a, collection=new_grid_file())
    before = snapshot()

    report = services.areas_import_geojson(actor=commander_a, collection=new_grid_file())

    assert report == services.ImportReport(created=0, updated=0, unchanged=3)
    assert snapshot() == before


def test_an_existing_code_takes_the_files_names_outline_and_population(city, commander_a):
    services.areas_import_geojson(actor=commander_a, collection=new_grid_file())
    changed = new_grid_file(name_en="Riverside Grid", population=95)

    report = services.areas_import_geojson(actor=commander_a, collection=changed)

    assert report == services.ImportReport(created=0, updated=1, unchanged=2)
    grid = Area.objects.get(code=GRID)
    assert (grid.name_en, grid.population) == ("Riverside Grid", 95)
    entry = AuditEntry.objects.order_by("seq").last()
    assert (entry.action, entry.area_path, entry.detail) == (
        "geo.areas_imported",
        GRID,
        {"created": [], "updated": {GRID: ["name_en", "population"]}},
    )


def test_export_then_import_gives_back_the_same_rows(city):
    district_a = selectors.area_subtree_geojson(actor=SYSTEM, area=city.district_a)
    columns = ["code", "path", "level", "parent__code", "name_zh", "name_en", "geometry"]
    columns += ["min_lon", "min_lat", "max_lon", "max_lat", "population"]
    before = list(Area.objects.filter(path__under="420102").values(*columns))
    assert len(before) == 6
    # Remove the district (leaves first, as the tree protects parents), then import it back.
    for area in reversed(Area.objects.filter(path__under="420102").order_by("path")):
        area.delete()

    report = services.areas_import_geojson(actor=SYSTEM, collection=district_a)

    assert report == services.ImportReport(created=6, updated=0, unchanged=0)
    assert list(Area.objects.filter(path__under="420102").values(*columns)) == before
    again = selectors.area_subtree_geojson(actor=SYSTEM, area=Area.objects.get(path="420102"))
    for exported in (district_a, again):
        for item in exported["features"]:
            del item["properties"]["id"]  # the database id is the only thing allowed to differ
    assert again == district_a


def test_a_commander_can_reimport_their_districts_export(city, commander_a):
    """The district's parent (the city) is outside their jurisdiction but is its parent."""
    exported = selectors.area_subtree_geojson(actor=commander_a, area=city.district_a)
    report = services.areas_import_geojson(actor=commander_a, collection=exported)
    assert report == services.ImportReport(created=0, updated=0, unchanged=6)


def detail(index, code, field, message, kind="invalid"):
    where = f"feature {index}" + (f" ({code})" if code else "")
    return {"code": kind, "field": f"features.{index}.{field}", "message": f"{where}: {message}"}


def test_an_invalid_outline_is_named_with_its_feature(city, commander_a):
    file = new_grid_file()
    file["features"][2]["geometry"] = BOW_TIE
    assert problems_of(commander_a, file) == [
        detail(
            2,
            ESTATE,
            "geometry",
            "the outline is not a valid polygon: Self-intersection[114.025 30.025]",
        )
    ]


def test_an_unknown_parent_is_named_with_its_feature(city, commander_a):
    file = collection(feature("420102001002001", 6, "420102001002"))
    assert problems_of(commander_a, file) == [
        detail(
            0,
            "420102001002001",
            "properties.parent_code",
            "no area has this parent code",
            "not_found",
        )
    ]


def test_a_parent_in_another_district_reads_exactly_like_a_missing_one(city, commander_a):
    hidden = problems_of(commander_a, collection(feature("420103001001002", 6, "420103001001")))
    missing = problems_of(commander_a, collection(feature("420109001001002", 6, "420109001001")))

    def without_codes(details):
        return [{k: re.sub(r"\d{12,}", "…", v) for k, v in d.items()} for d in details]

    assert without_codes(hidden) == without_codes(missing)
    assert hidden[0]["code"] == "not_found"


def test_a_cycle_among_features_is_named_on_each_member(city, commander_a):
    file = collection(
        feature(GRID, 6, ESTATE),
        feature(ESTATE, 7, GRID),
    )
    cycle = f"the parent codes form a cycle: {GRID} → {ESTATE} → {GRID}"
    assert problems_of(commander_a, file) == [
        detail(0, GRID, "properties.parent_code", cycle),
        detail(1, ESTATE, "properties.parent_code", cycle),
    ]


def test_a_feature_that_is_its_own_parent_is_a_cycle(city, commander_a):
    file = collection(feature(GRID, 6, GRID))
    assert problems_of(commander_a, file) == [
        detail(0, GRID, "properties.parent_code", f"the parent codes form a cycle: {GRID} → {GRID}")
    ]


def test_a_level_out_of_order_is_named(city, commander_a):
    file = collection(feature("420102001001001002", "residential_area", COMMUNITY_A))
    assert problems_of(commander_a, file) == [
        detail(
            0,
            "420102001001001002",
            "properties.level",
            "the level below a community is grid, not residential_area",
        )
    ]


def test_a_code_not_under_its_parent_is_named(city, commander_a):
    file = collection(feature("420102001002002", 6, COMMUNITY_A))
    assert problems_of(commander_a, file) == [
        detail(
            0,
            "420102001002002",
            "properties.code",
            "the code must start with its parent's digits 420102001001",
        )
    ]


def test_a_child_outside_its_parent_in_the_file_is_named(city, commander_a):
    file = new_grid_file()
    file["features"][0] = feature(BUILDING, 8, ESTATE, box=(114.03, 30.0, 114.04, 30.01))
    assert problems_of(commander_a, file) == [
        detail(0, BUILDING, "geometry", f"the outline is not inside its parent {ESTATE}'s outline")
    ]


def test_a_redrawn_parent_must_keep_the_children_the_file_leaves_alone(city, commander_a):
    file = collection(feature("420102001001001001", 7, "420102001001001"))
    assert problems_of(commander_a, file) == [
        detail(
            0,
            "420102001001001001",
            "geometry",
            "the outline leaves out its children 420102001001001001001",
        )
    ]


def test_a_duplicate_code_in_the_file_is_named_on_the_repeat(city, commander_a):
    file = new_grid_file()
    file["features"].append(feature(GRID, 6, COMMUNITY_A))
    assert problems_of(commander_a, file) == [
        detail(3, GRID, "properties.code", "the code repeats feature 1", "duplicate")
    ]


def test_wrong_types_and_unknown_properties_are_each_named(city, commander_a):
    numeric_code = feature("420102001001003", "hamlet", COMMUNITY_A, name_zh=None)
    numeric_code["properties"]["code"] = 420102001001003  # a number loses leading zeros
    numeric_code["properties"]["name_en"] = ["Grid", "3"]
    del numeric_code["properties"]["name_zh"]
    file = collection(
        feature(GRID, 6, COMMUNITY_A, population="many", colour="red"),
        numeric_code,
        {"type": "Point"},
    )
    assert problems_of(commander_a, file) == [
        detail(0, GRID, "properties.colour", "unknown property", "extra_forbidden"),
        detail(0, GRID, "properties.population", "a population is a whole number"),
        detail(1, "", "properties.code", "a code is a string of up to 21 digits"),
        detail(1, "", "properties.level", "a level is 1 (province) to 8 (building), or its name"),
        detail(1, "", "properties.name_zh", "a name is required"),
        detail(1, "", "properties.name_en", "a name is text"),
        detail(2, "", "type", "each item of features is a GeoJSON Feature"),
    ]


def test_an_analyst_may_not_import(city, make_user, actor_of):
    analyst = actor_of(make_user("analyst", city.district_a))
    assert problems_of(analyst, new_grid_file()) == [
        detail(1, GRID, "properties.parent_code", "you may not add areas here", "forbidden")
    ]


def test_not_a_feature_collection_is_refused(city):
    with pytest.raises(services.DomainError) as caught:
        services.areas_import_geojson(actor=SYSTEM, collection={"type": "Feature"})
    assert (caught.value.field, caught.value.message) == (
        "type",
        "an import is a GeoJSON FeatureCollection",
    )
