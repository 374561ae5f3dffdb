"""The synthetic city: a deterministic stream of areas, organisations, households and residents.

Linjiang (临江市, code 9901) in Drill Province (演练省, code 99) does not exist: its codes sit in
a namespace no real province uses, so drill data is never mistaken for a real place. The same
seed and size always give the same stream, item for item.

The stream goes district by district: a district's areas (breadth first, parents before
children), its organisations, then its households, each followed by its residents. Only one
district's areas are held in memory (and every district's household sizes, a byte or so per
household), so a city of a million residents streams in bounded memory. Every random draw of a
district comes from generators seeded with (seed, district), so a district does not change
when another one does.

Names, ID numbers and mobile numbers are made up but have real shapes, and a mobile number may
well belong to someone: a drill must never hand drill residents to a real SMS or call gateway.
Office lines use the trunk code 099, which no city has.

Pure Python and numpy: no Django, so it can be tested and benchmarked alone. The GB 11643 ID
number scheme lives in the directory app; callers pass its `make` function in.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from crisisgov.drills import names

# Level numbers and path digits, as in crisisgov.geo.levels (which imports Django).
PROVINCE, CITY, DISTRICT, STREET, COMMUNITY, GRID, RESIDENTIAL_AREA, BUILDING = range(1, 9)
PATH_DIGITS = {
    PROVINCE: 2, CITY: 4, DISTRICT: 6, STREET: 9, COMMUNITY: 12, GRID: 15, RESIDENTIAL_AREA: 18,
    BUILDING: 21,
}  # fmt: skip

PROVINCE_CODE = "99"
CITY_CODE = "9901"
CITY_BOX = (114.0, 30.3, 114.6, 30.8)  # min lon, min lat, max lon, max lat
# Ages are as of this day (a census day), so the stream does not change with the calendar.
CENSUS_DAY = dt.date(2025, 11, 1)

# Shares of household sizes 1..5 (mean about 2.7, close to the 2020 census).
HOUSEHOLD_SIZE_SHARES = (0.18, 0.30, 0.27, 0.15, 0.10)
FOREIGN_SHARE = 0.02  # households of foreign residents, with English names
PARTNER_SHARE = 0.85  # households of two or more that are a couple (and their family)
# Shares of five-year age bands 0-4 ... 95-99, after the 2020 census pyramid.
AGE_BAND_SHARES = (
    5.5, 6.4, 6.3, 5.3, 5.3, 6.6, 8.8, 7.0, 6.6, 8.2, 8.7, 7.3, 5.2, 5.5, 3.8, 2.4, 1.6, 0.8,
    0.3, 0.1,
)  # fmt: skip
ADULT_FROM_BAND = 4  # a household head is 20 or older
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "147", "150", "151",
    "152", "153", "155", "156", "157", "158", "159", "166", "173", "175", "176", "177", "178",
    "180", "181", "182", "183", "184", "185", "186", "187", "188", "189", "191", "198", "199",
)  # fmt: skip
# A fictional three-digit trunk code: no real city uses 099, so office lines are not real.
OFFICE_TRUNK = "099"

Box = tuple[float, float, float, float]
NationalIdMaker = Callable[[str, dt.date, int], str]


@dataclass(frozen=True)
class AreaSpec:
    code: str
    level: int
    parent_code: str | None
    name_zh: str
    name_en: str
    geometry: dict[str, Any]  # GeoJSON Polygon, lon/lat
    population: int


@dataclass(frozen=True)
class OrganisationSpec:
    kind: str
    department_type: str
    name_zh: str
    name_en: str
    area_code: str
    address: str
    lon: float
    lat: float
    public_phone: str


@dataclass(frozen=True)
class HouseholdSpec:
    building_code: str
    number: str  # the flat, "unit-floor+flat": "3-201"


@dataclass(frozen=True)
class ResidentSpec:
    name: str
    national_id: str
    phone: str  # "" for young children and some of the very old
    date_of_birth: dt.date
    sex: str  # "M" or "F"
    building_code: str
    household_number: str


Spec = AreaSpec | OrganisationSpec | HouseholdSpec | ResidentSpec


@dataclass(frozen=True)
class CitySize:
    """Branching factors: how many children each area has, level by level."""

    districts: int
    streets: int  # per district
    communities: int  # per street
    grids: int  # per community
    residential_areas: int  # per grid
    buildings: int  # per residential area
    households: tuple[int, int]  # per building, inclusive range

    @property
    def branching(self) -> tuple[int, ...]:
        return (self.streets, self.communities, self.grids, self.residential_areas, self.buildings)

    @property
    def buildings_per_district(self) -> int:
        return math.prod(self.branching)


SIZES = {
    "tiny": CitySize(2, 2, 1, 2, 1, 2, households=(8, 15)),  # ~500 residents, for tests
    "small": CitySize(3, 3, 3, 2, 2, 3, households=(8, 15)),  # ~10,000, the demo
    "medium": CitySize(4, 4, 4, 3, 3, 4, households=(11, 21)),  # ~100,000
    "large": CitySize(8, 6, 5, 4, 3, 6, households=(14, 29)),  # ~1,000,000, benchmarks
}

# Independent random streams of one part of the city (part 0 is the city, d + 1 district d).
_AREAS, _HOUSEHOLDS, _RESIDENTS, _ORGANISATIONS = range(4)


def _rng(seed: int, part: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, part, stream])


@dataclass(frozen=True)
class CityPlan:
    """What `generate_city` will produce, known before it starts (for progress bars)."""

    seed: int
    size: str
    areas_per_level: dict[int, int]
    households: int
    residents: int


def city_plan(seed: int, size: str) -> CityPlan:
    shape = SIZES[size]
    households = residents = 0
    for district in range(shape.districts):
        _, sizes = _household_sizes(seed, district, shape)
        households += len(sizes)
        residents += int(sizes.sum())
    per_level, count = {PROVINCE: 1, CITY: 1, DISTRICT: shape.districts}, shape.districts
    for level, branching in zip(range(STREET, BUILDING + 1), shape.branching, strict=True):
        count *= branching
        per_level[level] = count
    return CityPlan(seed, size, per_level, households, residents)


def generate_city(seed: int, size: str, *, make_national_id: NationalIdMaker) -> Iterator[Spec]:
    """The whole city as a stream of specs. `make_national_id(area6, birth, sequence)` builds a
    GB 11643 number (pass `idnumber.make` from the directory facade)."""
    shape = SIZES[size]
    if shape.districts > len(names.DISTRICTS):
        raise ValueError(f"a city has at most {len(names.DISTRICTS)} districts")
    city_rng = _rng(seed, 0, _AREAS)
    district_boxes = _split(CITY_BOX, shape.districts, city_rng)
    district_names = [names.DISTRICTS[i] for i in city_rng.permutation(len(names.DISTRICTS))]
    households = [_household_sizes(seed, d, shape) for d in range(shape.districts)]
    population = sum(int(sizes.sum()) for _, sizes in households)

    city_polygon = polygon(CITY_BOX)
    yield AreaSpec(_code(PROVINCE_CODE), PROVINCE, None, *names.PROVINCE, city_polygon, population)
    yield AreaSpec(
        _code(CITY_CODE), CITY, _code(PROVINCE_CODE), *names.CITY, city_polygon, population
    )
    yield from _city_organisations(_rng(seed, 0, _ORGANISATIONS))
    for d in range(shape.districts):
        yield from _district(
            seed, d, shape, district_boxes[d], district_names[d], households[d], make_national_id
        )


# --- geometry -------------------------------------------------------------------------------

# East-west degrees are shorter than north-south ones at this latitude.
_LON_SCALE = math.cos(math.radians(30.55))


def _split(box: Box, parts: int, rng: np.random.Generator) -> list[Box]:
    """Cut a rectangle into `parts` rectangles that tile it (guillotine cuts, longer side first,
    jittered). A cut coordinate is rounded once and shared by both sides, so neighbours share
    their edge exactly: no gap, no overlap."""
    if parts == 1:
        return [box]
    first = parts // 2
    share = first / parts * (1 + rng.uniform(-0.2, 0.2))
    min_lon, min_lat, max_lon, max_lat = box
    if (max_lon - min_lon) * _LON_SCALE >= max_lat - min_lat:
        cut = round(min_lon + (max_lon - min_lon) * share, 6)
        a, b = (min_lon, min_lat, cut, max_lat), (cut, min_lat, max_lon, max_lat)
    else:
        cut = round(min_lat + (max_lat - min_lat) * share, 6)
        a, b = (min_lon, min_lat, max_lon, cut), (min_lon, cut, max_lon, max_lat)
    return _split(a, first, rng) + _split(b, parts - first, rng)


def polygon(box: Box) -> dict[str, Any]:
    """A GeoJSON Polygon of a rectangle, counter-clockwise as RFC 7946 asks."""
    min_lon, min_lat, max_lon, max_lat = box
    ring = [[min_lon, min_lat], [max_lon, min_lat], [max_lon, max_lat], [min_lon, max_lat]]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def _point_in(box: Box, rng: np.random.Generator) -> tuple[float, float]:
    """A point well inside the rectangle (not on a shared edge)."""
    u, v = rng.uniform(0.1, 0.9, size=2)
    lon = box[0] + (box[2] - box[0]) * u
    lat = box[1] + (box[3] - box[1]) * v
    return round(float(lon), 6), round(float(lat), 6)


# --- areas ----------------------------------------------------------------------------------


def _code(path: str) -> str:
    """Upper levels show the 12-digit statistical code; grids and below their whole path."""
    return path.ljust(12, "0")


@dataclass
class _Node:
    path: str
    level: int
    box: Box
    name_zh: str
    name_en: str
    index: tuple[int, ...]  # position under the district, to sum its residents


def _words(rng: np.random.Generator, count: int) -> list[tuple[str, str]]:
    """Place words, distinct while the list lasts."""
    picks = rng.choice(len(names.PLACE_WORDS), size=count, replace=count > len(names.PLACE_WORDS))
    return [names.PLACE_WORDS[i] for i in picks]


def _child_names(rng: np.random.Generator, parent: _Node, count: int) -> list[tuple[str, str]]:
    level = parent.level + 1
    if level == STREET:
        return [(f"{zh}街道", f"{en} Subdistrict") for zh, en in _words(rng, count)]
    if level == COMMUNITY:
        return [(f"{zh}社区", f"{en} Community") for zh, en in _words(rng, count)]
    if level == GRID:
        return [(f"{parent.name_zh}第{n}网格", f"{parent.name_en} Grid {n}") for n in _ns(count)]
    if level == RESIDENTIAL_AREA:
        suffixes = rng.integers(len(names.RESIDENTIAL_SUFFIXES), size=count)
        return [
            (zh + names.RESIDENTIAL_SUFFIXES[s][0], f"{en} {names.RESIDENTIAL_SUFFIXES[s][1]}")
            for (zh, en), s in zip(_words(rng, count), suffixes, strict=True)
        ]
    return [(f"{parent.name_zh}{n}栋", f"{parent.name_en} Building {n}") for n in _ns(count)]


def _ns(count: int) -> range:
    return range(1, count + 1)


def _district_tree(
    rng: np.random.Generator, d: int, shape: CitySize, box: Box, name: tuple[str, str]
) -> list[list[_Node]]:
    """The district's areas, level by level (each level in code order)."""
    district = _Node(
        CITY_CODE + f"{d + 1:02d}", DISTRICT, box, f"{name[0]}区", f"{name[1]} District", ()
    )
    levels = [[district]]
    for count in shape.branching:
        below = []
        for parent in levels[-1]:
            boxes = _split(parent.box, count, rng)
            for i, (child_box, (zh, en)) in enumerate(
                zip(boxes, _child_names(rng, parent, count), strict=True)
            ):
                path = parent.path + f"{i + 1:03d}"
                below.append(_Node(path, parent.level + 1, child_box, zh, en, (*parent.index, i)))
        levels.append(below)
    return levels


def _household_sizes(seed: int, d: int, shape: CitySize) -> tuple[np.ndarray, np.ndarray]:
    """Households per building and the size of every household of a district, in building
    order. Drawn apart from everything else so the plan is cheap to compute up front."""
    rng = _rng(seed, d + 1, _HOUSEHOLDS)
    low, high = shape.households
    per_building = rng.integers(low, high + 1, size=shape.buildings_per_district)
    sizes = rng.choice(np.arange(1, 6), size=int(per_building.sum()), p=HOUSEHOLD_SIZE_SHARES)
    return per_building, sizes


def _district(
    seed: int,
    d: int,
    shape: CitySize,
    box: Box,
    name: tuple[str, str],
    households: tuple[np.ndarray, np.ndarray],
    make_national_id: NationalIdMaker,
) -> Iterator[Spec]:
    per_building, sizes = households
    starts = np.concatenate(([0], np.cumsum(per_building)[:-1]))
    residents = np.add.reduceat(sizes, starts).reshape(shape.branching)
    levels = _district_tree(_rng(seed, d + 1, _AREAS), d, shape, box, name)
    for nodes in levels:
        for node in nodes:
            parent_path = node.path[: PATH_DIGITS[node.level - 1]]
            yield AreaSpec(
                code=_code(node.path),
                level=node.level,
                parent_code=_code(parent_path),
                name_zh=node.name_zh,
                name_en=node.name_en,
                geometry=polygon(node.box),
                population=int(residents[node.index].sum()),
            )
    yield from _district_organisations(_rng(seed, d + 1, _ORGANISATIONS), levels)
    ids = _IdNumbers(levels[0][0].path, make_national_id)
    buildings = zip(levels[-1], starts.tolist(), per_building.tolist(), strict=True)
    rng = _rng(seed, d + 1, _RESIDENTS)
    for building, start, count in buildings:
        yield from _building_residents(rng, building.path, sizes[start : start + count], ids)


# --- organisations --------------------------------------------------------------------------


def _organisation(
    rng: np.random.Generator,
    kind: str,
    name: tuple[str, str],
    area: _Node,
    *,
    department_type: str = "",
    district_zh: str = "",
) -> OrganisationSpec:
    """An organisation at a point inside its area, with a street address and an office line."""
    lon, lat = _point_in(area.box, rng)
    word = names.PLACE_WORDS[rng.integers(len(names.PLACE_WORDS))][0]
    road = names.ROAD_SUFFIXES[rng.integers(len(names.ROAD_SUFFIXES))][0]
    return OrganisationSpec(
        kind=kind,
        department_type=department_type,
        name_zh=name[0],
        name_en=name[1],
        area_code=_code(area.path),
        address=f"{names.CITY[0]}{district_zh}{word}{road}{rng.integers(1, 400)}号",
        lon=lon,
        lat=lat,
        public_phone=f"{OFFICE_TRUNK}-{rng.integers(8000_0000, 9000_0000)}",
    )


def _city_organisations(rng: np.random.Generator) -> Iterator[OrganisationSpec]:
    """The command centre, the seven departments, a few NGOs and companies."""
    city = _Node(CITY_CODE, CITY, CITY_BOX, *names.CITY, ())
    zh, en = names.CITY
    centre_zh, centre_en = names.COMMAND_CENTRE
    yield _organisation(
        rng, "department", (zh + centre_zh, f"{en} {centre_en}"), city,
        department_type="command_centre",
    )  # fmt: skip
    for department_type, city_zh, _, dept_en in names.DEPARTMENTS:
        yield _organisation(
            rng, "department", (zh + city_zh, f"{en} {dept_en}"), city,
            department_type=department_type,
        )  # fmt: skip
    for kind, organisations in (("ngo", names.NGOS), ("company", names.COMPANIES)):
        for org_zh, org_en in organisations:
            yield _organisation(rng, kind, (zh + org_zh, f"{en} {org_en}"), city)


def _district_organisations(
    rng: np.random.Generator, levels: list[list[_Node]]
) -> Iterator[OrganisationSpec]:
    """Seven departments and 1-2 hospitals per district, a testing site per street and 1-2
    pharmacies per community."""
    district = levels[0][0]
    zh, en = district.name_zh, district.name_en
    for department_type, _, dept_zh, dept_en in names.DEPARTMENTS:
        yield _organisation(
            rng, "department", (zh + dept_zh, f"{en} {dept_en}"), district,
            department_type=department_type, district_zh=zh,
        )  # fmt: skip
    for hospital_zh, hospital_en in names.HOSPITALS[: rng.integers(1, 3)]:
        name = (zh + hospital_zh, f"{en} {hospital_en}")
        yield _organisation(rng, "hospital", name, district, district_zh=zh)
    site_zh, site_en = names.TESTING_SITE
    for street in levels[1]:
        name = (street.name_zh + site_zh, f"{street.name_en} {site_en}")
        yield _organisation(rng, "testing_site", name, street, district_zh=zh)
    for community in levels[2]:
        # A pharmacy takes the community's place word, not the word "community".
        word_zh = community.name_zh.removesuffix("社区")
        word_en = community.name_en.removesuffix(" Community")
        for pharmacy_zh, pharmacy_en in names.PHARMACIES[: rng.integers(1, 3)]:
            name = (word_zh + pharmacy_zh, f"{word_en} {pharmacy_en}")
            yield _organisation(rng, "pharmacy", name, community, district_zh=zh)


# --- households and residents ---------------------------------------------------------------


def _cumulative(weights: Sequence[float]) -> list[float]:
    total = sum(weights)
    return [x / total for x in itertools.accumulate(weights)]


_ADULT_AGES = _cumulative(AGE_BAND_SHARES[ADULT_FROM_BAND:])
_SURNAME_CUMULATIVE = _cumulative([w for _, w in names.SURNAMES])
_GIVEN = {
    True: names.GIVEN_MALE + names.GIVEN_EITHER,
    False: names.GIVEN_FEMALE + names.GIVEN_EITHER,
}
_ENGLISH_GIVEN = {True: names.ENGLISH_MALE, False: names.ENGLISH_FEMALE}


def _pick(cumulative: list[float], u: float) -> int:
    return min(bisect.bisect_right(cumulative, u), len(cumulative) - 1)


def _chinese_surname(u: float) -> str:
    return names.SURNAMES[_pick(_SURNAME_CUMULATIVE, u)][0]


def _family_name(u: float, foreign: bool) -> str:
    if foreign:
        return names.ENGLISH_SURNAMES[int(u * len(names.ENGLISH_SURNAMES))]
    return _chinese_surname(u)


def flat_number(index: int) -> str:
    """The index-th flat of a building: units of six floors, two flats a floor ("3-201")."""
    unit, within = divmod(index, 12)
    floor, flat = divmod(within, 2)
    return f"{unit + 1}-{floor + 1}{flat + 1:02d}"


# One row of uniform draws per resident; the columns, by name.
(_SEX, _AGE_BAND, _AGE_IN_BAND, _GIVEN_LENGTH, _CHAR1, _CHAR2, _BIRTHDAY, _HAS_PHONE,
 _PHONE_PREFIX, _PHONE_DIGITS, _OWN_SURNAME) = range(11)  # fmt: skip
_DRAWS = 11


def _members(
    size: int, foreign: bool, u_partner: float, family: str, draws: Iterator[list[float]]
) -> Iterator[tuple[bool, int, str, list[float]]]:
    """Who lives in a household (male?, age, surname, draws): a head of 20 or more, usually a
    partner of the other sex and about the same age, then children 22-37 years younger than
    the head, or the head's parents (a father and a mother) when the head is too young to have
    them. Children take the father's surname; a Chinese wife and the head's mother keep theirs."""
    u = next(draws)
    head_male = u[_SEX] < 0.5
    head_age = 5 * (ADULT_FROM_BAND + _pick(_ADULT_AGES, u[_AGE_BAND])) + int(u[_AGE_IN_BAND] * 5)
    yield head_male, head_age, family, u
    father = family if head_male else ""
    last_parent_male: bool | None = None
    for position in range(1, size):
        u = next(draws)
        if position == 1 and u_partner < PARTNER_SHARE:
            male = not head_male
            age = min(max(head_age - 5 + int(u[_AGE_BAND] * 11), 20), 99)
            surname = family if foreign else _chinese_surname(u[_OWN_SURNAME])
            father = surname if male else father
            yield male, age, surname, u
            continue
        child_age = head_age - 22 - int(u[_AGE_BAND] * 16)
        if child_age >= 0:
            yield u[_SEX] < 0.51, child_age, father or family, u
            continue
        male = u[_SEX] < 0.5 if last_parent_male is None else not last_parent_male
        last_parent_male = male
        age = min(head_age + 22 + int(u[_AGE_BAND] * 14), 99)
        yield male, age, family if (male or foreign) else _chinese_surname(u[_OWN_SURNAME]), u


def _given_name(male: bool, foreign: bool, u: list[float]) -> str:
    if foreign:
        options = _ENGLISH_GIVEN[male]
        return options[int(u[_CHAR1] * len(options))]
    pool = _GIVEN[male]
    first = pool[int(u[_CHAR1] * len(pool))]
    return first if u[_GIVEN_LENGTH] < 0.25 else first + pool[int(u[_CHAR2] * len(pool))]


def _phone(age: int, u: list[float]) -> str:
    """Most residents have a mobile; young children do not, nor half of those over 80."""
    if age < 12 or (age >= 80 and u[_HAS_PHONE] < 0.5) or u[_HAS_PHONE] > 0.98:
        return ""
    prefix = MOBILE_PREFIXES[int(u[_PHONE_PREFIX] * len(MOBILE_PREFIXES))]
    return f"{prefix}{int(u[_PHONE_DIGITS] * 100_000_000):08d}"


class _IdNumbers:
    """Issues ID numbers unique in a district: one sequence counter per birth day and sex,
    with sequences spread over 0-999 (odd for men, even for women) as real ones are."""

    def __init__(self, area_code: str, make: NationalIdMaker):
        self.area_code, self.make = area_code, make
        self.issued: dict[tuple[int, bool], int] = {}

    def issue(self, birth: dt.date, male: bool) -> str:
        key = (birth.toordinal(), male)
        count = self.issued.get(key, 0)
        if count >= 500:
            raise ValueError(f"more than 500 {'men' if male else 'women'} born on {birth}")
        self.issued[key] = count + 1
        sequence = (key[0] * 37 + count) % 500 * 2 + male
        return self.make(self.area_code, birth, sequence)


def _building_residents(
    rng: np.random.Generator, code: str, sizes: np.ndarray, ids: _IdNumbers
) -> Iterator[HouseholdSpec | ResidentSpec]:
    """The households of one building, each followed by its members."""
    census = CENSUS_DAY.toordinal()
    household_sizes = sizes.tolist()
    household_draws = rng.random((len(household_sizes), 3)).tolist()
    draws = iter(rng.random((sum(household_sizes), _DRAWS)).tolist())
    for index, (size, (u_foreign, u_partner, u_family)) in enumerate(
        zip(household_sizes, household_draws, strict=True)
    ):
        number = flat_number(index)
        yield HouseholdSpec(building_code=code, number=number)
        foreign = u_foreign < FOREIGN_SHARE
        family = _family_name(u_family, foreign)
        for male, age, surname, u in _members(size, foreign, u_partner, family, draws):
            given = _given_name(male, foreign, u)
            birth = dt.date.fromordinal(census - int((age + u[_BIRTHDAY]) * 365.2425))
            yield ResidentSpec(
                name=f"{given} {surname}" if foreign else surname + given,
                national_id=ids.issue(birth, male),
                phone=_phone(age, u),
                date_of_birth=birth,
                sex="M" if male else "F",
                building_code=code,
                household_number=number,
            )


def spec_digest(specs: Iterable[Spec]) -> str:
    """A fingerprint of a spec stream: equal fingerprints, equal cities."""
    digest = hashlib.sha256()
    for spec in specs:
        digest.update(repr(spec).encode())
    return digest.hexdigest()
