"""The back-office admin shows and edits the staff member's own subtree only."""

from __future__ import annotations

import json

import pytest

from crisisgov.geo.models import Area
from crisisgov.geo.tests.factories import rectangle
from crisisgov.kernel.models import AuditEntry
from tests.scoping import rows_snapshot

snapshot = rows_snapshot(Area, AuditEntry)


@pytest.fixture
def staff(city, make_user):
    def build(role, area):
        user = make_user(role, area)
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        return user

    return build


def change_form(area, **changes) -> dict:
    values = {
        "name_zh": area.name_zh,
        "name_en": area.name_en,
        "population": area.population,
        "geometry": json.dumps(area.geometry),
    }
    return values | changes


def test_the_list_holds_the_staff_members_district_only(client, city, staff):
    client.force_login(staff("commander", city.district_a))
    response = client.get("/admin/geo/area/")
    assert response.status_code == 200
    shown = [area.code for area in response.context["cl"].result_list]
    assert shown == [
        "420102000000",
        "420102001000",
        "420102001001",
        "420102001001001",
        "420102001001001001",
        "420102001001001001001",
    ]


def test_another_districts_area_is_not_found(client, city, staff):
    client.force_login(staff("commander", city.district_a))
    hidden = client.get(f"/admin/geo/area/{city.building_b.pk}/change/")
    missing = client.get("/admin/geo/area/999999999/change/")
    assert (hidden.status_code, hidden.headers["Location"]) == (302, "/admin/")
    assert (missing.status_code, missing.headers["Location"]) == (302, "/admin/")


def test_a_change_goes_through_the_service_and_is_audited(client, city, staff):
    client.force_login(staff("commander", city.district_a))
    url = f"/admin/geo/area/{city.building_a.pk}/change/"
    response = client.post(url, change_form(city.building_a, name_en="Block 1"))
    assert response.status_code == 302
    assert Area.objects.get(pk=city.building_a.pk).name_en == "Block 1"
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.detail["changed"]) == ("geo.area_updated", ["name_en"])


def test_an_outline_outside_the_parent_is_shown_on_the_form(client, city, staff):
    client.force_login(staff("commander", city.district_a))
    before = snapshot()
    outside = json.dumps(rectangle(114.0, 30.0, 114.3, 30.1))
    url = f"/admin/geo/area/{city.building_a.pk}/change/"
    response = client.post(url, change_form(city.building_a, geometry=outside))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "geometry": ["the outline is not inside its parent's outline"]
    }
    assert snapshot() == before


def test_an_analyst_sees_but_cannot_change(client, city, staff):
    client.force_login(staff("analyst", city.district_a))
    before = snapshot()
    url = f"/admin/geo/area/{city.building_a.pk}/change/"
    assert client.get(url).status_code == 200
    response = client.post(url, change_form(city.building_a, name_en="Mine"))
    assert response.status_code == 403
    assert snapshot() == before


def test_a_citizen_has_no_area_admin(client, city, staff):
    client.force_login(staff("citizen", city.building_a))
    assert client.get("/admin/geo/area/").status_code == 403
