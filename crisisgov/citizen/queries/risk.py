"""The risk level of an area, for anyone: by area code, by a point on the map, or by an address.

Which level applies: an area's level is the level in force of the nearest area that has one,
itself or an ancestor (`earlywarning.facade.risk_level_of` reads it the same way, and so does
the health status). The most specific decision of an official wins: a street lowered to
"low" inside a "high" district is low; an area with no level above it at all is low.

The levels are never read from the early-warning tables per request: they are published as
the document `risk-levels` (every level in force, by area code, with names and since when)
when a level is approved, and by `crisisgov citizen publish`; lookups read that
document. The area tree itself (names, codes, outlines) is read from geo.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from crisisgov.citizen.publishing import document_get, document_publish
from crisisgov.citizen.queries.rules import fold
from crisisgov.earlywarning.facade import risk_levels_in_force
from crisisgov.geo.facade import (
    PATH_DIGITS,
    AreaInfo,
    Level,
    area_at_point_public,
    area_by_code,
    areas_for_paths,
    areas_named_in,
)
from crisisgov.kernel.errors import DomainError, NotFound

DOCUMENT = "risk-levels"
MAX_ADDRESS_LENGTH = 100
MAX_CANDIDATES = 10


def risk_document_build() -> dict:
    """Every level in force, by area code: {"areas": {code: {path, name_zh, name_en, level,
    since, version}}}. No timestamp of its own, so an unchanged set keeps its ETag."""
    levels = risk_levels_in_force()
    areas = areas_for_paths([info.area_path for info in levels])
    entries = {}
    for info in levels:
        area = areas.get(info.area_path)
        if area is None:
            continue
        entries[area.code] = {
            "path": info.area_path,
            "name_zh": area.name_zh,
            "name_en": area.name_en,
            "level": info.level,
            "since": info.valid_from.isoformat(),
            "version": info.version,
        }
    return {"areas": entries, "inheritance": "nearest"}


def risk_document_publish() -> str:
    return document_publish(DOCUMENT, risk_document_build())


_parsed: dict[str, tuple[str, dict, dict]] = {}


def _levels_by_path() -> tuple[dict, dt.datetime]:
    """{path: (code, entry)} of the published document (parsed once per ETag per process),
    and when it was published. Publishes it first if it never was."""
    document = document_get(DOCUMENT)
    if document is None:
        risk_document_publish()
        document = document_get(DOCUMENT)
    assert document is not None
    cached = _parsed.get(DOCUMENT)
    if cached is None or cached[0] != document.etag:
        body = json.loads(document.body)
        by_path = {entry["path"]: (code, entry) for code, entry in body["areas"].items()}
        cached = (document.etag, body, by_path)
        _parsed[DOCUMENT] = cached
    return cached[2], document.published_at


@dataclass(frozen=True)
class RiskAnswer:
    area: AreaInfo
    level: str  # low | medium | high
    since: dt.datetime | None  # None: no level was ever set here or above
    set_for_code: str  # the area whose level applies (the area itself or an ancestor)
    set_for_zh: str
    set_for_en: str
    published_at: dt.datetime


def risk_of_area(area: AreaInfo) -> RiskAnswer:
    by_path, published_at = _levels_by_path()
    for digits in sorted(PATH_DIGITS.values(), reverse=True):
        if digits > len(area.path):
            continue
        found = by_path.get(area.path[:digits])
        if found:
            code, entry = found
            return RiskAnswer(
                area=area,
                level=entry["level"],
                since=dt.datetime.fromisoformat(entry["since"]),
                set_for_code=code,
                set_for_zh=entry["name_zh"],
                set_for_en=entry["name_en"],
                published_at=published_at,
            )
    return RiskAnswer(area, "low", None, "", "", "", published_at)


def risk_by_code(code: str) -> RiskAnswer:
    code = fold(code)
    if not (code.isascii() and code.isdigit()) or not 2 <= len(code) <= 21:
        raise DomainError("an area code is digits only, 2 to 21 of them", field="code")
    code = code.ljust(12, "0")  # "420102" is the district's 12-digit code cut short
    area = area_by_code(code)
    if area is None:
        raise NotFound("no area has this code", field="code")
    return risk_of_area(area)


def risk_by_point(lon: float, lat: float) -> RiskAnswer:
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise DomainError("longitude is -180 to 180 and latitude -90 to 90", field="point")
    area = area_at_point_public(lon=lon, lat=lat)
    if area is None:
        raise NotFound("the point lies outside every area of the city", field="point")
    return risk_of_area(area)


@dataclass(frozen=True)
class Candidate:
    area: AreaInfo
    label_zh: str  # the names from the district down, e.g. "江岸区 江岸街道 江岸小区"
    label_en: str


@dataclass(frozen=True)
class AddressAnswer:
    best: RiskAnswer | None  # None: nothing matched, or several matched equally well
    candidates: list[Candidate]


def risk_by_address(text: str) -> AddressAnswer:
    """The area an address names, best match first.

    An area whose whole name occurs in the text scores the length of its name plus those of
    its ancestors whose names occur too ("江岸区江岸小区1栋" points at the building, not at
    another "1栋"); areas whose name merely contains the text (typing in progress) come after.
    The best is the top scorer when no other area scores as well.
    """
    text = " ".join(text.split())
    if not text:
        raise DomainError("type an address, a place or a building", field="q")
    if len(text) > MAX_ADDRESS_LENGTH:
        raise DomainError(f"an address has at most {MAX_ADDRESS_LENGTH} characters", field="q")
    found = areas_named_in(text)
    whole = {a.path: a for a, is_whole in found if is_whole}

    def score(area: AreaInfo) -> int:
        return sum(
            len(m.name_zh if m.name_zh in text else m.name_en)
            for path, m in whole.items()
            if area.path.startswith(path)
        )

    ranked = sorted(
        found, key=lambda pair: (not pair[1], -score(pair[0]), -pair[0].level, pair[0].path)
    )
    best = None
    if ranked:
        top, top_whole = ranked[0]
        rivals = [
            a for a, w in ranked[1:] if w == top_whole and score(a) == score(top)
            and a.level == top.level
        ]  # fmt: skip
        partial_only = not top_whole and len(ranked) > 1
        if not rivals and not partial_only:
            best = risk_of_area(top)
    shown = [a for a, _ in ranked[:MAX_CANDIDATES]]
    return AddressAnswer(best=best, candidates=_labelled(shown))


def _labelled(areas: list[AreaInfo]) -> list[Candidate]:
    district = PATH_DIGITS[Level.DISTRICT]
    prefixes = {
        a.path[:d] for a in areas for d in PATH_DIGITS.values() if district <= d <= len(a.path)
    }
    names = areas_for_paths(sorted(prefixes))
    out = []
    for area in areas:
        chain = [names[p] for p in sorted(prefixes) if area.path.startswith(p) and p in names]
        out.append(
            Candidate(
                area=area,
                label_zh=" ".join(a.name_zh for a in chain) or area.name_zh,
                label_en=" / ".join(a.name_en for a in chain) or area.name_en,
            )
        )
    return out
