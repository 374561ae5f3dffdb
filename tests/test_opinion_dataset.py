"""The project's own CC0 opinion dataset: the files are complete, consistent and reproducible."""

from __future__ import annotations

import collections
import datetime as dt
import re
import subprocess
import sys

import pytest

from crisisgov.directory import idnumber
from crisisgov.opinion.dataset import load

TIME_LIMITS = {"urgent_2h", "utility_24h", "general_7d", "complex_15d"}
PHONE = re.compile(r"1[3-9]\d{9}")


@pytest.fixture(scope="module")
def tickets():
    return load.tickets()


@pytest.fixture(scope="module")
def catalogue():
    return {category.code: category for category in load.categories()}


def test_departments_are_the_twelve_stable_codes():
    codes = [department.code for department in load.departments()]
    assert len(codes) == len(set(codes)) == 12
    assert {"health", "police", "water", "power", "emergency", "propaganda"} <= set(codes)


def test_catalogue_names_real_departments_levels_and_time_limits(catalogue):
    departments = {department.code for department in load.departments()}
    assert len(catalogue) >= 30
    assert {c.department for c in catalogue.values()} == departments  # each one gets tickets
    for category in catalogue.values():
        assert category.department in departments, category.code
        assert category.area_level in {"city", "district", "street"}, category.code
        assert category.time_limit in TIME_LIMITS, category.code
        assert category.name_zh and category.name_en
    # threats to life or property answer within two hours, utilities within a day
    for code in ("medical_help", "flood_rescue", "gas_leak", "crime_report", "dam_safety"):
        assert catalogue[code].time_limit == "urgent_2h"
    for code in ("water_outage", "power_outage"):
        assert catalogue[code].time_limit == "utility_24h"


def test_tickets_are_many_unique_and_use_catalogue_codes(tickets, catalogue):
    departments = {department.code for department in load.departments()}
    assert len(tickets) >= 1200
    assert len({t.id for t in tickets}) == len(tickets)
    assert len({t.text for t in tickets}) == len(tickets)  # no template repeats verbatim
    for ticket in tickets:
        assert ticket.category in catalogue, ticket.id
        assert ticket.department in departments, ticket.id
        assert ticket.district in {"D1", "D2", "D3", "D4"}, ticket.id
        assert ticket.urgency in {"normal", "urgent"}, ticket.id
        assert ticket.lang in {"zh", "en"}, ticket.id
        assert 15 <= len(ticket.text) <= 120, ticket.id
    assert {t.department for t in tickets} == departments
    zh_share = sum(t.lang == "zh" for t in tickets) / len(tickets)
    assert 0.8 <= zh_share <= 0.9


def test_gold_department_is_mostly_the_catalogues_with_a_few_ambiguous_cases(tickets, catalogue):
    rerouted = sum(t.department != catalogue[t.category].department for t in tickets)
    assert 0.03 <= rerouted / len(tickets) <= 0.08


def test_tickets_arrive_in_order_over_four_weeks(tickets):
    moments = [dt.datetime.fromisoformat(t.received_at) for t in tickets]
    assert moments == sorted(moments)
    assert all(m.utcoffset() == dt.timedelta(hours=8) for m in moments)
    assert 27 <= (moments[-1] - moments[0]).days < 28
    assert [t.id for t in tickets] == [f"T{n:04d}" for n in range(1, len(tickets) + 1)]
    train, test = load.split_chronological(tickets)
    assert len(train) == round(0.7 * len(tickets))
    assert max(t.received_at for t in train) <= min(t.received_at for t in test)


def test_every_listed_piece_of_personal_data_is_in_its_text(tickets):
    kinds = collections.Counter()
    for ticket in tickets:
        for span in ticket.pii + ticket.not_pii:
            assert span.text in ticket.text, (ticket.id, span.text)
        for span in ticket.pii:
            kinds[span.kind] += 1
            assert span.kind in {"phone", "id_number", "address"}, ticket.id
            if span.kind == "phone":
                assert PHONE.fullmatch(re.sub(r"[ -]", "", span.text)), (ticket.id, span.text)
    with_phone = sum(any(s.kind == "phone" for s in t.pii) for t in tickets) / len(tickets)
    assert 0.25 <= with_phone <= 0.35
    assert kinds["id_number"] >= 50 and kinds["address"] >= 100


def test_id_numbers_have_a_valid_check_digit_and_look_alikes_do_not(tickets):
    today = dt.date(2026, 7, 1)
    valid = [s.text for t in tickets for s in t.pii if s.kind == "id_number"]
    assert valid
    for number in valid:
        assert idnumber.validate(number, today=today) == number
    look_alikes = [s.text for t in tickets for s in t.not_pii if s.kind == "invalid_id_number"]
    assert len(look_alikes) >= 10
    for number in look_alikes:
        assert len(number) == 18
        assert idnumber.check_character(number[:17]) != number[17], number
    other_negatives = {s.kind for t in tickets for s in t.not_pii} - {"invalid_id_number"}
    assert {"order_number", "date", "reference"} <= other_negatives


def test_generator_rewrites_the_committed_file_byte_for_byte(tmp_path):
    output = tmp_path / "tickets.jsonl"
    subprocess.run(
        [sys.executable, "-m", "crisisgov.opinion.dataset.make_tickets", str(output)],
        check=True,
        timeout=120,
    )
    assert output.read_bytes() == (load.DATASET_DIR / "tickets.jsonl").read_bytes()


def test_distractors_are_ordinary_mixed_language_posts():
    messages = load.distractors()
    assert len(messages) >= 550
    assert len({m.id for m in messages}) == len(messages)
    assert len({m.text for m in messages}) == len(messages)
    zh_share = sum(m.lang == "zh" for m in messages) / len(messages)
    assert 0.55 <= zh_share <= 0.65
    for message in messages:
        has_han = re.search(r"[\u4e00-\u9fff]", message.text) is not None
        assert has_han == (message.lang == "zh"), message.id
    # they share the rumors' vocabulary without being rumors
    words = ("口罩", "疫苗", "水库", "大坝", "mask", "vaccine", "reservoir", "dam ")
    for word in words:
        assert any(word in m.text for m in messages), word


def test_distractors_are_not_rumor_statements():
    path = load.DATASET_DIR / "rumors.jsonl"
    if not path.exists():
        pytest.skip("rumors.jsonl not written yet")
    texts = {m.text for m in load.distractors()}
    for rumor in load.rumors():
        assert rumor.claim_zh not in texts and rumor.claim_en not in texts, rumor.id


def test_sentiment_posts_are_balanced_in_each_language_and_split_by_time():
    posts = load.sentiment()
    assert len({p.id for p in posts}) == len(posts)
    assert len({p.text for p in posts}) == len(posts)
    assert sorted(p.t for p in posts) == list(range(1, len(posts) + 1))
    for lang in ("zh", "en"):
        labels = collections.Counter(p.label for p in posts if p.lang == lang)
        assert sum(labels.values()) >= 300, lang
        assert set(labels) == {"negative", "neutral", "positive"}
        assert max(labels.values()) - min(labels.values()) <= 0.1 * sum(labels.values())
    train, test = load.split_chronological(posts)
    assert len(test) == len(posts) - round(0.7 * len(posts))
    assert max(p.t for p in train) < min(p.t for p in test)
    assert {(p.lang, p.label) for p in test} == {
        (lang, label) for lang in ("zh", "en") for label in ("negative", "neutral", "positive")
    }


def test_dataset_files_stay_under_one_megabyte():
    names = (
        "departments.json",
        "categories.json",
        "tickets.jsonl",
        "distractors.jsonl",
        "sentiment.jsonl",
        "rumors.jsonl",
        "README.md",
    )
    present = [load.DATASET_DIR / name for name in names if (load.DATASET_DIR / name).exists()]
    assert sum(path.stat().st_size for path in present) < 1_000_000


def test_a_malformed_row_is_reported_with_its_file_and_line(tmp_path):
    good = '{"id": "N0001", "lang": "zh", "text": "今天下雨了"}\n'
    (tmp_path / "distractors.jsonl").write_text(good + "{not json\n", encoding="utf-8")
    with pytest.raises(load.DatasetError, match=r"distractors.jsonl line 2"):
        load.distractors(tmp_path)
    (tmp_path / "distractors.jsonl").write_text(good + '{"id": "N0002"}\n', encoding="utf-8")
    with pytest.raises(load.DatasetError, match=r"line 2: missing or bad field 'lang'"):
        load.distractors(tmp_path)


def test_split_rejects_a_fraction_outside_zero_and_one():
    with pytest.raises(ValueError, match="train_fraction"):
        load.split_chronological([1, 2, 3], train_fraction=1.5)
