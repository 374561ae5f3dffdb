"""The directory API through HTTP: scoping, audited reads, tokens, and bad input."""

import datetime as dt
import json

import pytest
from django.test import Client

from crisisgov.directory import services
from crisisgov.directory.idnumber import make
from crisisgov.directory.models import Person
from crisisgov.directory.tokens import api_token_create
from crisisgov.kernel.actor import SYSTEM
from crisisgov.kernel.models import AuditEntry

ID_A = make("420102", dt.date(1985, 6, 1), 42)
ID_B = make("420103", dt.date(1992, 1, 15), 77)


@pytest.fixture
def people(city, make_user, actor_of):
    a = services.person_create(
        actor=actor_of(make_user("grid_worker", city.grid_a)),
        name="陈静",
        national_id=ID_A,
        phone="13800000001",
        home_building_id=city.building_a.id,
        household_number="2-301",
    )
    b = services.person_create(
        actor=actor_of(make_user("grid_worker", city.grid_b)),
        name="刘洋",
        national_id=ID_B,
        phone="13800000002",
        home_building_id=city.building_b.id,
    )
    return a, b


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post_json(client: Client, url: str, body, **extra):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(url, data=data, content_type="application/json", **extra)


def test_a_grid_worker_lists_only_their_grid_with_masked_fields(city, make_user, people):
    client = logged_in(make_user("grid_worker", city.grid_a))
    body = client.get("/api/directory/people").json()
    assert body["count"] == 1
    (item,) = body["items"]
    assert (item["name"], item["national_id"], item["phone"], item["household_number"]) == (
        "陈*",
        ID_A[:4] + "**********" + ID_A[-4:],
        "138****0001",
        "2-301",
    )


def test_another_districts_person_answers_like_a_missing_one(city, make_user, people):
    client = logged_in(make_user("grid_worker", city.grid_a))
    outside = client.get(f"/api/directory/people/{people[1].pk}?purpose=grid_management")
    missing = client.get("/api/directory/people/987654?purpose=grid_management")
    assert outside.status_code == missing.status_code == 404
    assert outside.json()["detail"][0]["field"] == missing.json()["detail"][0]["field"]
    assert AuditEntry.objects.filter(action="directory.person_read").count() == 0


def test_anonymous_callers_get_401_everywhere_and_change_nothing(city, people):
    client = Client()
    before = Person.objects.count()
    for method, url in [
        ("get", "/api/directory/people"),
        ("get", f"/api/directory/people/{people[0].pk}?purpose=relief"),
        ("post", "/api/directory/people"),
        ("patch", f"/api/directory/people/{people[0].pk}"),
        ("post", "/api/directory/people/lookup"),
        ("get", "/api/directory/me/access-log"),
        ("get", "/api/directory/organisations"),
        ("post", "/api/directory/role-assignments"),
    ]:
        if method == "get":
            response = client.get(url)
        else:
            response = getattr(client, method)(url, data="{}", content_type="application/json")
        assert response.status_code == 401, url
    assert Person.objects.count() == before


def test_an_outsider_cannot_correct_a_record(city, make_user, people):
    client = logged_in(make_user("grid_worker", city.grid_b))
    response = client.patch(
        f"/api/directory/people/{people[0].pk}",
        data={"phone": "13999999999"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert Person.objects.get(pk=people[0].pk).phone == "13800000001"


def test_a_read_through_the_api_is_listed_in_the_citizens_access_log(city, make_user, people):
    worker = make_user("grid_worker", city.grid_a, username="gw-jiangan")
    response = logged_in(worker).get(f"/api/directory/people/{people[0].pk}?purpose=relief")
    assert response.json()["national_id"] == ID_A

    citizen = make_user("citizen", city.building_a)
    Person.objects.filter(pk=people[0].pk).update(account=citizen)
    log = logged_in(citizen).get("/api/directory/me/access-log").json()
    assert [(e["reader"], e["role"], e["purpose"], e["fields"]) for e in log] == [
        ("gw-jiangan", "grid_worker", "relief", ["name", "national_id", "phone"])
    ]
    own = logged_in(citizen).get("/api/directory/me/record").json()
    assert (own["name"], own["national_id"]) == ("陈静", ID_A)


def test_a_service_account_token_acts_with_its_roles_scope(city, make_user, people):
    system_user = make_user("department_officer", city.district_b, username="health-b-system")
    _, secret = api_token_create(actor=SYSTEM, user=system_user, name="district B health system")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    body = client.get("/api/directory/people").json()
    assert [p["id"] for p in body["items"]] == [people[1].pk]
    assert (
        Client(HTTP_AUTHORIZATION="Bearer cgv_wrong").get("/api/directory/people").status_code
        == 401
    )


def test_lookup_by_id_number(city, make_user, people):
    client = logged_in(make_user("department_officer", city.district_a))
    response = post_json(
        client, "/api/directory/people/lookup", {"national_id": ID_A, "purpose": "epidemic_control"}
    )
    assert (response.status_code, response.json()["name"]) == (200, "陈静")


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ("{not json", 400, "body"),
        ({"name": "X", "national_id": ID_A, "home_building_id": "abc"}, 422, "home_building_id"),
        ({"name": "X", "national_id": ID_A, "home_building_id": 1, "colour": "red"}, 422, "colour"),
        ({"name": "X", "home_building_id": 1}, 422, "national_id"),
        (
            {"name": "X", "national_id": "420102198506010420", "home_building_id": 1},
            400,
            "national_id",
        ),
    ],
)
def test_bad_bodies_get_a_4xx_naming_the_field_and_write_nothing(
    city, make_user, body, status, field
):
    client = logged_in(make_user("grid_worker", city.grid_a))
    response = post_json(client, "/api/directory/people", body)
    assert response.status_code == status
    if field:
        assert field in [d.get("field") for d in response.json()["detail"]]
    assert Person.objects.count() == 0


def test_an_oversized_body_gets_413(city, make_user, settings):
    client = logged_in(make_user("grid_worker", city.grid_a))
    huge = {
        "name": "X" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10),
        "national_id": ID_A,
        "home_building_id": city.building_a.id,
    }
    response = post_json(client, "/api/directory/people", huge)
    assert response.status_code == 413
    assert Person.objects.count() == 0


def test_create_through_the_api(city, make_user):
    client = logged_in(make_user("grid_worker", city.grid_a))
    response = post_json(
        client,
        "/api/directory/people",
        {
            "name": "赵磊",
            "national_id": ID_A,
            "phone": "13700000000",
            "home_building_id": city.building_a.id,
        },
    )
    assert response.status_code == 201
    assert response.json()["date_of_birth"] == "1985-**-**"
    assert Person.objects.get().name == "赵磊"
