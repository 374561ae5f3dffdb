"""Loading the synthetic city into the database (`crisisgov city generate`)."""

from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Count

from crisisgov.directory.facade import idnumber
from crisisgov.drills import citygen
from crisisgov.drills.citygen import HouseholdSpec, OrganisationSpec, ResidentSpec
from crisisgov.drills.loader import city_clear, city_exists
from crisisgov.kernel.fields import blind_index_for

# Models are looked up by name: the drills app imports other apps only through their facades.
Area = apps.get_model("geo", "Area")
Person = apps.get_model("directory", "Person")
Household = apps.get_model("directory", "Household")
Organisation = apps.get_model("directory", "Organisation")
AuditEntry = apps.get_model("kernel", "AuditEntry")

SEED = 3


def generate(*args: str) -> str:
    out = io.StringIO()
    call_command("city", "generate", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture(scope="module")
def tiny_specs() -> list[citygen.Spec]:
    return list(citygen.generate_city(SEED, "tiny", make_national_id=idnumber.make))


@pytest.fixture
def loaded(db) -> str:
    return generate("--seed", str(SEED), "--size", "tiny")


def residents_of(specs: list[citygen.Spec]) -> list[ResidentSpec]:
    return [spec for spec in specs if isinstance(spec, ResidentSpec)]


def test_counts_per_level_and_of_everything_else(loaded, tiny_specs):
    levels = dict(Area.objects.values_list("level").annotate(n=Count("id")).order_by())
    assert levels == {1: 1, 2: 1, 3: 2, 4: 4, 5: 4, 6: 8, 7: 8, 8: 16}
    residents = residents_of(tiny_specs)
    assert Person.objects.count() == len(residents)
    assert Household.objects.count() == sum(isinstance(s, HouseholdSpec) for s in tiny_specs)
    assert Organisation.objects.count() == sum(isinstance(s, OrganisationSpec) for s in tiny_specs)
    assert f"residents: {len(residents)}\n" in loaded
    assert "building: 16\n" in loaded


def test_no_plaintext_personal_data_in_the_table(loaded, tiny_specs):
    residents = residents_of(tiny_specs)
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, national_id, phone, national_id_index FROM directory_person")
        rows = cursor.fetchall()
    assert len(rows) == len(residents)
    raw = "\n".join("\t".join(row) for row in rows)
    for resident in residents:
        assert resident.national_id not in raw
        assert resident.name not in raw
        if resident.phone:
            assert resident.phone not in raw
    for name, national_id, phone, _ in rows:
        assert name.startswith("pii1:") and national_id.startswith("pii1:")
        assert phone == "" or phone.startswith("pii1:")


def test_a_resident_is_found_by_blind_index(loaded, tiny_specs):
    resident = residents_of(tiny_specs)[100]
    digest = blind_index_for(Person, "national_id_index", resident.national_id)
    person = Person.objects.select_related("home_building", "household").get(
        national_id_index=digest
    )
    assert (person.name, person.national_id, person.phone) == (
        resident.name,
        resident.national_id,
        resident.phone,
    )
    assert (person.date_of_birth, person.sex) == (resident.date_of_birth, resident.sex)
    assert person.home_building.code == resident.building_code
    assert person.area_path == resident.building_code  # a building's path is its whole code
    assert person.household.number == resident.household_number
    assert person.household.area_path == resident.building_code
    if resident.phone:
        by_phone = blind_index_for(Person, "phone_index", resident.phone)
        assert person.pk in set(
            Person.objects.filter(phone_index=by_phone).values_list("pk", flat=True)
        )


def test_population_is_the_residents_of_the_subtree(loaded, tiny_specs):
    for area in Area.objects.all():
        assert area.population == Person.objects.filter(area_path__under=area.path).count(), area
    city = Area.objects.get(code="990100000000")
    assert city.population == len(residents_of(tiny_specs))


def test_areas_keep_geometry_bbox_parent_and_path(loaded, tiny_specs):
    spec = next(s for s in tiny_specs if isinstance(s, citygen.AreaSpec) and s.level == 6)
    area = Area.objects.select_related("parent").get(code=spec.code)
    ring = spec.geometry["coordinates"][0]
    assert area.geometry == spec.geometry
    assert (area.min_lon, area.min_lat, area.max_lon, area.max_lat) == (*ring[0], *ring[2])
    assert area.path == spec.code[:15]
    assert area.parent.code == spec.parent_code
    assert (area.name_zh, area.name_en) == (spec.name_zh, spec.name_en)


def test_organisations_sit_in_their_area(loaded):
    hospital = Organisation.objects.filter(kind="hospital").order_by("id").first()
    district = Area.objects.get(id=hospital.area_id)
    assert district.level == 3
    assert hospital.area_path == district.path
    assert district.min_lon < hospital.lon < district.max_lon
    assert district.min_lat < hospital.lat < district.max_lat


def test_one_audit_entry_for_the_whole_city(loaded, tiny_specs):
    entry = AuditEntry.objects.get(action="drills.city_generated")
    assert entry.actor_username == "system"
    assert entry.detail["seed"] == SEED
    assert entry.detail["size"] == "tiny"
    assert entry.detail["residents"] == len(residents_of(tiny_specs))
    assert entry.detail["areas"]["building"] == 16
    assert AuditEntry.objects.count() == 1


def test_a_second_run_is_refused_without_replace(loaded):
    before = (Area.objects.count(), Person.objects.count(), AuditEntry.objects.count())
    with pytest.raises(CommandError, match="already exists; pass --replace"):
        generate("--seed", "4", "--size", "tiny")
    assert (Area.objects.count(), Person.objects.count(), AuditEntry.objects.count()) == before


def test_replace_deletes_the_old_city_and_loads_the_new_one(loaded):
    other = list(citygen.generate_city(4, "tiny", make_national_id=idnumber.make))
    output = generate("--seed", "4", "--size", "tiny", "--replace")
    assert "replaced the previous drill city" in output
    assert Person.objects.count() == len(residents_of(other))
    assert Area.objects.count() == 44
    first = residents_of(other)[0]
    assert (
        Person.objects.get(
            national_id_index=blind_index_for(Person, "national_id_index", first.national_id)
        ).name
        == first.name
    )
    entries = list(AuditEntry.objects.order_by("seq").values_list("detail", flat=True))
    assert [entry["seed"] for entry in entries] == [SEED, 4]
    assert entries[1]["replaced"]["people"] == entries[0]["residents"]


def test_city_clear_deletes_everything_it_wrote(loaded):
    assert city_exists()
    deleted = city_clear()
    assert deleted["areas"] == 44
    assert not city_exists()
    assert (Person.objects.count(), Household.objects.count(), Organisation.objects.count()) == (
        0,
        0,
        0,
    )


def test_refuses_a_database_with_real_areas(city):
    """The shared fixture city lies in Hubei (42): a drill city must not mix with it."""
    with pytest.raises(CommandError, match="outside the drill namespace"):
        generate("--seed", "1", "--size", "tiny", "--replace")
    assert not city_exists()
