"""The dispatch catalogue: time-limit classes, categories and department desks.

Defaults come from the project's dataset (crisisgov/opinion/dataset/categories.json and
departments.json); staff with opinion.manage_catalogue change hours and categories later.
A desk is a department at one area, backed by a directory organisation (looked up through
the directory's facade, created there when the synthetic city has none of that kind).
"""

from __future__ import annotations

from django.db import transaction

from crisisgov.directory.facade import organisations_bulk_insert, organisations_of
from crisisgov.geo.facade import PATH_DIGITS, AreaRef, Level, areas_for_paths
from crisisgov.kernel.actor import Actor
from crisisgov.kernel.audit import audit_record
from crisisgov.kernel.errors import DomainError, NotFound, PermissionDenied
from crisisgov.opinion.dataset import load as dataset
from crisisgov.opinion.permissions import OpinionPermission
from crisisgov.opinion.tickets.departments import department_type
from crisisgov.opinion.tickets.models import AreaLevel, Category, Department, TimeLimitClass

# Default classes: (code, name zh, name en, hours to resolve, to respond, remind before).
DEFAULT_TIME_LIMITS = (
    ("urgent_2h", "紧急（2小时）", "urgent (2 hours)", 2.0, 0.5, 0.5),
    ("utility_24h", "水电气（24小时）", "utilities (24 hours)", 24.0, 2.0, 4.0),
    ("general_7d", "一般（7天）", "general (7 days)", 168.0, 24.0, 24.0),
    ("complex_15d", "复杂（15天）", "complex (15 days)", 360.0, 24.0, 48.0),
)
LEVEL_OF = {AreaLevel.CITY: Level.CITY, AreaLevel.DISTRICT: Level.DISTRICT,
            AreaLevel.STREET: Level.STREET}  # fmt: skip
M = OpinionPermission.MANAGE_CATALOGUE


def department_names() -> dict[str, tuple[str, str]]:
    return {d.code: (d.name_zh, d.name_en) for d in dataset.departments()}


def catalogue_load_defaults() -> tuple[int, int]:
    """Create the default classes and categories that are missing (never overwrites what staff
    configured). Returns (classes created, categories created)."""
    known = set(department_names())
    classes = categories = 0
    with transaction.atomic():
        for code, name_zh, name_en, hours, response, remind in DEFAULT_TIME_LIMITS:
            _, created = TimeLimitClass.objects.get_or_create(
                code=code,
                defaults=dict(name_zh=name_zh, name_en=name_en, hours=hours,
                              response_hours=response, reminder_before_hours=remind),
            )  # fmt: skip
            classes += created
        limits = {c.code: c for c in TimeLimitClass.objects.all()}
        for row in dataset.categories():
            if row.department not in known or row.time_limit not in limits:
                raise DomainError(f"categories.json: {row.code} names an unknown department or "
                                  "time limit", field=row.code)  # fmt: skip
            _, created = Category.objects.get_or_create(
                code=row.code,
                defaults=dict(name_zh=row.name_zh, name_en=row.name_en,
                              department_code=row.department, area_level=row.area_level,
                              time_limit=limits[row.time_limit]),
            )  # fmt: skip
            categories += created
    return classes, categories


def may_manage_catalogue(actor: Actor) -> bool:
    """The catalogue is the city's: managed from a city-wide (or wider) role only."""
    city_digits = PATH_DIGITS[Level.CITY]
    return actor.is_system or any(len(s.area_path) <= city_digits for s in actor.scopes_for(M))


def _require_manager(actor: Actor) -> None:
    if not may_manage_catalogue(actor):
        raise PermissionDenied("only the city's catalogue managers change the catalogue")


def time_limit_set(
    *, actor: Actor, code: str, hours: float, response_hours: float, reminder_before_hours: float
) -> TimeLimitClass:
    """Change a time-limit class. Tickets already dispatched keep their deadlines."""
    _require_manager(actor)
    if not 0 < hours <= 24 * 90:
        raise DomainError("hours must be above 0 and at most 90 days", field="hours")
    if not 0 < response_hours <= hours:
        raise DomainError("the first response is due within the time limit",
                          field="response_hours")  # fmt: skip
    if not 0 <= reminder_before_hours < hours:
        raise DomainError("the reminder must come before the deadline",
                          field="reminder_before_hours")  # fmt: skip
    with transaction.atomic():
        limit = TimeLimitClass.objects.select_for_update().filter(code=code).first()
        if limit is None:
            raise NotFound("no such time-limit class", field="code")
        before = [limit.hours, limit.response_hours, limit.reminder_before_hours]
        limit.hours, limit.response_hours = hours, response_hours
        limit.reminder_before_hours = reminder_before_hours
        limit.save()
        audit_record(
            actor=actor, action="opinion.ticket_time_limit_changed", permission=M,
            target_type="opinion_tickets.timelimitclass", target_id=limit.pk,
            detail={"code": code, "before": before,
                    "after": [hours, response_hours, reminder_before_hours]},
        )  # fmt: skip
    return limit


def category_set(
    *, actor: Actor, code: str, department_code: str, area_level: str, time_limit: str,
    active: bool = True,
) -> Category:  # fmt: skip
    """Point a category at another department, level or time-limit class (or retire it)."""
    _require_manager(actor)
    if department_code not in department_names():
        raise DomainError("unknown department", field="department_code")
    if area_level not in AreaLevel.values:
        raise DomainError("the level is city, district or street", field="area_level")
    limit = TimeLimitClass.objects.filter(code=time_limit).first()
    if limit is None:
        raise DomainError("unknown time-limit class", field="time_limit")
    with transaction.atomic():
        category = Category.objects.select_for_update().filter(code=code).first()
        if category is None:
            raise NotFound("no such category", field="code")
        category.department_code, category.area_level = department_code, area_level
        category.time_limit, category.active = limit, active
        category.save()
        audit_record(
            actor=actor, action="opinion.ticket_category_changed", permission=M,
            target_type="opinion_tickets.category", target_id=category.pk,
            detail={"code": code, "department": department_code, "level": area_level,
                    "time_limit": time_limit, "active": active},
        )  # fmt: skip
    return category


def level_of_path(path: str) -> Level:
    return next(level for level, digits in PATH_DIGITS.items() if digits == len(path))


def desk_path(area_path: str, level: str) -> str:
    """The path of the caller's ancestor at the catalogue's level (the caller's own area when
    it lies above that level, e.g. a district caller for a street-level category)."""
    digits = PATH_DIGITS[LEVEL_OF[AreaLevel(level)]]
    return area_path[:digits] if len(area_path) >= digits else area_path


def department_desk(*, code: str, area_path: str) -> Department:
    """The desk of department `code` at the area `area_path`, made on first use: backed by
    the directory's department of that type there, or by a new one named after the area."""
    desk = Department.objects.filter(code=code, area_path=area_path).first()
    if desk is not None:
        return desk
    names = department_names()
    if code not in names:
        raise DomainError("unknown department", field="department")
    area = areas_for_paths([area_path]).get(area_path)
    if area is None:
        raise NotFound("no such area", field="area_id")
    org = _organisation_at(code, area_path)
    if org is None:
        name_zh, name_en = names[code]
        organisations_bulk_insert(
            [_OrganisationRow(department_type(code), area.name_zh + name_zh,
                              f"{area.name_en} {name_en}", area.code)],
            areas={area.code: AreaRef(area.id, area.path)},
        )  # fmt: skip
        org = _organisation_at(code, area_path)
    desk, _ = Department.objects.get_or_create(
        code=code,
        area_id=area.id,
        defaults=dict(area_path=area.path, organisation_id=org.id, name_zh=org.name_zh,
                      name_en=org.name_en),
    )  # fmt: skip
    return desk


def _organisation_at(code: str, area_path: str):  # type: ignore[no-untyped-def]
    kind = department_type(code)
    found = organisations_of(kind="department", department_type=kind, under_path=area_path)
    return next((o for o in found if o.area_path == area_path), None)


def desk_parent(desk: Department) -> Department | None:
    """The same department one level up (street -> district -> city); None at the city."""
    level = level_of_path(desk.area_path)
    if level <= Level.CITY:
        return None
    parent_level = Level.CITY if level == Level.DISTRICT else Level.DISTRICT
    return department_desk(code=desk.code, area_path=desk.area_path[: PATH_DIGITS[parent_level]])


def command_centre_id(area_path: str) -> int | None:
    """The command centre of the caller's city (escalations are pushed there too)."""
    city = area_path[: PATH_DIGITS[Level.CITY]]
    found = organisations_of(kind="department", department_type="command_centre", under_path=city)
    return found[0].id if found else None


class _OrganisationRow:
    """What the directory's bulk insert reads of an organisation."""

    kind = "department"
    address = ""
    lon = lat = None
    public_phone = ""

    def __init__(self, department_type: str, name_zh: str, name_en: str, area_code: str):
        self.department_type, self.name_zh, self.name_en = department_type, name_zh, name_en
        self.area_code = area_code
