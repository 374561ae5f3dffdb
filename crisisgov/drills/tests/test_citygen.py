"""The synthetic city as a spec stream, without a database."""

from __future__ import annotations

import collections
import datetime as dt
import itertools
import os
import re
import subprocess
import sys

import pytest
import shapely
from django.apps import apps
from shapely.geometry import Point, shape

from crisisgov.directory.facade import idnumber
from crisisgov.drills import citygen
from crisisgov.drills.citygen import AreaSpec, HouseholdSpec, OrganisationSpec, ResidentSpec
from crisisgov.geo.facade import PATH_DIGITS, Level, check_code, path_from_code


def specs(seed: int, size: str) -> list[citygen.Spec]:
    return list(citygen.generate_city(seed, size, make_national_id=idnumber.make))


@pytest.fixture(scope="module")
def tiny() -> list[citygen.Spec]:
    return specs(7, "tiny")


@pytest.fixture(scope="module")
def small() -> list[citygen.Spec]:
    return specs(7, "small")


def of(kind: type, stream: list[citygen.Spec]) -> list:
    return [spec for spec in stream if isinstance(spec, kind)]


def test_levels_and_digits_are_those_of_geo():
    assert [citygen.PROVINCE, citygen.BUILDING] == [Level.PROVINCE, Level.BUILDING]
    assert {int(level): digits for level, digits in PATH_DIGITS.items()} == citygen.PATH_DIGITS


def test_same_seed_same_city_other_seed_other_city(tiny):
    digest = citygen.spec_digest(iter(tiny))
    assert citygen.spec_digest(iter(specs(7, "tiny"))) == digest
    assert citygen.spec_digest(iter(specs(8, "tiny"))) != digest


def test_stream_does_not_depend_on_the_process(tiny):
    """No set or dict-of-str iteration order leaks in: another hash seed, the same city."""
    program = (
        "from crisisgov.drills import citygen; from crisisgov.directory import idnumber;"
        "print(citygen.spec_digest(citygen.generate_city(7, 'tiny',"
        " make_national_id=idnumber.make)))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    result = subprocess.run(
        [sys.executable, "-c", program], env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == citygen.spec_digest(iter(tiny))


def test_the_plan_tells_what_the_stream_holds(small):
    plan = citygen.city_plan(7, "small")
    areas = collections.Counter(spec.level for spec in of(AreaSpec, small))
    assert dict(areas) == plan.areas_per_level
    assert plan.areas_per_level == {1: 1, 2: 1, 3: 3, 4: 9, 5: 27, 6: 54, 7: 108, 8: 324}
    assert len(of(HouseholdSpec, small)) == plan.households
    assert len(of(ResidentSpec, small)) == plan.residents


@pytest.mark.parametrize(
    ("size", "residents"),
    [("tiny", 500), ("small", 10_000), ("medium", 100_000), ("large", 1_000_000)],
)
def test_sizes_are_about_as_stated(size, residents):
    assert abs(citygen.city_plan(7, size).residents - residents) <= residents * 0.1


def test_the_stream_is_parents_first_and_district_by_district(small):
    seen: set[str] = set()
    districts: list[str] = []
    for spec in small:
        if isinstance(spec, AreaSpec):
            assert spec.parent_code is None or spec.parent_code in seen
            seen.add(spec.code)
            if spec.level == Level.DISTRICT:
                districts.append(spec.code[:6])
        elif isinstance(spec, OrganisationSpec):
            assert spec.area_code in seen
        else:
            assert spec.building_code in seen
            # Residents come after their district's areas, before the next district's.
            assert spec.building_code[:6] == districts[-1]
    assert districts == ["990101", "990102", "990103"]


def test_codes_are_valid_at_every_level(small):
    for spec in of(AreaSpec, small):
        level = Level(spec.level)
        parent_path = (
            path_from_code(spec.parent_code, Level(level - 1)) if spec.parent_code else None
        )
        assert check_code(spec.code, level, parent_path) is None, spec.code
    province, city = of(AreaSpec, small)[:2]
    assert (province.code, province.name_zh, province.name_en) == (
        "990000000000",
        "演练省",
        "Drill Province",
    )
    assert (city.code, city.parent_code, city.name_zh) == ("990100000000", "990000000000", "临江市")


@pytest.mark.parametrize("size", ["tiny", "small"])
def test_children_tile_their_parent(size, tiny, small):
    areas = of(AreaSpec, tiny if size == "tiny" else small)
    children = collections.defaultdict(list)
    for area in areas:
        children[area.parent_code].append(shape(area.geometry))
    parents = {area.code: shape(area.geometry) for area in areas}
    assert parents["990100000000"].bounds == citygen.CITY_BOX
    for parent_code, shapes in children.items():
        if parent_code is None:
            continue
        parent = parents[parent_code]
        union = shapely.union_all(shapes)
        assert union.area == pytest.approx(parent.area, rel=1e-9)
        assert union.symmetric_difference(parent).area == pytest.approx(0, abs=1e-15)
        for a, b in itertools.combinations(shapes, 2):
            assert a.intersection(b).area == 0


def test_id_numbers_are_valid_unique_and_agree_with_the_resident(small):
    residents = of(ResidentSpec, small)
    numbers = [r.national_id for r in residents]
    assert len(set(numbers)) == len(numbers)
    for r in residents:
        assert idnumber.validate(r.national_id) == r.national_id
        assert idnumber.birth_date(r.national_id) == r.date_of_birth
        assert idnumber.sex(r.national_id) == r.sex
        assert r.national_id[:6] == r.building_code[:6]  # the district's code


def test_residents_look_like_a_city(small):
    residents = of(ResidentSpec, small)
    english = [r for r in residents if re.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+", r.name)]
    chinese = [r for r in residents if re.fullmatch(r"[\u4e00-\u9fff]{2,4}", r.name)]
    assert len(english) + len(chinese) == len(residents)
    assert 0.01 <= len(english) / len(residents) <= 0.04
    ages = [(citygen.CENSUS_DAY - r.date_of_birth).days / 365.2425 for r in residents]
    assert min(ages) >= 0 and max(ages) < 100
    assert 35 <= sorted(ages)[len(ages) // 2] <= 45  # the median age
    assert 0.47 <= sum(r.sex == "M" for r in residents) / len(residents) <= 0.53
    phones = [r.phone for r in residents if r.phone]
    assert all(re.fullmatch(r"1[3-9]\d{9}", phone) for phone in phones)
    assert all(r.phone == "" for r, age in zip(residents, ages, strict=True) if age < 12)
    assert 0.8 <= len(phones) / len(residents) <= 0.95
    surnames = collections.Counter(r.name[0] for r in chinese)
    assert {name for name, _ in surnames.most_common(3)} <= {"王", "李", "张", "刘"}


def test_households_hold_one_to_five_members_in_numbered_flats(small):
    members: collections.Counter[tuple[str, str]] = collections.Counter(
        (r.building_code, r.household_number) for r in of(ResidentSpec, small)
    )
    households = [(h.building_code, h.number) for h in of(HouseholdSpec, small)]
    assert len(set(households)) == len(households)
    assert set(members) == set(households)
    assert set(members.values()) == {1, 2, 3, 4, 5}
    assert all(re.fullmatch(r"\d+-[1-6]0[12]", number) for _, number in households)
    assert [citygen.flat_number(i) for i in (0, 1, 2, 11, 12, 27)] == [
        "1-101",
        "1-102",
        "1-201",
        "1-602",
        "2-101",
        "3-202",
    ]


def test_organisations_by_area(tiny):
    areas = {a.code: a for a in of(AreaSpec, tiny)}
    organisations = of(OrganisationSpec, tiny)
    where = collections.Counter((o.kind, areas[o.area_code].level) for o in organisations)
    streets = sum(a.level == Level.STREET for a in areas.values())
    communities = sum(a.level == Level.COMMUNITY for a in areas.values())
    assert where[("department", Level.CITY)] == 8
    assert where[("department", Level.DISTRICT)] == 7 * 2
    assert where[("ngo", Level.CITY)] == 3
    assert where[("company", Level.CITY)] == 3
    assert where[("testing_site", Level.STREET)] == streets
    assert 2 <= where[("hospital", Level.DISTRICT)] <= 4
    assert communities <= where[("pharmacy", Level.COMMUNITY)] <= 2 * communities
    assert sum(where.values()) == len(organisations)
    city = [o for o in organisations if o.area_code == "990100000000" and o.kind == "department"]
    assert sorted(o.department_type for o in city) == sorted(
        [
            "command_centre",
            "health_commission",
            "emergency_management",
            "civil_affairs",
            "public_security",
            "transport",
            "market_regulation",
            "publicity",
        ]
    )
    for organisation in organisations:
        outline = shape(areas[organisation.area_code].geometry)
        assert outline.contains(Point(organisation.lon, organisation.lat))


def test_organisation_kinds_and_types_are_the_directory_choices(tiny):
    organisation = apps.get_model("directory", "Organisation")
    kinds = {value for value, _ in organisation._meta.get_field("kind").choices}
    types = {value for value, _ in organisation._meta.get_field("department_type").choices}
    assert {o.kind for o in of(OrganisationSpec, tiny)} == kinds
    generated = {o.department_type for o in of(OrganisationSpec, tiny)} - {""}
    # The hotline's desks of housing, water, power, education and environment are made on first
    # dispatch (opinion.tickets.catalogue.department_desk), not by the generator.
    on_demand = {"housing", "water", "power", "education", "environment"}
    assert generated == types - on_demand


def test_census_day_is_in_the_past():
    # ID numbers born after "today" would not validate.
    assert dt.date.today() > citygen.CENSUS_DAY
