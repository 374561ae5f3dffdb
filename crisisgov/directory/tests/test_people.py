"""Registering and reading residents: validation, encryption at rest, audited reads."""

import pytest
from django.db import connection

from crisisgov.directory import services
from crisisgov.directory.idnumber import make
from crisisgov.directory.models import Person
from crisisgov.kernel.errors import Conflict, DomainError, NotFound
from crisisgov.kernel.models import AuditEntry


@pytest.fixture
def national_id():
    import datetime as dt

    return make("420102", dt.date(1990, 3, 7), 123)  # sequence 123: odd, a man


@pytest.fixture
def grid_worker(city, make_user, actor_of):
    return actor_of(make_user("grid_worker", city.grid_a))


def test_registration_derives_birth_date_and_sex_and_stores_no_plaintext(
    city, grid_worker, national_id
):
    person = services.person_create(
        actor=grid_worker,
        name="张伟",
        national_id=national_id,
        phone="13812345678",
        home_building_id=city.building_a.id,
        household_number="1-101",
    )
    assert (str(person.date_of_birth), person.sex, person.area_path) == (
        "1990-03-07",
        "M",
        city.building_a.path,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, national_id, phone FROM directory_person WHERE id = %s", [person.pk]
        )
        row = cursor.fetchone()
    assert all(value.startswith("pii1:") for value in row)
    assert national_id not in "".join(row) and "13812345678" not in "".join(row)
    reloaded = Person.objects.get(pk=person.pk)
    assert (reloaded.name, reloaded.national_id, reloaded.phone) == (
        "张伟",
        national_id,
        "13812345678",
    )
    assert AuditEntry.objects.filter(action="directory.person_created").count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("national_id", "420102199003071230", "check digit"),
        ("national_id", "42010219900230123X", "birth date"),
        ("national_id", "4201021990", "17 digits"),
        ("phone", "12345", "phone number"),
        ("name", "   ", "name"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    city, grid_worker, national_id, field, value, message
):
    data = {"name": "李娜", "national_id": national_id, "phone": "13812345678"}
    data[field] = value
    with pytest.raises(DomainError) as error:
        services.person_create(actor=grid_worker, home_building_id=city.building_a.id, **data)
    assert error.value.field == field and message in error.value.message
    assert Person.objects.count() == 0


def test_a_building_outside_the_jurisdiction_looks_missing(city, grid_worker, national_id):
    with pytest.raises(NotFound) as error:
        services.person_create(
            actor=grid_worker,
            name="李娜",
            national_id=national_id,
            home_building_id=city.building_b.id,
        )
    assert error.value.field == "home_building_id"
    with pytest.raises(NotFound):
        services.person_create(
            actor=grid_worker, name="李娜", national_id=national_id, home_building_id=999999
        )
    assert Person.objects.count() == 0


def test_home_must_be_a_building(city, grid_worker, national_id):
    with pytest.raises(DomainError) as error:
        services.person_create(
            actor=grid_worker,
            name="李娜",
            national_id=national_id,
            home_building_id=city.residential_a.id,
        )
    assert error.value.field == "home_building_id"


def test_the_same_id_number_cannot_be_registered_twice(city, grid_worker, national_id):
    services.person_create(
        actor=grid_worker, name="李娜", national_id=national_id, home_building_id=city.building_a.id
    )
    with pytest.raises(Conflict) as error:
        services.person_create(
            actor=grid_worker,
            name="李娜",
            national_id=national_id.lower(),
            home_building_id=city.building_a.id,
        )
    assert error.value.field == "national_id"
    assert Person.objects.count() == 1
    refused = AuditEntry.objects.get(action="directory.person_duplicate_refused")
    assert (refused.role, refused.area_path) == ("grid_worker", city.building_a.path)


def test_a_read_of_personal_data_is_audited_with_purpose_and_fields(city, grid_worker, national_id):
    person = services.person_create(
        actor=grid_worker,
        name="王芳",
        national_id=national_id,
        phone="13912345678",
        home_building_id=city.building_a.id,
    )
    record = services.person_read(actor=grid_worker, person_id=person.pk, purpose="grid_management")
    assert (record.name, record.national_id, record.masked) == ("王芳", national_id, False)
    entry = AuditEntry.objects.get(action="directory.person_read")
    assert (entry.purpose, entry.fields_read, entry.subject_person_id, entry.role) == (
        "grid_management",
        ["name", "national_id", "phone"],
        person.pk,
        "grid_worker",
    )


def test_a_reader_without_personal_data_rights_gets_a_masked_record_and_no_log(
    city, grid_worker, make_user, actor_of, national_id
):
    person = services.person_create(
        actor=grid_worker,
        name="王芳",
        national_id=national_id,
        phone="13912345678",
        home_building_id=city.building_a.id,
    )
    commander = actor_of(make_user("commander", city.city))
    record = services.person_read(actor=commander, person_id=person.pk, purpose="relief")
    assert (record.name, record.national_id, record.phone, record.masked) == (
        "王*",
        national_id[:4] + "*" * 10 + national_id[-4:],
        "139****5678",
        True,
    )
    assert AuditEntry.objects.filter(action="directory.person_read").count() == 0


def test_an_unknown_purpose_is_refused(city, grid_worker, national_id):
    person = services.person_create(
        actor=grid_worker, name="王芳", national_id=national_id, home_building_id=city.building_a.id
    )
    with pytest.raises(DomainError) as error:
        services.person_read(actor=grid_worker, person_id=person.pk, purpose="curiosity")
    assert error.value.field == "purpose"


def test_lookup_by_id_number_uses_the_blind_index_within_scope(
    city, grid_worker, make_user, actor_of, national_id
):
    services.person_create(
        actor=grid_worker, name="王芳", national_id=national_id, home_building_id=city.building_a.id
    )
    found = services.person_find_by_national_id(
        actor=grid_worker, national_id=national_id, purpose="epidemic_control"
    )
    assert found.name == "王芳"
    other = actor_of(make_user("grid_worker", city.grid_b))
    with pytest.raises(NotFound):
        services.person_find_by_national_id(
            actor=other, national_id=national_id, purpose="epidemic_control"
        )
