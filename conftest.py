"""Shared test fixtures: a two-district city and users holding roles in it."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest

_user_numbers = itertools.count(1)


def rectangle(min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> dict:
    ring = [
        [min_lon, min_lat],
        [max_lon, min_lat],
        [max_lon, max_lat],
        [min_lon, max_lat],
        [min_lon, min_lat],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def make_area(*, code: str, level: int, parent, name_zh: str, name_en: str, box, population=0):
    from crisisgov.geo.levels import Level, path_from_code
    from crisisgov.geo.models import Area

    return Area.objects.create(
        code=code,
        path=path_from_code(code, Level(level)),
        level=level,
        parent=parent,
        name_zh=name_zh,
        name_en=name_en,
        geometry=rectangle(*box),
        min_lon=box[0],
        min_lat=box[1],
        max_lon=box[2],
        max_lat=box[3],
        population=population,
    )


@dataclass
class TestCity:
    province: object
    city: object
    district_a: object
    street_a: object
    community_a: object
    grid_a: object
    residential_a: object
    building_a: object
    district_b: object
    street_b: object
    community_b: object
    grid_b: object
    residential_b: object
    building_b: object


# One area per level below the city: (level, code suffix after the district digits, names).
BRANCH_LEVELS = [
    (3, "", "{name}区", "{name} District"),
    (4, "001", "{name}街道", "{name} Street"),
    (5, "001001", "{name}社区", "{name} Community"),
    (6, "001001001", "{name}一网格", "{name} Grid 1"),
    (7, "001001001001", "{name}小区", "{name} Estate"),
    (8, "001001001001001", "{name}1栋", "{name} Building 1"),
]


def _branch(parent_city, district_digits: str, name: str, west: float):
    """A district with one street, community, grid, residential area and building."""
    box = (west, 30.0, west + 0.1, 30.1)
    parent, branch = parent_city, []
    for level, suffix, name_zh, name_en in BRANCH_LEVELS:
        code = f"4201{district_digits}{suffix}"
        parent = make_area(
            code=code.ljust(12, "0"),
            level=level,
            parent=parent,
            box=box,
            population=200,
            name_zh=name_zh.format(name=name),
            name_en=name_en.format(name=name),
        )
        branch.append(parent)
    return tuple(branch)


@pytest.fixture
def city(db) -> TestCity:
    province = make_area(
        code="420000000000",
        level=1,
        parent=None,
        name_zh="湖北省",
        name_en="Hubei",
        box=(114.0, 30.0, 114.4, 30.2),
        population=400,
    )
    city_area = make_area(
        code="420100000000",
        level=2,
        parent=province,
        name_zh="武汉市",
        name_en="Wuhan",
        box=(114.0, 30.0, 114.4, 30.2),
        population=400,
    )
    a = _branch(city_area, "02", "江岸", 114.0)
    b = _branch(city_area, "03", "江汉", 114.2)
    return TestCity(province, city_area, *a, *b)


@pytest.fixture
def make_user(db):
    """make_user(role, area, organisation=None) -> a User holding that role there."""
    from django.contrib.auth import get_user_model

    from crisisgov.directory.models import RoleAssignment

    def build(role: str, area, organisation=None, *, username: str | None = None):
        user = get_user_model().objects.create_user(
            username=username or f"{role}-{next(_user_numbers)}",
            password="correct-horse-42",  # noqa: S106 (test users)
        )
        RoleAssignment.objects.create(
            user=user, role=role, area=area, area_path=area.path, organisation=organisation
        )
        return user

    return build


@pytest.fixture
def actor_of():
    from crisisgov.directory.facade import actor_for_user

    return actor_for_user


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2's deliberate slowness is for attackers, not for the test suite."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (cached read models must not leak between tests)."""
    from django.core.cache import cache

    from crisisgov.opinion.intake import _areas_by_code

    cache.clear()
    _areas_by_code.clear()  # the intake's per-process area cache: each test has its own areas
    yield
