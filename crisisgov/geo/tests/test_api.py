"""The areas API over HTTP: scope, the shape of answers, and every kind of bad request."""

from __future__ import annotations

import json

import pytest
from django.conf import settings

from crisisgov.geo.api import router
from crisisgov.geo.models import Area
from crisisgov.geo.tests.factories import BOW_TIE, collection, feature, rectangle
from crisisgov.kernel.models import AuditEntry, OutboxEvent
from tests.scoping import assert_hidden_from_outsiders, rows_snapshot, send

snapshot = rows_snapshot(Area, AuditEntry, OutboxEvent)
MISSING = 10**9
NEW_GRID = "420102001001002"


@pytest.fixture
def commander_a(city, make_user):
    return make_user("commander", city.district_a)


@pytest.fixture
def commander_b(city, make_user):
    return make_user("commander", city.district_b)


@pytest.fixture
def as_commander_a(client, commander_a):
    client.force_login(commander_a)
    return client


def new_grid(parent: int, **overrides) -> dict:
    return {
        "code": NEW_GRID,
        "level": 6,
        "parent_id": parent,
        "name_zh": "江岸二网格",
        "name_en": "Jiang'an Grid 2",
        "geometry": rectangle(114.05, 30.0, 114.1, 30.05),
        "population": 120,
    } | overrides


# --- outsiders: anonymous callers and another district's commander -----------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/geo/areas/{id}",
        "/api/geo/areas/{id}/children.geojson",
        "/api/geo/areas/{id}/export.geojson",
    ],
)
def test_reading_an_area_of_another_district_answers_like_a_missing_one(
    client, city, commander_a, path
):
    assert_hidden_from_outsiders(
        client,
        "get",
        path.format(id=city.grid_b.pk),
        commander_a,
        snapshot=snapshot,
        missing_url=path.format(id=MISSING),
    )


def test_the_list_shows_outsiders_nothing_of_another_district(client, city, commander_a):
    hidden = assert_hidden_from_outsiders(
        client,
        "get",
        f"/api/geo/areas?parent_id={city.community_b.pk}",
        commander_a,
        snapshot=snapshot,
        missing_url=f"/api/geo/areas?parent_id={MISSING}",
    )
    assert hidden.json() == {"count": 0, "limit": 100, "offset": 0, "items": []}


def test_locating_a_point_in_another_district_answers_like_a_point_in_no_area(
    client, city, commander_a
):
    assert_hidden_from_outsiders(
        client,
        "get",
        "/api/geo/locate?lon=114.25&lat=30.05",
        commander_a,
        snapshot=snapshot,
        missing_url="/api/geo/locate?lon=113.5&lat=30.05",
    )


def test_adding_an_area_to_another_district_answers_like_a_missing_parent(
    client, city, commander_b
):
    hidden = assert_hidden_from_outsiders(
        client,
        "post",
        "/api/geo/areas",
        commander_b,
        body=new_grid(city.community_a.pk),
        snapshot=snapshot,
        missing_body=new_grid(MISSING),
    )
    assert hidden.json() == {
        "detail": [{"code": "not_found", "message": "no such area", "field": "parent_id"}]
    }


def test_changing_an_area_of_another_district_answers_like_a_missing_one(client, city, commander_b):
    assert_hidden_from_outsiders(
        client,
        "patch",
        f"/api/geo/areas/{city.building_a.pk}",
        commander_b,
        body={"name_en": "Taken over"},
        snapshot=snapshot,
        missing_url=f"/api/geo/areas/{MISSING}",
    )


def test_importing_into_another_district_answers_like_a_missing_parent(client, city, commander_b):
    hidden = assert_hidden_from_outsiders(
        client,
        "post",
        "/api/geo/import",
        commander_b,
        body=collection(feature(NEW_GRID, 6, "420102001001")),
        snapshot=snapshot,
        # The same file about a district that does not exist; the answer quotes the codes.
        missing_body=collection(feature("420109001001002", 6, "420109001001")),
        normalise=lambda answer: json.loads(json.dumps(answer).replace("420109", "420102")),
    )
    assert (hidden.status_code, hidden.json()) == (
        400,
        {
            "detail": [
                {
                    "code": "not_found",
                    "field": "features.0.properties.parent_code",
                    "message": f"feature 0 ({NEW_GRID}): no area has this parent code",
                }
            ]
        },
    )


# Each endpoint and the test above that gives it its outsider cases.
OUTSIDER_CASES = {
    ("GET", "/areas"): test_the_list_shows_outsiders_nothing_of_another_district,
    (
        "GET",
        "/areas/{area_id}",
    ): test_reading_an_area_of_another_district_answers_like_a_missing_one,
    ("GET", "/areas/{area_id}/children.geojson"): (
        test_reading_an_area_of_another_district_answers_like_a_missing_one
    ),
    ("GET", "/areas/{area_id}/export.geojson"): (
        test_reading_an_area_of_another_district_answers_like_a_missing_one
    ),
    ("GET", "/locate"): test_locating_a_point_in_another_district_answers_like_a_point_in_no_area,
    ("POST", "/areas"): test_adding_an_area_to_another_district_answers_like_a_missing_parent,
    ("PATCH", "/areas/{area_id}"): (
        test_changing_an_area_of_another_district_answers_like_a_missing_one
    ),
    ("POST", "/import"): test_importing_into_another_district_answers_like_a_missing_parent,
}


def test_every_endpoint_has_its_outsider_cases():
    """A new endpoint fails here until it gets its anonymous and other-district test."""
    endpoints = {
        (method, path)
        for path, view in router.path_operations.items()
        for operation in view.operations
        for method in operation.methods
    }
    assert endpoints == set(OUTSIDER_CASES)


# --- what an insider gets --------------------------------------------------------------------


def test_the_list_is_the_callers_subtree_in_code_order_and_pages(as_commander_a, city):
    page = as_commander_a.get("/api/geo/areas?limit=2&offset=1").json()
    assert (page["count"], page["limit"], page["offset"]) == (6, 2, 1)
    assert [item["code"] for item in page["items"]] == ["420102001000", "420102001001"]
    assert page["items"][0] == {
        "id": city.street_a.pk,
        "code": "420102001000",
        "path": "420102001",
        "level": 4,
        "level_slug": "street",
        "parent_id": city.district_a.pk,
        "name_zh": "江岸街道",
        "name_en": "江岸 Street",
        "population": 200,
        "bbox": [114.0, 30.0, 114.1, 30.1],
    }


def test_the_list_filters_by_level_and_name(as_commander_a, city):
    answer = as_commander_a.get("/api/geo/areas", {"level": 8, "q": "Building"}).json()
    assert [item["code"] for item in answer["items"]] == ["420102001001001001001"]


def test_a_detail_carries_the_outline(as_commander_a, city):
    answer = as_commander_a.get(f"/api/geo/areas/{city.grid_a.pk}").json()
    assert (answer["code"], answer["level_slug"], answer["geometry"]) == (
        "420102001001001",
        "grid",
        rectangle(114.0, 30.0, 114.1, 30.1),
    )


def test_children_are_a_feature_collection(as_commander_a, city):
    answer = as_commander_a.get(f"/api/geo/areas/{city.street_a.pk}/children.geojson").json()
    assert answer["type"] == "FeatureCollection"
    assert [f["properties"]["code"] for f in answer["features"]] == ["420102001001"]


def test_the_export_stops_at_max_level(as_commander_a, city):
    url = f"/api/geo/areas/{city.district_a.pk}/export.geojson?max_level=4"
    answer = as_commander_a.get(url).json()
    assert [f["properties"]["code"] for f in answer["features"]] == [
        "420102000000",
        "420102001000",
    ]


def test_locate_answers_the_building_under_the_point(as_commander_a, city):
    answer = as_commander_a.get("/api/geo/locate", {"lon": 114.05, "lat": 30.05}).json()
    assert (answer["id"], answer["code"]) == (city.building_a.pk, "420102001001001001001")


def test_locate_outside_every_area_is_a_404(as_commander_a, city):
    response = as_commander_a.get("/api/geo/locate", {"lon": 120.0, "lat": 30.05})
    assert (response.status_code, response.json()) == (
        404,
        {
            "detail": [
                {"code": "not_found", "message": "no area contains this point", "field": "lon"}
            ]
        },
    )


def test_create_answers_201_with_the_new_area(as_commander_a, city):
    response = send(as_commander_a, "post", "/api/geo/areas", new_grid(city.community_a.pk))
    assert response.status_code == 201
    body = response.json()
    assert (body["code"], body["path"], body["parent_id"], body["bbox"]) == (
        NEW_GRID,
        NEW_GRID,
        city.community_a.pk,
        [114.05, 30.0, 114.1, 30.05],
    )
    assert Area.objects.filter(code=NEW_GRID).count() == 1


def test_patch_changes_only_the_fields_given(as_commander_a, city):
    url = f"/api/geo/areas/{city.building_a.pk}"
    response = send(as_commander_a, "patch", url, {"population": 150})
    assert (response.status_code, response.json()["population"], response.json()["name_en"]) == (
        200,
        150,
        "江岸 Building 1",
    )
    assert Area.objects.get(pk=city.building_a.pk).population == 150


def test_import_answers_the_counts(as_commander_a, city):
    file = collection(feature(NEW_GRID, "grid", "420102001001"))
    response = send(as_commander_a, "post", "/api/geo/import", file)
    assert (response.status_code, response.json()) == (
        200,
        {"created": 1, "updated": 0, "unchanged": 0},
    )


def test_an_export_can_be_posted_back_as_is(as_commander_a, city):
    exported = as_commander_a.get(f"/api/geo/areas/{city.district_a.pk}/export.geojson").json()
    response = send(as_commander_a, "post", "/api/geo/import", exported)
    assert (response.status_code, response.json()) == (
        200,
        {"created": 0, "updated": 0, "unchanged": 6},
    )


# --- bad requests: always a 4xx naming the field, never a 500, nothing written ---------------

WRITES = [
    ("post", "/api/geo/areas"),
    ("patch", "/api/geo/areas/{building}"),
    ("post", "/api/geo/import"),
]


@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize("body", [b"{not json", b'{"name_en": "x"', b"\xff\xfe", b"[1, 2"])
def test_a_malformed_json_body_is_a_400(as_commander_a, city, method, path, body):
    before = snapshot()
    response = send(as_commander_a, method, path.format(building=city.building_a.pk), body)
    assert (response.status_code, response.json()) == (
        400,
        {
            "detail": [
                {
                    "code": "malformed",
                    "field": "body",
                    "message": "the request body is not valid JSON",
                }
            ]
        },
    )
    assert snapshot() == before


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_an_oversized_body_is_a_413(as_commander_a, city, method, path):
    before = snapshot()
    padding = "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = json.dumps({"name_en": padding})
    response = send(as_commander_a, method, path.format(building=city.building_a.pk), body)
    assert (response.status_code, response.json()) == (
        413,
        {
            "detail": [
                {"code": "too_large", "field": "body", "message": "the request body is too large"}
            ]
        },
    )
    assert snapshot() == before


def fields_of(response) -> list[tuple[str, str]]:
    return [(item["field"], item["code"]) for item in response.json()["detail"]]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"population": "many"}, [("population", "int_type")]),
        ({"population": 1.5}, [("population", "int_type")]),
        ({"population": -1}, [("population", "greater_than_equal")]),
        ({"population": 2**40}, [("population", "less_than_equal")]),
        ({"level": "hamlet"}, [("level", "int_type")]),
        ({"level": ["grid"]}, [("level", "int_type")]),
        ({"level": 0}, [("level", "greater_than_equal")]),
        ({"parent_id": "12"}, [("parent_id", "int_type")]),
        ({"parent_id": 2**70}, [("parent_id", "less_than_equal")]),
        ({"code": "42-01"}, [("code", "string_pattern_mismatch")]),
        ({"name_zh": 5}, [("name_zh", "string_type")]),
        ({"name_en": ""}, [("name_en", "string_too_short")]),
        ({"geometry": [1, 2]}, [("geometry", "dict_type")]),
        ({"colour": "red"}, [("colour", "extra_forbidden")]),
    ],
)
def test_wrong_types_and_unknown_fields_are_a_422_naming_the_field(
    as_commander_a, city, overrides, expected
):
    before = snapshot()
    response = send(
        as_commander_a, "post", "/api/geo/areas", new_grid(city.community_a.pk, **overrides)
    )
    assert response.status_code == 422
    assert [(field.replace(" ", ""), code) for field, code in fields_of(response)] == expected
    assert snapshot() == before


def test_a_missing_required_field_is_a_422_naming_it(as_commander_a, city):
    body = new_grid(city.community_a.pk)
    del body["code"]
    response = send(as_commander_a, "post", "/api/geo/areas", body)
    assert (response.status_code, fields_of(response)) == (422, [("code", "missing")])


def test_a_json_array_instead_of_an_object_is_a_422(as_commander_a, city):
    response = send(as_commander_a, "post", "/api/geo/areas", [1, 2])
    assert (response.status_code, fields_of(response)) == (422, [("", "model_attributes_type")])


def test_an_unknown_field_in_an_import_feature_is_a_422_naming_it(as_commander_a, city):
    before = snapshot()
    file = collection(feature(NEW_GRID, 6, "420102001001", colour="red"))
    response = send(as_commander_a, "post", "/api/geo/import", file)
    assert (response.status_code, fields_of(response)) == (
        422,
        [("features.0.properties.colour", "extra_forbidden")],
    )
    assert snapshot() == before


def test_an_unknown_field_in_a_patch_is_a_422(as_commander_a, city):
    url = f"/api/geo/areas/{city.building_a.pk}"
    response = send(as_commander_a, "patch", url, {"code": "420102001001001001002"})
    assert (response.status_code, fields_of(response)) == (422, [("code", "extra_forbidden")])


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/api/geo/areas/99999999999999999999999", [("path.area_id", "less_than_equal")]),
        ("/api/geo/areas/0", [("path.area_id", "greater_than_equal")]),
        ("/api/geo/areas?limit=501", [("query.limit", "less_than_equal")]),
        ("/api/geo/areas?limit=ten", [("query.limit", "int_parsing")]),
        ("/api/geo/areas?q=%00", [("query.q", "string_pattern_mismatch")]),
        ("/api/geo/areas?level=9", [("query.level", "less_than_equal")]),
        ("/api/geo/locate?lon=200&lat=30", [("query.lon", "less_than_equal")]),
        ("/api/geo/locate?lon=nan&lat=30", [("query.lon", "less_than_equal")]),
        ("/api/geo/locate?lat=30", [("query.lon", "missing")]),
    ],
)
def test_bad_ids_and_query_parameters_are_a_422_naming_them(as_commander_a, city, url, expected):
    response = as_commander_a.get(url)
    assert (response.status_code, fields_of(response)) == (422, expected)


def test_an_invalid_polygon_in_an_import_is_a_400_naming_the_feature(as_commander_a, city):
    before = snapshot()
    file = collection(
        feature(NEW_GRID, 6, "420102001001"),
        feature("420102001001002001", 7, NEW_GRID) | {"geometry": BOW_TIE},
    )
    response = send(as_commander_a, "post", "/api/geo/import", file)
    assert (response.status_code, response.json()) == (
        400,
        {
            "detail": [
                {
                    "code": "invalid",
                    "field": "features.1.geometry",
                    "message": "feature 1 (420102001001002001): the outline is not a valid"
                    " polygon: Self-intersection[114.025 30.025]",
                }
            ]
        },
    )
    assert snapshot() == before


def test_an_invalid_polygon_in_a_create_is_a_400_naming_the_field(as_commander_a, city):
    body = new_grid(city.community_a.pk, geometry=BOW_TIE)
    response = send(as_commander_a, "post", "/api/geo/areas", body)
    assert (response.status_code, fields_of(response)) == (400, [("geometry", "invalid")])


def test_an_analyst_may_read_but_not_write(client, city, make_user):
    client.force_login(make_user("analyst", city.district_a))
    assert client.get(f"/api/geo/areas/{city.building_a.pk}").status_code == 200
    before = snapshot()
    response = send(client, "patch", f"/api/geo/areas/{city.building_a.pk}", {"name_en": "Mine"})
    assert (response.status_code, fields_of(response)) == (403, [("area_id", "forbidden")])
    assert snapshot() == before
