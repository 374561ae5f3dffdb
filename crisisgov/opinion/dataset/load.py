"""Typed loaders for the project's own CC0 opinion dataset (pure Python, no Django).

Each loader reads one committed file next to this module and returns frozen dataclasses, so the
analysis code, the evaluation command and the tests all see the same shapes. A malformed row
raises DatasetError naming the file and the line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATASET_DIR = Path(__file__).resolve().parent


class DatasetError(ValueError):
    pass


@dataclass(frozen=True)
class Department:
    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class Category:
    """One row of the hotline dispatch catalogue's defaults."""

    code: str
    name_zh: str
    name_en: str
    department: str
    area_level: str  # "city" | "district" | "street"
    time_limit: str  # "urgent_2h" | "utility_24h" | "general_7d" | "complex_15d"


@dataclass(frozen=True)
class PiiSpan:
    """A substring of a ticket's text: personal data (in `pii`) or a look-alike (in `not_pii`)."""

    kind: str  # pii: "phone" | "id_number" | "address"; not_pii: "order_number" | ...
    text: str


@dataclass(frozen=True)
class Ticket:
    id: str
    received_at: str  # ISO 8601 with the +08:00 offset
    district: str
    category: str
    department: str  # gold: where a dispatcher sends it
    urgency: str  # "normal" | "urgent"
    lang: str
    text: str
    pii: tuple[PiiSpan, ...]
    not_pii: tuple[PiiSpan, ...]


@dataclass(frozen=True)
class Message:
    """An ordinary post that is not a rumor (a distractor for rumor matching)."""

    id: str
    lang: str
    text: str


@dataclass(frozen=True)
class Labelled:
    """A sentiment-labelled post; `t` orders the posts in time for the chronological split."""

    id: str
    lang: str
    label: str  # "negative" | "neutral" | "positive"
    text: str
    t: int


@dataclass(frozen=True)
class Rumor:
    """A known rumor with its canonical statements, official answer and test messages.

    `paraphrases` are (kind, text) pairs written as real people would: colloquial_zh,
    colloquial_en, cross_zh / cross_en (for matching against the other language's statements
    only), noisy and noisy_en. `debunks` are (lang, text) posts that reject the rumor.
    """

    id: str
    hazard: str  # "epidemic" | "flood" | "chemical" | "general"
    owner: str  # a department code
    verdict: str  # "false" | "misleading" | "unproven" | "true"
    claim_zh: str
    claim_en: str
    clarification_zh: str
    clarification_en: str
    source: str
    urgent: bool
    paraphrases: tuple[tuple[str, str], ...]
    debunks: tuple[tuple[str, str], ...]


def _path(name: str, directory: Path | None) -> Path:
    return (directory or DATASET_DIR) / name


def _json_lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{path.name} line {number}: not JSON ({exc.msg})") from exc
            if not isinstance(row, dict):
                raise DatasetError(f"{path.name} line {number}: expected an object")
            yield number, row


def _build[T](path: Path, number: int, make: Callable[[], T]) -> T:
    try:
        return make()
    except (KeyError, TypeError) as exc:
        raise DatasetError(f"{path.name} line {number}: missing or bad field {exc}") from exc


def _json_list(path: Path) -> list[dict[str, Any]]:
    rows = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(rows, list):
        raise DatasetError(f"{path.name}: expected a list")
    return rows


def departments(directory: Path | None = None) -> list[Department]:
    path = _path("departments.json", directory)
    return [
        _build(path, n, lambda r=row: Department(r["code"], r["name_zh"], r["name_en"]))
        for n, row in enumerate(_json_list(path), start=1)
    ]


def categories(directory: Path | None = None) -> list[Category]:
    path = _path("categories.json", directory)
    return [
        _build(
            path,
            n,
            lambda r=row: Category(
                r["code"],
                r["name_zh"],
                r["name_en"],
                r["department"],
                r["area_level"],
                r["time_limit"],
            ),
        )
        for n, row in enumerate(_json_list(path), start=1)
    ]


def _spans(rows: list[dict[str, str]]) -> tuple[PiiSpan, ...]:
    return tuple(PiiSpan(kind=row["kind"], text=row["text"]) for row in rows)


def tickets(directory: Path | None = None) -> list[Ticket]:
    path = _path("tickets.jsonl", directory)
    return [
        _build(
            path,
            n,
            lambda r=row: Ticket(
                id=r["id"],
                received_at=r["received_at"],
                district=r["district"],
                category=r["category"],
                department=r["department"],
                urgency=r["urgency"],
                lang=r["lang"],
                text=r["text"],
                pii=_spans(r.get("pii", [])),
                not_pii=_spans(r.get("not_pii", [])),
            ),
        )
        for n, row in _json_lines(path)
    ]


def distractors(directory: Path | None = None) -> list[Message]:
    path = _path("distractors.jsonl", directory)
    return [
        _build(path, n, lambda r=row: Message(r["id"], r["lang"], r["text"]))
        for n, row in _json_lines(path)
    ]


def sentiment(directory: Path | None = None) -> list[Labelled]:
    path = _path("sentiment.jsonl", directory)
    return [
        _build(path, n, lambda r=row: Labelled(r["id"], r["lang"], r["label"], r["text"], r["t"]))
        for n, row in _json_lines(path)
    ]


def rumors(directory: Path | None = None) -> list[Rumor]:
    path = _path("rumors.jsonl", directory)
    return [
        _build(
            path,
            n,
            lambda r=row: Rumor(
                id=r["id"],
                hazard=r["hazard"],
                owner=r["owner"],
                verdict=r["verdict"],
                claim_zh=r["claim_zh"],
                claim_en=r["claim_en"],
                clarification_zh=r["clarification_zh"],
                clarification_en=r["clarification_en"],
                source=r["source"],
                urgent=bool(r["urgent"]),
                paraphrases=tuple((p["kind"], p["text"]) for p in r["paraphrases"]),
                debunks=tuple((d["lang"], d["text"]) for d in r["debunks"]),
            ),
        )
        for n, row in _json_lines(path)
    ]


def split_chronological[T](
    items: Sequence[T], train_fraction: float = 0.7, *, key: Callable[[T], Any] | None = None
) -> tuple[list[T], list[T]]:
    """Earliest `train_fraction` of the items for training, the rest for testing.

    Items are ordered by `key`, or else by their `t` (sentiment) or `received_at` (tickets)
    attribute, or kept in file order; a test set from the future is how the models will be used.
    """
    if not 0.0 < train_fraction < 1.0:
        raise ValueError("train_fraction must be between 0 and 1")
    ordered = list(items)
    if key is None and ordered:
        for attribute in ("t", "received_at"):
            if hasattr(ordered[0], attribute):
                key = lambda item, a=attribute: getattr(item, a)  # noqa: E731
                break
    if key is not None:
        ordered.sort(key=key)
    cut = round(len(ordered) * train_fraction)
    return ordered[:cut], ordered[cut:]
