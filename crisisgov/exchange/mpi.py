"""The master person index: which records, of which datasets, are one person; and the review
queue where an officer decides the pairs the linkage could not.

`mpi_link` reads the person records of an area, decrypts the fields linkage needs (in memory,
for the run only), runs `linkage.link` and rebuilds the index while keeping every officer's
decision: a separated pair is never joined again, a merged pair is always joined. An officer's
merge moves the records of one master person into another and remembers which records moved,
so `merge_undo` can move exactly those back. Every decision is audited in its transaction.

The tables hold keys only (record ids, blind indexes, the names of comparison levels): names,
ID numbers and addresses stay encrypted in `Record.personal`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from crisisgov.exchange.linkage import CandidatePair, PersonRecord, link
from crisisgov.exchange.models import (
    PERSONAL_PURPOSES,
    MasterPerson,
    PersonLink,
    PersonMerge,
    Record,
    ReviewItem,
    ReviewStatus,
    SchemaVersion,
)
from crisisgov.exchange.permissions import ExchangePermission
from crisisgov.geo.facade import area_info
from crisisgov.kernel import pii
from crisisgov.kernel.actor import Actor
from crisisgov.kernel.audit import audit_record
from crisisgov.kernel.errors import Conflict, DomainError, NotFound

REVIEW = ExchangePermission.REVIEW_LINKS
REASON_MAX = 500

# --- which records are about a person ---------------------------------------------------------


@dataclass(frozen=True)
class PersonFields:
    """Where a schema keeps what linkage compares (None: the schema has no such field)."""

    name: str
    national_id: str
    birth_date: str | None
    phone: str | None
    address: str | None
    area_code: str | None


def person_fields(descriptor: dict) -> PersonFields | None:
    """A schema describes a person when it has a personal `name` and an ID-number field; a
    hotline caller or a material request's contact (a name and a phone only) is not linked."""
    fields = descriptor.get("fields", [])
    names = {f["name"]: f for f in fields}
    by_format = {f.get("format"): f["name"] for f in fields if f.get("format")}
    if not names.get("name", {}).get("personal") or "national_id" not in by_format:
        return None
    birth = next((n for n in ("birth_date", "date_of_birth") if n in names), None)
    return PersonFields(
        name="name",
        national_id=by_format["national_id"],
        birth_date=birth,
        phone=by_format.get("phone"),
        address="address" if "address" in names else None,
        area_code=by_format.get("area_code"),
    )


def _person_schemas() -> dict[int, PersonFields]:
    out = {}
    for pk, descriptor in SchemaVersion.objects.values_list("pk", "descriptor"):
        found = person_fields(descriptor)
        if found is not None:
            out[pk] = found
    return out


def birth_from_national_id(number: str | None) -> dt.date | None:
    """The birth date written in a resident ID number (digits 7-14), if it is a real date."""
    if not number or len(number) != 18 or not number[:14].isdigit():
        return None
    try:
        return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def _date(value: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class _Row:
    """What a run needs of a record; `personal` is the decrypted JSON."""

    pk: int
    data: dict
    personal: str
    id_index: str
    phone_index: str
    area_path: str
    schema_id: int


def _person_record(row: _Row, fields: PersonFields) -> PersonRecord:
    values = dict(row.data) | (json.loads(row.personal) if row.personal else {})
    national_id = values.get(fields.national_id)
    # case_report has an age, not a birth date: the ID number's date is the only exact one.
    born = _date(values.get(fields.birth_date)) if fields.birth_date else None
    phone = str(values.get(fields.phone) or "") if fields.phone else ""
    area_code = str(values.get(fields.area_code) or "") if fields.area_code else ""
    return PersonRecord(
        key=str(row.pk),
        id_index=row.id_index or None,
        name=values.get(fields.name) or None,
        date_of_birth=born or birth_from_national_id(national_id),
        phone_index=row.phone_index or None,
        phone_tail=phone[-4:] or None,
        address=(values.get(fields.address) or None) if fields.address else None,
        area_code=area_code or None,
    )


# --- the run ----------------------------------------------------------------------------------


CHUNK = 500  # ids per IN (...) list: SQLite limits a statement's parameters


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    ordered = sorted(ids)
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


def common_prefix(paths: Iterable[str]) -> str:
    """The longest common prefix of area paths: the smallest subtree holding them all."""
    return os.path.commonprefix(list(paths))


class _Groups:
    """Union-find over record ids that keeps officers' separations and one ID number per
    person (unless an officer merged two: a mis-keyed number is theirs to judge)."""

    def __init__(self, ids: dict[int, str], apart: dict[int, set[int]]):
        self.parent = {r: r for r in ids}
        self.members = {r: [r] for r in ids}
        self.ids = {r: ({ids[r]} if ids[r] else set()) for r in ids}
        self.apart = apart

    def find(self, r: int) -> int:
        while self.parent[r] != r:
            self.parent[r] = self.parent[self.parent[r]]
            r = self.parent[r]
        return r

    def kept_apart(self, a: int, b: int) -> bool:
        """True when an officer separated some record of a's person from one of b's."""
        ra, rb = self.find(a), self.find(b)
        return any(self.find(y) == rb for x in self.members[ra] for y in self.apart.get(x, ()))

    def union(self, a: int, b: int, *, officer: bool = False) -> str:
        """ "joined", "apart" (an officer separated them) or "id" (two ID numbers)."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return "joined"
        if self.kept_apart(a, b):
            return "apart"
        if not officer and self.ids[ra] and self.ids[rb] and self.ids[ra].isdisjoint(self.ids[rb]):
            return "id"
        if len(self.members[ra]) < len(self.members[rb]):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.members[ra] += self.members.pop(rb)
        self.ids[ra] |= self.ids.pop(rb)
        return "joined"

    def clusters(self) -> list[list[int]]:
        return sorted(sorted(m) for m in self.members.values())


@dataclass(frozen=True)
class LinkRun:
    area_path: str
    records: int
    people: int
    review: int
    auto_links: int


def _pair(pair: CandidatePair) -> tuple[int, int]:
    a, b = int(pair.left), int(pair.right)
    return (a, b) if a < b else (b, a)


def mpi_link(*, actor: Actor, area_path: str = "") -> LinkRun:
    """Link the person records under `area_path` ("" = everywhere, for the system) and rebuild
    their part of the index and of the review queue.

    Officers' decisions on pairs inside the area are kept. Records outside the area are not
    touched: links across its border are made by a run over an enclosing area.
    """
    if not actor.is_system and not (area_path and actor.can_at(REVIEW, area_path)):
        raise NotFound("no such area", field="area")
    schemas = _person_schemas()
    records = Record.objects.filter(dataset__schema_id__in=schemas)
    items = ReviewItem.objects.all()
    if area_path:
        records = records.filter(area_path__under=area_path)
        items = items.filter(area_path__under=area_path)
    with transaction.atomic():
        # Locks the decisions, so that one taken during the run waits for its end.
        decided = list(items.select_for_update().exclude(status=ReviewStatus.OPEN))
        rows = {
            row.pk: row
            for row in itertools.starmap(_Row, records.values_list(
                "pk", "data", "personal", "id_index", "phone_index", "area_path",
                "dataset__schema_id",
            ))
        }  # fmt: skip
        result = link(_person_record(r, schemas[r.schema_id]) for r in rows.values())
        apart: dict[int, set[int]] = {}
        for item in decided:
            if item.status == ReviewStatus.SEPARATED:
                apart.setdefault(item.left_id, set()).add(item.right_id)
                apart.setdefault(item.right_id, set()).add(item.left_id)
        groups = _Groups({pk: r.id_index for pk, r in rows.items()}, apart)
        for item in sorted(decided, key=lambda i: (i.decided_at or timezone.now(), i.pk)):
            if (
                item.status == ReviewStatus.MERGED
                and item.left_id in rows
                and item.right_id in rows
            ):
                groups.union(item.left_id, item.right_id, officer=True)
        queue: dict[tuple[int, int], CandidatePair] = {}
        links = sorted(
            (p for p in result.pairs if p.decision == "link"),
            key=lambda p: (p.stage != "id", -p.probability, p.left, p.right),
        )
        for pair in links:
            if groups.union(int(pair.left), int(pair.right)) == "id":
                # Would put two ID numbers in one person (through an officer's merge).
                queue.setdefault(_pair(pair), replace(pair, decision="id_conflict"))
        for pair in result.review:
            queue.setdefault(_pair(pair), pair)
        decided_pairs = {(i.left_id, i.right_id) for i in decided}
        queue = {
            k: p
            for k, p in queue.items()
            if k not in decided_pairs and groups.find(k[0]) != groups.find(k[1])
        }
        person_of = _store_people(groups.clusters(), rows, records, area_path)
        _store_queue(queue, person_of, items)
        run = LinkRun(
            area_path=area_path,
            records=len(rows),
            people=len(set(person_of.values())),
            review=len(queue),
            auto_links=result.stats.get("auto_links", 0),
        )
        audit_record(
            actor=actor,
            action="exchange.mpi_linked",
            permission=REVIEW,
            target_type="exchange.masterperson",
            area_path=area_path,
            detail={"records": run.records, "people": run.people, "review": run.review},
        )
    return run


def _store_people(
    clusters: list[list[int]], rows: dict[int, _Row], records: QuerySet[Record], area_path: str
) -> dict[int, int]:
    """Give each cluster a master person, reusing the one most of its records had (so that
    ids stay stable from run to run); returns record id -> person id."""
    current = dict(
        PersonLink.objects.filter(record__in=records).values_list("record_id", "person_id")
    )
    free = set()
    for chunk in _chunks(set(current.values())):
        reusable = MasterPerson.objects.filter(pk__in=chunk, active=True)
        if area_path:
            # A person with records outside the area is not this run's to reshape.
            reusable = reusable.filter(area_path__under=area_path)
        free |= set(reusable.values_list("pk", flat=True))
    person_of: dict[int, int] = {}
    unclaimed = []
    for cluster in sorted(clusters, key=lambda c: (-len(c), c[0])):
        votes = Counter(current[r] for r in cluster if current.get(r) in free)
        if votes:
            person = min(votes, key=lambda p: (-votes[p], p))
            free.discard(person)
            person_of.update(dict.fromkeys(cluster, person))
        else:
            unclaimed.append(cluster)
    created = MasterPerson.objects.bulk_create(
        [
            MasterPerson(
                area_path=common_prefix(rows[r].area_path for r in c),
                id_index=next((rows[r].id_index for r in c if rows[r].id_index), ""),
            )
            for c in unclaimed
        ],
        batch_size=CHUNK,
    )
    for cluster, new in zip(unclaimed, created, strict=True):
        person_of.update(dict.fromkeys(cluster, new.pk))
    moved: dict[int, list[int]] = {}  # new person -> records moving to it
    for r, p in person_of.items():
        if r in current and current[r] != p:
            moved.setdefault(p, []).append(r)
    for person, record_ids in moved.items():
        for chunk in _chunks(record_ids):
            PersonLink.objects.filter(record_id__in=chunk).update(
                person_id=person, linked_at=timezone.now()
            )
    PersonLink.objects.bulk_create(
        [
            PersonLink(record_id=r, person_id=p, area_path=rows[r].area_path)
            for r, p in person_of.items()
            if r not in current
        ],
        batch_size=CHUNK,
    )
    # Only people whose records changed need their path and ID index recomputed.
    left = {current[r] for records in moved.values() for r in records}
    _refresh_people(set(moved) | left)
    return person_of


def _refresh_people(person_ids: set[int]) -> None:
    """Recompute each person's area path and ID index from its records; a person left without
    records is no longer active."""
    for chunk in _chunks(person_ids):
        paths: dict[int, list[str]] = {p: [] for p in chunk}
        ids: dict[int, str] = {}
        for person_id, path, id_index in (
            PersonLink.objects.filter(person_id__in=chunk)
            .order_by("record_id")
            .values_list("person_id", "record__area_path", "record__id_index")
        ):
            paths[person_id].append(path)
            if id_index:
                ids.setdefault(person_id, id_index)
        changed = []
        for person in MasterPerson.objects.filter(pk__in=chunk):
            member_paths = paths[person.pk]
            before = (person.area_path, person.id_index, person.active)
            person.area_path = common_prefix(member_paths) if member_paths else person.area_path
            person.id_index = ids.get(person.pk, "")
            # Without records a person is no longer active; a merged-away one stays inactive.
            person.active = bool(member_paths) and person.merged_into_id is None
            if (person.area_path, person.id_index, person.active) != before:
                person.updated_at = timezone.now()
                changed.append(person)
        MasterPerson.objects.bulk_update(changed, ["area_path", "id_index", "active", "updated_at"])


def _store_queue(
    queue: dict[tuple[int, int], CandidatePair], person_of: dict[int, int], items: object
) -> None:
    """Open items become this run's queue: new pairs added, gone ones dropped, the rest
    updated with the new evidence. Decided items are never touched here."""
    paths = dict(MasterPerson.objects.filter(pk__in=set(person_of.values())).values_list(
        "pk", "area_path"
    ))  # fmt: skip
    open_items = {(i.left_id, i.right_id): i for i in items.filter(status=ReviewStatus.OPEN)}  # type: ignore[attr-defined]
    for chunk in _chunks([i.pk for k, i in open_items.items() if k not in queue]):
        ReviewItem.objects.filter(pk__in=chunk).delete()
    for (left, right), pair in queue.items():
        values = {
            "kind": pair.decision,
            "probability": pair.probability,
            "match_weight": min(pair.match_weight, 1e6),  # an ID link's weight is infinite
            "levels": [list(level) for level in pair.levels],
            # Seen by those who may see both people, every record of them.
            "area_path": common_prefix([paths[person_of[left]], paths[person_of[right]]]),
        }
        item = open_items.get((left, right))
        if item is None:
            ReviewItem.objects.create(left_id=left, right_id=right, **values)
        else:
            ReviewItem.objects.filter(pk=item.pk).update(updated_at=timezone.now(), **values)


# --- decisions --------------------------------------------------------------------------------


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise DomainError("give the reason for the decision", field="reason")
    if len(reason) > REASON_MAX:
        raise DomainError(f"at most {REASON_MAX} characters", field="reason")
    return reason


def _open_item(actor: Actor, item_id: int) -> ReviewItem:
    item = (
        ReviewItem.objects.for_actor(actor, REVIEW).select_for_update().filter(pk=item_id).first()
    )
    if item is None:
        raise NotFound("no such review item", field="item_id")
    if item.status != ReviewStatus.OPEN:
        raise Conflict(f"the pair is already {item.status}", field="item_id")
    return item


def _decide(item: ReviewItem, actor: Actor, status: str, reason: str) -> None:
    item.status, item.reason = status, reason
    item.decided_by_id, item.decided_at = actor.user_id, timezone.now()
    item.save(update_fields=["status", "reason", "decided_by", "decided_at", "updated_at"])


def _person_of(record_id: int) -> MasterPerson:
    person_link = PersonLink.objects.filter(record_id=record_id).select_related("person").first()
    if person_link is None:
        raise Conflict("the record is not in the index yet: run the linkage", field="item_id")
    return MasterPerson.objects.select_for_update().get(pk=person_link.person_id)


def review_merge(*, actor: Actor, item_id: int, reason: str) -> PersonMerge:
    """The two records are one person: the later master person is merged into the earlier."""
    reason = _reason(reason)
    with transaction.atomic():
        item = _open_item(actor, item_id)
        left, right = _person_of(item.left_id), _person_of(item.right_id)
        if left.pk == right.pk:
            raise Conflict("the two records are already one person", field="item_id")
        for person in (left, right):
            if not actor.is_system and not actor.can_at(REVIEW, person.area_path):
                raise NotFound("no such review item", field="item_id")
        survivor, absorbed = (left, right) if left.pk < right.pk else (right, left)
        moved = sorted(absorbed.links.values_list("record_id", flat=True))
        records = set(moved) | set(survivor.links.values_list("record_id", flat=True))
        kept_apart = ReviewItem.objects.filter(
            status=ReviewStatus.SEPARATED, left_id__in=records, right_id__in=records
        )
        if any((i.left_id in moved) != (i.right_id in moved) for i in kept_apart):
            raise Conflict("an officer separated records of these two people", field="item_id")
        PersonLink.objects.filter(person=absorbed).update(person=survivor, linked_at=timezone.now())
        absorbed.merged_into = survivor
        absorbed.save(update_fields=["merged_into", "updated_at"])
        _refresh_people({survivor.pk, absorbed.pk})
        _decide(item, actor, ReviewStatus.MERGED, reason)
        survivor.refresh_from_db()
        merge = PersonMerge.objects.create(
            item=item,
            survivor=survivor,
            absorbed=absorbed,
            moved_records=moved,
            area_path=survivor.area_path,
            merged_by_id=actor.user_id,
            reason=reason,
        )
        audit_record(
            actor=actor,
            action="exchange.mpi_merged",
            permission=REVIEW,
            target_type="exchange.reviewitem",
            target_id=item.pk,
            area_path=item.area_path,
            detail={
                "merge_id": merge.pk,
                "survivor": survivor.pk,
                "absorbed": absorbed.pk,
                "records_moved": len(moved),
                "reason": reason,
            },
        )
    return merge


def review_separate(*, actor: Actor, item_id: int, reason: str) -> ReviewItem:
    """The two records are two people: later runs never link them."""
    reason = _reason(reason)
    with transaction.atomic():
        item = _open_item(actor, item_id)
        _decide(item, actor, ReviewStatus.SEPARATED, reason)
        audit_record(
            actor=actor,
            action="exchange.mpi_separated",
            permission=REVIEW,
            target_type="exchange.reviewitem",
            target_id=item.pk,
            area_path=item.area_path,
            detail={"left": item.left_id, "right": item.right_id, "reason": reason},
        )
    return item


def merge_undo(*, actor: Actor, merge_id: int, reason: str) -> PersonMerge:
    """Move the records a merge moved back to the person they came from; the pair returns to
    the queue. A person merged away again since must have that later merge undone first."""
    reason = _reason(reason)
    with transaction.atomic():
        merge = (
            PersonMerge.objects.for_actor(actor, REVIEW)
            .select_for_update()
            .filter(pk=merge_id)
            .first()
        )
        if merge is None:
            raise NotFound("no such merge", field="merge_id")
        if merge.undone_at is not None:
            raise Conflict("the merge is already undone", field="merge_id")
        survivor = MasterPerson.objects.select_for_update().get(pk=merge.survivor_id)
        if survivor.merged_into_id is not None:
            raise Conflict(
                f"person #{survivor.pk} was merged again since: undo that merge first",
                field="merge_id",
            )
        absorbed = MasterPerson.objects.select_for_update().get(pk=merge.absorbed_id)
        absorbed.merged_into = None
        absorbed.active = True
        absorbed.save(update_fields=["merged_into", "active", "updated_at"])
        # Only records still with the survivor: a later run may have placed some elsewhere.
        PersonLink.objects.filter(person=survivor, record_id__in=merge.moved_records).update(
            person=absorbed, linked_at=timezone.now()
        )
        _refresh_people({survivor.pk, absorbed.pk})
        item = merge.item
        if item is not None and item.status == ReviewStatus.MERGED:
            item.status, item.reason = ReviewStatus.OPEN, ""
            item.decided_by_id, item.decided_at = None, None
            item.save(update_fields=["status", "reason", "decided_by", "decided_at", "updated_at"])
        merge.undone_by_id, merge.undone_at, merge.undo_reason = (
            actor.user_id,
            timezone.now(),
            reason,
        )
        merge.save(update_fields=["undone_by", "undone_at", "undo_reason"])
        audit_record(
            actor=actor,
            action="exchange.mpi_merge_undone",
            permission=REVIEW,
            target_type="exchange.personmerge",
            target_id=merge.pk,
            area_path=merge.area_path,
            detail={
                "survivor": survivor.pk,
                "absorbed": absorbed.pk,
                "item": merge.item_id,
                "reason": reason,
            },
        )
    return merge


# --- reads ------------------------------------------------------------------------------------


def _mask(field: str, value: object) -> object:
    """What an officer sees without a purpose: enough to compare, not enough to identify."""
    if value in (None, ""):
        return value
    text = str(value)
    if field == "national_id" or field.endswith("id_number"):
        return pii.mask_national_id(text)
    if "phone" in field:
        return pii.mask_phone(text)
    if "name" in field:
        return pii.mask_name(text)
    if "birth" in field:
        return text[:4] + "-**-**"
    return text[:2] + "*" * min(len(text) - 2, 8) if len(text) > 2 else "*" * len(text)


@dataclass(frozen=True)
class RecordSide:
    """One record of a pair or of a person, personal fields masked (or whole, with a purpose)."""

    record_id: int
    person_id: int | None
    dataset_id: int
    dataset: str
    schema: str
    area_path: str
    fields: dict


def _side(record: Record, person_id: int | None, *, whole: bool = False) -> RecordSide:
    values = dict(record.data)
    personal = json.loads(record.personal) if record.personal else {}
    values |= personal if whole else {k: _mask(k, v) for k, v in personal.items()}
    return RecordSide(
        record_id=record.pk,
        person_id=person_id,
        dataset_id=record.dataset_id,
        dataset=record.dataset.name_zh,
        schema=record.dataset.schema.name,
        area_path=record.area_path,
        fields=values,
    )


@dataclass(frozen=True)
class ReviewRow:
    item: ReviewItem
    left: RecordSide
    right: RecordSide


def _rows(items: list[ReviewItem]) -> list[ReviewRow]:
    record_ids = [r for i in items for r in (i.left_id, i.right_id)]
    person = dict(
        PersonLink.objects.filter(record_id__in=record_ids).values_list("record_id", "person_id")
    )
    return [
        ReviewRow(
            item=i,
            left=_side(i.left, person.get(i.left_id)),
            right=_side(i.right, person.get(i.right_id)),
        )
        for i in items
    ]


def _items(actor: Actor) -> QuerySet[ReviewItem]:
    return ReviewItem.objects.for_actor(actor, REVIEW).select_related(
        "left__dataset__schema", "right__dataset__schema"
    )


def review_queue(
    *, actor: Actor, status: str = ReviewStatus.OPEN, offset: int = 0, limit: int = 50
) -> list[ReviewRow]:
    """Pairs to decide (or decided, by `status`), most probable first, personal fields masked."""
    items = _items(actor).filter(status=status).order_by("-probability", "id")
    return _rows(list(items[offset : offset + limit]))


def review_get(*, actor: Actor, item_id: int) -> ReviewRow:
    item = _items(actor).filter(pk=item_id).first()
    if item is None:
        raise NotFound("no such review item", field="item_id")
    return _rows([item])[0]


def merge_list(*, actor: Actor, limit: int = 100) -> list[PersonMerge]:
    """Recent merges, newest first: what an officer may undo."""
    return list(PersonMerge.objects.for_actor(actor, REVIEW).order_by("-merged_at", "-id")[:limit])


@dataclass(frozen=True)
class PersonRecords:
    person: MasterPerson
    purpose: str
    records: list[RecordSide]


def master_person_records(*, actor: Actor, person_id: int, purpose: str = "") -> PersonRecords:
    """A master person's records. Without a purpose personal fields are masked; with one
    (from the closed list of purposes that release personal data) they are whole and the
    read is audited with the purpose and the fields read."""
    person = MasterPerson.objects.for_actor(actor, REVIEW).filter(pk=person_id).first()
    if person is None:
        raise NotFound("no such person", field="person_id")
    if purpose and purpose not in PERSONAL_PURPOSES:
        allowed = ", ".join(sorted(PERSONAL_PURPOSES))
        raise DomainError(f"purpose must be one of: {allowed}", field="purpose")
    records = list(
        Record.objects.filter(person_link__person=person)
        .select_related("dataset__schema")
        .order_by("pk")
    )
    sides = [_side(r, person.pk, whole=bool(purpose)) for r in records]
    if purpose:
        read = sorted(
            {k for r in records if r.personal for k, v in json.loads(r.personal).items() if v}
        )
        with transaction.atomic():
            audit_record(
                actor=actor,
                action="exchange.mpi_person_read",
                permission=REVIEW,
                target_type="exchange.masterperson",
                target_id=person.pk,
                area_path=person.area_path,
                purpose=purpose,
                fields_read=read,
                detail={"records": len(records)},
            )
    return PersonRecords(person=person, purpose=purpose, records=sides)


def link_enqueue(*, actor: Actor, area_id: int) -> str:
    """Queue a linkage run over an area the actor reviews; returns its path."""
    from crisisgov.exchange.tasks import link_people  # the task module imports this one

    area = area_info(area_id)
    if area is None or not actor.can_at(REVIEW, area.path):
        raise NotFound("no such area", field="area_id")
    transaction.on_commit(lambda: link_people.enqueue(area_path=area.path))
    return area.path
