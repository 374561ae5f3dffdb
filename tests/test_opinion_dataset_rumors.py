"""The committed CC0 rumor knowledge base: enough rumors, well-formed, usable for matching tests."""

import json
import re
from collections import Counter

import pytest

from crisisgov.opinion.dataset import load

RUMORS_FILE = load.DATASET_DIR / "rumors.jsonl"
KINDS = {"colloquial_zh", "colloquial_en", "cross_zh", "cross_en", "noisy", "noisy_en"}
# Characters that exist only in Traditional script (their Simplified forms differ).
TRADITIONAL_ONLY = set("國門長說會這買賣醫藥車們對發過還氣電體與關開點聽無見從鹽")


@pytest.fixture(scope="module")
def rumors():
    return load.rumors()


def test_every_line_is_one_json_object():
    lines = RUMORS_FILE.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        assert isinstance(json.loads(line), dict), f"line {number}"


def test_size_limits():
    assert RUMORS_FILE.stat().st_size <= 450_000
    committed = sum(p.stat().st_size for p in load.DATASET_DIR.iterdir() if p.is_file())
    assert committed < 1_000_000


def test_at_least_one_hundred_rumors_with_unique_ids(rumors):
    ids = [rumor.id for rumor in rumors]
    assert len(ids) >= 100
    assert len(set(ids)) == len(ids)
    assert len({rumor.claim_zh for rumor in rumors}) == len(rumors)
    assert len({rumor.claim_en for rumor in rumors}) == len(rumors)


def test_owners_are_known_departments(rumors):
    codes = {department.code for department in load.departments()}
    assert {rumor.owner for rumor in rumors} <= codes


def test_fields_are_filled_in_both_languages(rumors):
    for rumor in rumors:
        assert rumor.hazard in {"epidemic", "flood", "chemical", "general"}, rumor.id
        assert rumor.verdict in {"false", "misleading", "unproven", "true"}, rumor.id
        for text in (rumor.claim_zh, rumor.clarification_zh):
            assert re.search(r"[\u4e00-\u9fff]", text), rumor.id
        for text in (rumor.claim_en, rumor.clarification_en):
            assert re.search(r"[A-Za-z]{3}", text) and not re.search(r"[\u4e00-\u9fff]", text)
        assert rumor.source.strip(), rumor.id
        assert isinstance(rumor.urgent, bool)


def test_mostly_false_with_a_few_true(rumors):
    verdicts = Counter(rumor.verdict for rumor in rumors)
    assert verdicts["false"] > len(rumors) / 2
    assert 3 <= verdicts["true"] <= 5


def test_paraphrases_cover_the_kinds_needed_for_matching(rumors):
    for rumor in rumors:
        kinds = [kind for kind, _ in rumor.paraphrases]
        assert set(kinds) <= KINDS, rumor.id
        assert len(rumor.paraphrases) >= 4 and len(set(kinds)) >= 4, rumor.id
        assert {"cross_zh", "cross_en"} <= set(kinds), rumor.id


def test_paraphrases_do_not_copy_the_canonical_statements(rumors):
    for rumor in rumors:
        canonical = {rumor.claim_zh, rumor.claim_en, rumor.clarification_zh, rumor.clarification_en}
        for _, text in rumor.paraphrases:
            assert text.strip() and text not in canonical, rumor.id
    every_text = [text for rumor in rumors for _, text in rumor.paraphrases]
    assert len(set(every_text)) == len(every_text)


def test_debunking_posts_in_both_languages(rumors):
    for rumor in rumors:
        assert {lang for lang, text in rumor.debunks if text.strip()} >= {"zh", "en"}, rumor.id


def test_some_noisy_paraphrases_use_traditional_characters(rumors):
    noisy = [text for rumor in rumors for kind, text in rumor.paraphrases if kind == "noisy"]
    traditional = [text for text in noisy if TRADITIONAL_ONLY & set(text)]
    assert len(traditional) >= 20


def test_a_malformed_line_is_reported_with_its_number(tmp_path):
    good = RUMORS_FILE.read_text(encoding="utf-8").splitlines()[0]
    (tmp_path / "rumors.jsonl").write_text(good + "\n{not json\n", encoding="utf-8")
    with pytest.raises(load.DatasetError, match="rumors.jsonl line 2"):
        load.rumors(tmp_path)
