"""Writes to the area tree: create an area, update it, import a GeoJSON subtree.

Each is one transaction holding the change, an audit entry naming the actor (one per area; one
per file for an import), and a `geo.area_changed` outbox event for other apps (maps, read
models). An area's place in the tree comes from its code: the code starts with the parent's
path, and its level is the parent's plus one. Outlines lie inside the parent's outline.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from shapely.geometry.base import BaseGeometry

from crisisgov.geo import geometry
from crisisgov.geo.geometry import GeometryError, Outline
from crisisgov.geo.levels import (
    LEVEL_SLUGS,
    PATH_DIGITS,
    Level,
    check_code,
    level_from_value,
    path_from_code,
)
from crisisgov.geo.models import Area
from crisisgov.geo.permissions import GeoPermission
from crisisgov.geo.selectors import area_get
from crisisgov.kernel.actor import Actor
from crisisgov.kernel.audit import audit_record
from crisisgov.kernel.errors import Conflict, DomainError, NotFound, PermissionDenied
from crisisgov.kernel.outbox import outbox_publish

TOPIC = "geo.area_changed"
NAME_MAX_LENGTH = 100
MAX_POPULATION = 2_147_483_647  # the column is a 32-bit integer on PostgreSQL
_BBOX_FIELDS = ["min_lon", "min_lat", "max_lon", "max_lat"]
FEATURE_PROPERTIES = {"code", "level", "parent_code", "name_zh", "name_en", "population", "id"}
LOOKUP_BATCH = 500  # codes per `IN (...)`, well under SQLite's bound-parameter limit
WRITE_BATCH = 500
IMPORTED_COLUMNS = ["name_zh", "name_en", "population", "geometry", *_BBOX_FIELDS]


# --- checks shared by every write --------------------------------------------------------


def _clean_name(value: object, *, field: str) -> str:
    if value is None:
        raise DomainError("a name is required", field=field)
    if not isinstance(value, str):
        raise DomainError("a name is text", field=field)
    name = " ".join(value.split())
    if not 1 <= len(name) <= NAME_MAX_LENGTH:
        raise DomainError(f"a name has 1 to {NAME_MAX_LENGTH} characters", field=field)
    # Control characters (NUL above all) and lone surrogates cannot be stored in PostgreSQL.
    if not name.isprintable():
        raise DomainError("a name holds printable characters only", field=field)
    return name


def _clean_population(value: object, *, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DomainError("a population is a whole number", field=field)
    if not 0 <= value <= MAX_POPULATION:
        raise DomainError(f"a population is between 0 and {MAX_POPULATION}", field=field)
    return value


def _clean_outline(value: object, *, field: str) -> Outline | None:
    """The validated outline, or None for an area whose outline is not drawn yet."""
    if value is None:
        return None
    try:
        return geometry.parse_outline(value)
    except GeometryError as exc:
        raise DomainError(str(exc), field=field) from exc


def _is_code_text(value: object) -> bool:
    return isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 21


def _inside_parent(child: Outline | None, parent_geojson: dict | None) -> bool:
    if child is None or parent_geojson is None:
        return True  # nothing drawn yet on one side: nothing to compare
    return geometry.covers(geometry.outline_shape(parent_geojson), child.shape)


def _level_below(parent_level: int, level: Level) -> str | None:
    """Why an area at `level` cannot be a child of one at `parent_level`, or None."""
    if level == parent_level + 1:
        return None
    parent_slug = LEVEL_SLUGS[Level(parent_level)]
    if parent_level == Level.BUILDING:
        return "a building has no areas below it"
    expected = LEVEL_SLUGS[Level(parent_level + 1)]
    return f"the level below a {parent_slug} is {expected}, not {LEVEL_SLUGS[level]}"


def _set_outline(area: Area, outline: Outline | None) -> None:
    """Store the outline and keep the bounding-box columns the point lookup uses in step."""
    area.geometry = outline.geojson if outline else None
    box = outline.bbox if outline else (None, None, None, None)
    area.min_lon, area.min_lat, area.max_lon, area.max_lat = box


def _uncovered_children(area: Area, outline: Outline | None, *, skip: set[str]) -> list[Area]:
    """Children of `area` (other than codes in `skip`) that `outline` would leave out."""
    if outline is None:
        return []
    children = Area.objects.filter(parent=area).only("code", "geometry").order_by("path")
    return [
        child
        for child in children
        if child.code not in skip
        and child.geometry
        and not geometry.covers(outline.shape, geometry.outline_shape(child.geometry))
    ]


def _event(action: str, areas: Iterable[Area]) -> dict[str, Any]:
    areas = list(areas)
    return {"action": action, "area_ids": [a.pk for a in areas], "paths": [a.path for a in areas]}


def _record_created(actor: Actor, area: Area) -> None:
    audit_record(
        actor=actor,
        permission=GeoPermission.EDIT_AREA,
        action="geo.area_created",
        target_type="geo.area",
        target_id=area.pk,
        area_path=area.path,
        detail={"code": area.code},
    )


def _record_updated(actor: Actor, area: Area, changed: Iterable[str]) -> None:
    audit_record(
        actor=actor,
        permission=GeoPermission.EDIT_AREA,
        action="geo.area_updated",
        target_type="geo.area",
        target_id=area.pk,
        area_path=area.path,
        detail={"code": area.code, "changed": sorted(changed)},
    )


def _differs(area: Area, name: str, value: Any) -> bool:
    if name == "geometry":
        return (value.geojson if value else None) != area.geometry
    return value != getattr(area, name)


def _apply(area: Area, changes: dict[str, Any]) -> list[str]:
    """Set the changed values on `area`; returns the columns to save."""
    columns = []
    for name, value in changes.items():
        if name == "geometry":
            _set_outline(area, value)
            columns += ["geometry", *_BBOX_FIELDS]
        else:
            setattr(area, name, value)
            columns.append(name)
    return columns


# --- one area --------------------------------------------------------------------------


def area_create(
    *,
    actor: Actor,
    code: str,
    level: int | str,
    parent_id: int | None,
    name_zh: str,
    name_en: str,
    geometry: dict | None,
    population: int = 0,
) -> Area:
    """Add one area under `parent_id` (None only for a province, which only the system adds)."""
    area_level = level_from_value(level)
    if area_level is None:
        raise DomainError("a level is 1 (province) to 8 (building), or its name", field="level")
    name_zh = _clean_name(name_zh, field="name_zh")
    name_en = _clean_name(name_en, field="name_en")
    population = _clean_population(population, field="population")
    outline = _clean_outline(geometry, field="geometry")
    if not _is_code_text(code):
        raise DomainError("a code is a string of digits", field="code")

    with transaction.atomic():
        parent = None
        if parent_id is not None:
            try:
                parent = area_get(actor=actor, area_id=parent_id)
            except NotFound:
                raise NotFound("no such area", field="parent_id") from None
        if not actor.can_at(GeoPermission.EDIT_AREA, parent.path if parent else ""):
            raise PermissionDenied("you may not add areas here", field="parent_id")
        if parent is None and area_level != Level.PROVINCE:
            raise DomainError("only a province has no parent", field="parent_id")
        if parent is not None and (problem := _level_below(parent.level, area_level)):
            raise DomainError(problem, field="level")
        if problem := check_code(code, area_level, parent.path if parent else None):
            raise DomainError(problem, field="code")
        if parent is not None and not _inside_parent(outline, parent.geometry):
            raise DomainError("the outline is not inside its parent's outline", field="geometry")
        if Area.objects.filter(code=code).exists():
            raise Conflict("an area with this code exists", field="code")

        area = Area(
            code=code,
            path=path_from_code(code, area_level),
            level=area_level,
            parent=parent,
            name_zh=name_zh,
            name_en=name_en,
            population=population,
        )
        _set_outline(area, outline)
        try:
            with transaction.atomic():
                area.save(force_insert=True)
        except IntegrityError:  # created by someone else since the check above
            raise Conflict("an area with this code exists", field="code") from None
        _record_created(actor, area)
        outbox_publish(topic=TOPIC, payload=_event("created", [area]))
    return area


def area_update_changes(
    *,
    area: Area,
    name_zh: str | None = None,
    name_en: str | None = None,
    geometry: dict | None = None,
    population: int | None = None,
) -> dict[str, Any]:
    """The validated changes an update would make to `area` (None means "leave as is").

    A new outline must stay inside the parent's and keep every child inside it. The admin
    form calls this to show problems next to the fields before anything is saved.
    """
    changes: dict[str, Any] = {}
    if name_zh is not None:
        changes["name_zh"] = _clean_name(name_zh, field="name_zh")
    if name_en is not None:
        changes["name_en"] = _clean_name(name_en, field="name_en")
    if population is not None:
        changes["population"] = _clean_population(population, field="population")
    if geometry is not None:
        outline = _clean_outline(geometry, field="geometry")
        if _differs(area, "geometry", outline):
            parent_geometry = area.parent.geometry if area.parent else None
            if not _inside_parent(outline, parent_geometry):
                raise DomainError(
                    "the outline is not inside its parent's outline", field="geometry"
                )
            if left_out := _uncovered_children(area, outline, skip=set()):
                codes = ", ".join(child.code for child in left_out[:5])
                raise DomainError(f"the outline leaves out its children {codes}", field="geometry")
        changes["geometry"] = outline
    return {name: value for name, value in changes.items() if _differs(area, name, value)}


def area_update(
    *,
    actor: Actor,
    area_id: int,
    name_zh: str | None = None,
    name_en: str | None = None,
    geometry: dict | None = None,
    population: int | None = None,
) -> Area:
    """Change an area's names, outline or population; its code and place are fixed."""
    with transaction.atomic():
        area = area_get(actor=actor, area_id=area_id)
        if not actor.can_at(GeoPermission.EDIT_AREA, area.path):
            raise PermissionDenied("you may not edit this area", field="area_id")
        changes = area_update_changes(
            area=area, name_zh=name_zh, name_en=name_en, geometry=geometry, population=population
        )
        if not changes:
            return area
        area.save(update_fields=_apply(area, changes))
        _record_updated(actor, area, changes)
        outbox_publish(topic=TOPIC, payload=_event("updated", [area]))
    return area


# --- GeoJSON import ---------------------------------------------------------------------


@dataclass(frozen=True)
class ImportReport:
    created: int
    updated: int
    unchanged: int


@dataclass(frozen=True)
class ImportProblem:
    """One thing wrong with one feature of an import file."""

    index: int  # the feature's position in the file, from 0
    code: str  # the feature's code as given ("" when it has none)
    field: str  # inside the feature: "geometry", "properties.parent_code", ...
    message: str
    kind: str = "invalid"

    def as_detail(self) -> dict[str, object]:
        where = f"feature {self.index}" + (f" ({self.code})" if self.code else "")
        return {
            "code": self.kind,
            "field": f"features.{self.index}.{self.field}",
            "message": f"{where}: {self.message}",
        }


class ImportRejected(DomainError):
    """The import was refused as a whole: nothing was written. Lists every problem found."""

    def __init__(self, problems: list[ImportProblem]):
        super().__init__(f"{len(problems)} problem(s) in the file; nothing was imported")
        self.problems = problems

    def as_dict(self) -> dict[str, object]:
        return {"detail": [problem.as_detail() for problem in self.problems]}


@dataclass(eq=False)
class _Row:
    """One feature of the file, as far as it could be understood."""

    index: int
    code: str = ""
    level: Level | None = None
    parent_code: str | None = None
    name_zh: str = ""
    name_en: str = ""
    population: int = 0
    outline: Outline | None = None
    valid: bool = True  # False once its place in the tree cannot be checked
    existing: Area | None = None
    parent_row: _Row | None = None  # the parent, when it is a feature of the same file
    parent_area: Area | None = None  # the parent, when it is already in the database
    saved: Area | None = None
    problems: list[ImportProblem] = field(default_factory=list)

    def problem(
        self, field: str, message: str, kind: str = "invalid", *, blocks: bool = True
    ) -> None:
        """Note a problem; one that `blocks` stops the checks that build on this field."""
        self.problems.append(ImportProblem(self.index, self.code, field, message, kind))
        self.valid = self.valid and not blocks

    @property
    def path(self) -> str:
        assert self.level is not None
        return path_from_code(self.code, self.level)

    @property
    def parent_level(self) -> int | None:
        if self.parent_row is not None:
            return self.parent_row.level
        return self.parent_area.level if self.parent_area is not None else None

    @property
    def parent_path(self) -> str | None:
        if self.parent_row is not None and self.parent_row.level is not None:
            return self.parent_row.path
        return self.parent_area.path if self.parent_area is not None else None

    def parent_shape(self, shapes: dict[int, BaseGeometry]) -> BaseGeometry | None:
        """The parent's outline (as the file will leave it); `shapes` caches database ones."""
        if self.parent_row is not None:
            return self.parent_row.outline.shape if self.parent_row.outline else None
        area = self.parent_area
        if area is None or area.geometry is None:
            return None
        if area.pk not in shapes:
            shapes[area.pk] = geometry.outline_shape(area.geometry)
        return shapes[area.pk]


def _read_feature(index: int, raw: object) -> _Row:
    """Parse one feature's properties and outline; every problem is kept on the row."""
    row = _Row(index=index)
    if not isinstance(raw, dict) or raw.get("type") != "Feature":
        row.problem("type", "each item of features is a GeoJSON Feature")
        return row
    properties = raw.get("properties")
    if not isinstance(properties, dict):
        row.problem("properties", "a feature's properties are an object")
        return row
    code = properties.get("code")
    if _is_code_text(code):
        row.code = code  # type: ignore[assignment]
    else:
        row.problem("properties.code", "a code is a string of up to 21 digits")
    for name in sorted(set(properties) - FEATURE_PROPERTIES):
        row.problem(f"properties.{name}", "unknown property", kind="extra_forbidden")
    row.level = level_from_value(properties.get("level"))
    if row.level is None:
        row.problem("properties.level", "a level is 1 (province) to 8 (building), or its name")
    parent_code = properties.get("parent_code")
    if parent_code is None or _is_code_text(parent_code):
        row.parent_code = parent_code  # type: ignore[assignment]
    else:
        row.problem("properties.parent_code", "a parent code is a string of digits, or null")

    checks = [
        ("name_zh", _clean_name, properties.get("name_zh"), "properties.name_zh"),
        ("name_en", _clean_name, properties.get("name_en"), "properties.name_en"),
        ("population", _clean_population, properties.get("population", 0), "properties.population"),
        ("outline", _clean_outline, raw.get("geometry"), "geometry"),
    ]
    for attribute, clean, value, where in checks:
        try:
            setattr(row, attribute, clean(value, field=where))  # type: ignore[operator]
        except DomainError as exc:
            row.problem(where, exc.message, blocks=False)
    return row


def _visible_by_code(actor: Actor, codes: set[str]) -> dict[str, Area]:
    """Areas the actor may see, by code; locked until the import commits (PostgreSQL)."""
    found: dict[str, Area] = {}
    ordered = sorted(codes)
    visible = Area.objects.for_actor(actor, GeoPermission.VIEW_AREA)
    for start in range(0, len(ordered), LOOKUP_BATCH):
        batch = ordered[start : start + LOOKUP_BATCH]
        # The parent comes along for a re-import of one's own district, whose parent may be
        # out of sight; its outline is read (once per parent) only when it is needed.
        rows = visible.filter(code__in=batch).select_related("parent").defer("parent__geometry")
        found.update((a.code, a) for a in rows.select_for_update(of=("self",)))
    return found


def _resolve_parent(row: _Row, by_code: dict[str, _Row], visible: dict[str, Area]) -> None:
    """Find the row's parent in the file or the database, or say why there is none."""
    if row.level == Level.PROVINCE:
        if row.parent_code is not None:
            row.problem("properties.parent_code", "a province has no parent")
        return
    if row.parent_code is None:
        row.problem("properties.parent_code", "every area below a province has a parent")
        return
    existing_parent = row.existing.parent if row.existing else None
    if row.parent_code in by_code:
        row.parent_row = by_code[row.parent_code]
    elif row.parent_code in visible:
        row.parent_area = visible[row.parent_code]
    elif existing_parent is not None and existing_parent.code == row.parent_code:
        # Re-importing one's own district: its parent (the city) may lie outside one's
        # jurisdiction but is the parent the area already has.
        row.parent_area = existing_parent
    else:
        # Missing and out of jurisdiction read the same, so the answer reveals nothing.
        row.problem("properties.parent_code", "no area has this parent code", kind="not_found")


def _mark_cycles(rows: list[_Row]) -> None:
    """Report features whose parent codes lead back to themselves (A -> B -> A)."""
    done: set[int] = set()
    for start in rows:
        chain: dict[int, int] = {}  # row index -> position on the walk from `start`
        walk: list[_Row] = []
        node: _Row | None = start
        while node is not None and node.index not in done and node.index not in chain:
            chain[node.index] = len(walk)
            walk.append(node)
            node = node.parent_row
        if node is not None and node.index in chain:
            cycle = walk[chain[node.index] :]
            codes = [r.code for r in cycle[:10]] + (["…"] if len(cycle) > 10 else [])
            shown = " → ".join([*codes, node.code])
            for member in cycle:
                member.problem("properties.parent_code", f"the parent codes form a cycle: {shown}")
                member.parent_row = None
        done.update(chain)


def _check_place(actor: Actor, row: _Row, shapes: dict[int, BaseGeometry]) -> None:
    """Level order, code, permission and outline of a row whose parent is known."""
    assert row.level is not None
    if row.parent_row is not None and not row.parent_row.valid:
        row.valid = False  # its parent's problems are reported; its subtree waits for them
        return
    has_parent = row.parent_row is not None or row.parent_area is not None
    parent_level = row.parent_level
    problem = _level_below(parent_level, row.level) if parent_level is not None else None
    if problem:
        row.problem("properties.level", problem)
        return
    if problem := check_code(row.code, row.level, row.parent_path if has_parent else None):
        row.problem("properties.code", problem)
        return
    if row.existing is not None and row.existing.level != row.level:
        row.problem("properties.level", f"this area exists at level {row.existing.level}")
        return
    if row.existing is not None:
        if not actor.can_at(GeoPermission.EDIT_AREA, row.existing.path):
            row.problem("properties.code", "you may not edit this area", kind="forbidden")
            return
    elif not actor.can_at(GeoPermission.EDIT_AREA, row.parent_path or ""):
        row.problem("properties.parent_code", "you may not add areas here", kind="forbidden")
        return
    parent_shape = row.parent_shape(shapes)
    if row.outline and parent_shape and not geometry.covers(parent_shape, row.outline.shape):
        row.problem("geometry", f"the outline is not inside its parent {row.parent_code}'s outline")


def _changes(row: _Row) -> dict[str, Any]:
    """What the import changes on an existing area (the file's values win)."""
    assert row.existing is not None
    wanted = {
        "name_zh": row.name_zh,
        "name_en": row.name_en,
        "population": row.population,
        "geometry": row.outline,
    }
    return {name: value for name, value in wanted.items() if _differs(row.existing, name, value)}


def areas_import_geojson(*, actor: Actor, collection: object) -> ImportReport:
    """Create or update the areas of a FeatureCollection, all of them or none.

    Each feature carries `code`, `level` (1-8 or its name), `parent_code` (an area already in
    the tree, or another feature of the file), `name_zh`, `name_en` and `population`. An
    existing code is updated to the file's values, so importing the same file twice changes
    nothing. Every problem is reported with its feature and field (ImportRejected).
    """
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise DomainError("an import is a GeoJSON FeatureCollection", field="type")
    features = collection.get("features")
    if not isinstance(features, list):
        raise DomainError("a FeatureCollection has a list of features", field="features")
    rows = [_read_feature(index, raw) for index, raw in enumerate(features)]

    with transaction.atomic():
        by_code: dict[str, _Row] = {}
        for row in rows:
            if row.code in by_code:
                first = by_code[row.code].index
                row.problem("properties.code", f"the code repeats feature {first}", "duplicate")
            elif row.code:
                by_code[row.code] = row
        parent_codes = {row.parent_code for row in rows if row.parent_code}
        visible = _visible_by_code(actor, set(by_code) | parent_codes)
        for row in rows:
            row.existing = visible.get(row.code)
        for row in rows:
            if row.valid:
                _resolve_parent(row, by_code, visible)
        _mark_cycles(rows)
        # Parents before children, so that a child can wait for a parent found wanting.
        shapes: dict[int, BaseGeometry] = {}
        for row in sorted(rows, key=lambda r: (r.level or 0, r.index)):
            if row.valid:
                _check_place(actor, row, shapes)
        changes = {row.index: _changes(row) for row in rows if row.valid and row.existing}
        _check_children_kept(rows, changes, skip=set(by_code))

        problems = [problem for row in rows for problem in row.problems]
        if problems:
            raise ImportRejected(problems)
        return _write_import(actor, rows, changes)


def _check_children_kept(rows: list[_Row], changes: dict[int, dict], *, skip: set[str]) -> None:
    """A new outline for an existing area must keep the children the file does not redraw."""
    for row in rows:
        if "geometry" in changes.get(row.index, {}) and row.existing is not None:
            left_out = _uncovered_children(row.existing, row.outline, skip=skip)
            if left_out:
                codes = ", ".join(child.code for child in left_out[:5])
                row.problem("geometry", f"the outline leaves out its children {codes}")


def _write_import(actor: Actor, rows: list[_Row], changes: dict[int, dict]) -> ImportReport:
    """Write a checked import: new areas level by level (parents first), then the updates."""
    created: list[Area] = []
    updated: list[Area] = []
    for level in Level:
        batch = []
        for row in rows:
            if row.level != level:
                continue
            if row.existing is not None:
                row.saved = row.existing
                if changes[row.index]:
                    _apply(row.existing, changes[row.index])
                    updated.append(row.existing)
                continue
            row.saved = Area(
                code=row.code,
                path=row.path,
                level=row.level,
                parent=row.parent_row.saved if row.parent_row else row.parent_area,
                name_zh=row.name_zh,
                name_en=row.name_en,
                population=row.population,
            )
            _set_outline(row.saved, row.outline)
            batch.append(row.saved)
        try:
            with transaction.atomic():
                created += Area.objects.bulk_create(batch, batch_size=WRITE_BATCH)
        except IntegrityError:  # someone else created one of these codes while this ran
            raise Conflict("an area of this file was created meanwhile; import again") from None
    Area.objects.bulk_update(updated, IMPORTED_COLUMNS, batch_size=WRITE_BATCH)
    if created or updated:
        # One entry for the whole file: per-area entries cost a chain lock each, which
        # would dominate a city-sized import. It lists every code it touched.
        paths = [area.path for area in [*created, *updated]]
        audit_record(
            actor=actor,
            permission=GeoPermission.EDIT_AREA,
            action="geo.areas_imported",
            target_type="geo.area",
            area_path=_common_path(paths),
            detail={
                "created": [area.code for area in created],
                "updated": {
                    row.code: sorted(changes[row.index])
                    for row in rows
                    if row.existing is not None and changes[row.index]
                },
            },
        )
        outbox_publish(topic=TOPIC, payload=_event("imported", [*created, *updated]))
    return ImportReport(
        created=len(created),
        updated=len(updated),
        unchanged=len(rows) - len(created) - len(updated),
    )


def _common_path(paths: list[str]) -> str:
    """The deepest area path above (or equal to) all of `paths`: where the change happened."""
    prefix = os.path.commonprefix(paths)
    return max((prefix[:d] for d in PATH_DIGITS.values() if d <= len(prefix)), key=len, default="")
