"""Resident pages: masked lists, audited whole reads with a purpose, the citizen's own view."""

import datetime as dt

import pytest
from django.test import Client

from crisisgov.directory.idnumber import make
from crisisgov.directory.models import Person
from crisisgov.directory.tests.factories import HouseholdFactory, PersonFactory
from crisisgov.kernel.models import AuditEntry

NATIONAL_ID = make("420102", dt.date(1975, 5, 4), 31)


@pytest.fixture
def resident(city):
    return PersonFactory(
        home_building=city.building_a,
        name="黄丽",
        national_id=NATIONAL_ID,
        phone="13612345678",
        household=HouseholdFactory(building=city.building_a, number="5-502"),
    )


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    return client


def test_a_grid_worker_lists_their_residents_masked(city, make_user, resident):
    client = client_for(make_user("grid_worker", city.grid_a))
    area_page = client.get(f"/areas/{city.grid_a.id}/").content.decode()
    assert f'href="/areas/{city.grid_a.id}/people/"' in area_page
    page = client.get(f"/areas/{city.grid_a.id}/people/").content.decode()
    assert "黄*" in page and "4201**********" + NATIONAL_ID[-4:] in page
    assert "136****5678" in page and "5-502" in page
    assert NATIONAL_ID not in page and "13612345678" not in page and "黄丽" not in page


def test_another_districts_residents_page_is_404(city, make_user, resident):
    client = client_for(make_user("grid_worker", city.grid_b))
    assert client.get(f"/areas/{city.grid_a.id}/people/").status_code == 404
    assert client.get(f"/people/{resident.pk}/").status_code == 404
    assert client.post(f"/people/{resident.pk}/", {"purpose": "relief"}).status_code == 404
    assert AuditEntry.objects.filter(action="directory.person_read").count() == 0


def test_an_analyst_gets_no_residents_link_and_no_list(city, make_user, resident):
    client = client_for(make_user("analyst", city.city))
    assert "/people/" not in client.get(f"/areas/{city.grid_a.id}/").content.decode()
    assert client.get(f"/areas/{city.grid_a.id}/people/").status_code == 404


def test_the_whole_record_needs_a_purpose_and_the_citizen_sees_the_read(city, make_user, resident):
    worker = make_user("grid_worker", city.grid_a, username="wang-gw")
    client = client_for(worker)
    first = client.get(f"/people/{resident.pk}/").content.decode()
    assert "黄*" in first and 'name="purpose"' in first and NATIONAL_ID not in first
    assert AuditEntry.objects.filter(action="directory.person_read").count() == 0

    # A link or prefetch cannot read the whole record: only the POST of the purpose form can.
    linked = client.get(f"/people/{resident.pk}/?purpose=grid_management").content.decode()
    assert NATIONAL_ID not in linked
    whole = client.post(f"/people/{resident.pk}/", {"purpose": "grid_management"})
    whole = whole.content.decode()
    assert "黄丽" in whole and NATIONAL_ID in whole and "13612345678" in whole
    assert "网格管理" in whole  # the purpose, in the page's language
    assert AuditEntry.objects.filter(action="directory.person_read").count() == 1

    citizen = make_user("citizen", city.building_a)
    Person.objects.filter(pk=resident.pk).update(account=citizen)
    citizen_client = client_for(citizen)
    home = citizen_client.get("/")
    assert (home.status_code, home["Location"]) == (302, "/me/")
    mine = citizen_client.get("/me/").content.decode()
    assert "黄丽" in mine and NATIONAL_ID in mine
    assert "wang-gw" in mine and "网格员" in mine and "网格管理" in mine


def test_a_commander_sees_residents_only_masked(city, make_user, resident):
    client = client_for(make_user("commander", city.city))
    page = client.post(f"/people/{resident.pk}/", {"purpose": "relief"}).content.decode()
    assert "黄*" in page and NATIONAL_ID not in page and 'name="purpose"' not in page
    assert AuditEntry.objects.filter(action="directory.person_read").count() == 0


def test_the_admin_lists_residents_masked(city, make_user, resident):
    staff = make_user("commander", city.city)
    staff.is_staff = True
    staff.save()
    page = client_for(staff).get("/admin/directory/person/").content.decode()
    assert "黄*" in page and "4201**********" + NATIONAL_ID[-4:] in page
    assert NATIONAL_ID not in page and "13612345678" not in page and "黄丽" not in page
