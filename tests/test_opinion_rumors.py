"""Rumors and clarifications end to end: the knowledge base, matching messages as they arrive,
candidate rumors in the fact-checkers' queue, publishing a clarification (public page, Atom,
bulletins, CAP when urgent), reach before and after, district scoping and redacted texts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from crisisgov.kernel.models import AuditEntry
from crisisgov.opinion.rumors.models import (
    Clarification,
    Rumor,
    RumorMatch,
    RumorStatement,
)
from tests.test_opinion_rumors_support import (
    API,
    DEBUNKING,
    KB,
    PHONE,
    SPREADING,
    _ngram_embedder,
    as_json,
    client_of,
    kb,
    post,
)

__all__ = ["_ngram_embedder", "kb"]  # fixtures


@pytest.fixture
def analyst_a(city, make_user):
    return make_user("analyst", city.district_a)


@pytest.fixture
def analyst_b(city, make_user):
    return make_user("analyst", city.district_b)


# --- the knowledge base ------------------------------------------------------------------------


def test_the_dataset_loads_with_canonical_statements_and_clarifications_only(city):
    from crisisgov.opinion.rumors.kb_source import rows_from

    rows = rows_from()
    call_command("rumors", "load-kb")
    assert Rumor.objects.filter(state="confirmed").count() == len(rows) >= 20
    assert RumorStatement.objects.filter(kind="canonical").count() == 2 * len(rows)
    assert not RumorStatement.objects.exclude(kind="canonical").exists()  # no paraphrases
    first = Rumor.objects.get(code=rows[0].code)
    assert first.canonical("zh") == rows[0].claim_zh
    assert first.canonical("en") == rows[0].claim_en
    clar = first.clarifications.get()
    assert (clar.text_zh, clar.text_en) == (rows[0].clarification_zh, rows[0].clarification_en)
    assert clar.is_published and clar.source_title == rows[0].source_title
    assert first.area_path == city.city.path
    assert RumorStatement.objects.filter(embedding=None).count() == 0


def test_loading_again_changes_nothing_and_is_audited(kb, city, tmp_path, capsys):
    call_command("rumors", "load-kb", "--from", str(tmp_path))
    assert "0 created, 0 updated, 2 unchanged" in capsys.readouterr().out
    assert AuditEntry.objects.filter(action="opinion.rumors_kb_loaded").count() == 2


def test_a_bad_row_is_named_and_nothing_is_loaded(city, tmp_path):
    import json

    from django.core.management.base import CommandError

    path = tmp_path / "rumors.jsonl"
    good = json.dumps(KB[1], ensure_ascii=False)
    path.write_text(good + "\n" + json.dumps(KB[0] | {"verdict": "maybe"}), encoding="utf-8")
    with pytest.raises(CommandError, match=r"row 2 \(T-SALT\): unknown verdict 'maybe'"):
        call_command("rumors", "load-kb", "--from", str(path))
    path.write_text(good + "\nnot json\n", encoding="utf-8")
    with pytest.raises(CommandError, match="rumors.jsonl line 2: not JSON"):
        call_command("rumors", "load-kb", "--from", str(path))
    with pytest.raises(CommandError, match="no rumors.jsonl in"):
        call_command("rumors", "load-kb", "--from", str(tmp_path / "elsewhere"))
    assert not Rumor.objects.exists()


# --- matching ----------------------------------------------------------------------------------


def test_a_spreading_paraphrase_is_flagged_with_the_clarification(kb, city, analyst_a):
    message = post(SPREADING, city.community_a)
    answer = as_json(client_of(analyst_a).get(f"{API}/messages/{message.pk}"))
    assert answer["rumor_code"] == "T-SALT"
    assert answer["stance"] == "spreads"
    assert answer["method"] == "similarity"
    assert answer["clarification"]["text_en"] == KB[0]["clarification_en"]
    assert answer["clarification"]["text_zh"] == KB[0]["clarification_zh"]
    from crisisgov.kernel.actor import SYSTEM
    from crisisgov.opinion.rumors.facade import rumor_flag_of

    flag = rumor_flag_of(actor=SYSTEM, message_id=message.pk)
    assert (flag.rumor_code, flag.stance) == ("T-SALT", "spreads")


def test_an_ordinary_message_is_not_flagged(kb, city, analyst_a):
    message = post("5路公交车今天早上又晚点了", city.community_a)
    assert client_of(analyst_a).get(f"{API}/messages/{message.pk}").status_code == 404
    assert not RumorMatch.objects.exists()


def test_a_debunking_post_is_matched_as_such_and_not_counted_as_spreading(kb, city, analyst_a):
    spreading = post(SPREADING, city.community_a)
    debunking = post(DEBUNKING, city.community_a)
    client = client_of(analyst_a)
    assert as_json(client.get(f"{API}/messages/{debunking.pk}"))["stance"] == "debunks"
    assert as_json(client.get(f"{API}/messages/{spreading.pk}"))["stance"] == "spreads"
    reach = as_json(client.get(f"{API}/{kb['T-SALT'].pk}/reach"))
    assert (reach["before"], reach["after"], reach["debunks"]) == (0, 1, 1)


def test_the_index_follows_the_knowledge_base(kb, city, analyst_a, make_user):
    """A rumor retired in one request is no longer matched by the next message."""
    from crisisgov.kernel.actor import SYSTEM
    from crisisgov.opinion.rumors.services import rumor_retire

    post(SPREADING, city.community_a)
    rumor_retire(actor=SYSTEM, rumor_id=kb["T-SALT"].pk, reason="died out")
    later = post(SPREADING + " again", city.community_b)
    assert not RumorMatch.objects.filter(message=later, rumor=kb["T-SALT"]).exists()


# --- the queue and the publish flow ------------------------------------------------------------

CLAIM = f"听说明天全区停水三天，赶紧转发给家人囤水！联系{PHONE}"
CLAIM_AGAIN = f"听说明天全区停水三天，赶紧转发给家人囤水！！联系{PHONE}"


def test_the_publish_flow_end_to_end(kb, city, analyst_a):
    """Near-identical claims open one candidate; the fact-checker confirms it with statements
    of their own, writes an urgent clarification and publishes it: it is on the public page in
    both languages and in the Atom feed, a bulletin note is filed, and CAP is sent."""
    from crisisgov.citizen.bulletins.models import Clarification as BulletinNote
    from crisisgov.earlywarning.cap import cap_problems
    from crisisgov.earlywarning.models import CapMessage

    first = post(CLAIM, city.community_a)
    post(CLAIM_AGAIN, city.community_a)
    client = client_of(analyst_a)
    queue = as_json(client.get(f"{API}/queue"))
    assert [item["count"] for item in queue] == [2]
    candidate = queue[0]
    assert candidate["area_path"] == city.district_a.path
    assert all(PHONE not in e["text"] for e in candidate["examples"])

    confirmed = as_json(
        client.post(
            f"{API}/{candidate['id']}/confirm",
            {
                "statement_zh": "明天全区停水三天。",
                "statement_en": "The district's water will be cut for three days from tomorrow.",
                "verdict": "false",
                "department": "water",
            },
            content_type="application/json",
        )
    )
    assert confirmed["state"] == "confirmed"
    assert as_json(client.get(f"{API}/queue")) == []
    draft = client.post(
        f"{API}/{candidate['id']}/clarifications",
        {
            "text_zh": "水务局未安排停水，供水正常，请勿囤水。",
            "text_en": "No water cut is planned; supply is normal. Please do not hoard water.",
            "source_title": "区水务局通告 / District Water Authority notice",
            "source_url": "https://water.example.gov.cn/notice/1",
            "urgent": True,
        },
        content_type="application/json",
    )
    assert draft.status_code == 201, draft.content
    assert Client().get("/opinion/rumors/facts").content.count(b"water.example.gov.cn") == 0
    published = as_json(client.post(f"{API}/clarifications/{draft.json()['id']}/publish"))
    assert published["cap_status"] == "sent"
    cap = CapMessage.objects.get()  # valid CAP 1.2 for the district, the facts in both languages
    assert cap.area_path == city.district_a.path and cap.msg_type == "Alert"
    assert cap_problems(cap.xml.encode()) == []
    assert "<category>Safety</category>" in cap.xml
    assert "The district's water" in cap.xml and "supply is normal" in cap.xml
    assert "供水正常" in cap.xml and PHONE not in cap.xml

    public = Client()
    zh = public.get("/opinion/rumors/facts")
    assert zh.status_code == 200 and zh["Cache-Control"].startswith("public")
    assert "水务局未安排停水" in zh.content.decode() and "明天全区停水三天" in zh.content.decode()
    en = public.get("/opinion/rumors/facts?lang=en").content.decode()
    assert "No water cut is planned" in en and "cut for three days" in en
    feed = public.get("/opinion/rumors/facts/atom/en/")
    assert feed["Content-Type"].startswith("application/atom+xml")
    assert f"urn:crisisgov:opinion:clarification:{published['id']}:en".encode() in feed.content
    assert "No water cut is planned" in feed.content.decode()
    zh_feed = public.get("/opinion/rumors/facts/atom/zh-hans/").content.decode()
    assert "水务局未安排停水" in zh_feed

    note = BulletinNote.objects.get(external_ref=f"opinion:rumor:{candidate['id']}")
    assert note.fact_en.startswith("No water cut is planned")
    assert note.claim_zh == "明天全区停水三天。"
    assert published["bulletin_note_id"] == note.pk
    public_api = as_json(public.get(f"{API}/clarifications"))
    assert public_api[0]["claim_en"].startswith("The district's water")
    # The messages already matched carry the clarification now; a new one too.
    assert (
        as_json(client.get(f"{API}/messages/{first.pk}"))["clarification"]["id"]
        == (published["id"])
    )
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "opinion.rumor_confirmed",
        "opinion.clarification_written",
        "opinion.clarification_published",
        "citizen.clarification_published",
    } <= actions


def test_an_urgent_clarification_goes_out_as_cap_once(kb, city, make_user):
    """An urgent clarification is sent as one CAP alert; publishing it again is refused."""
    from crisisgov.earlywarning.models import CapMessage

    commander_city = make_user("analyst", city.city)
    client = client_of(commander_city)
    lock = kb["T-LOCK"]
    draft = as_json(
        client.post(
            f"{API}/{lock.pk}/clarifications",
            {"text_zh": "未封城。", "text_en": "No lockdown.", "urgent": True},
            content_type="application/json",
        )
    )
    published = as_json(client.post(f"{API}/clarifications/{draft['id']}/publish"))
    assert published["cap_status"] == "sent"
    again = client.post(f"{API}/clarifications/{draft['id']}/publish")
    assert again.status_code == 409
    assert CapMessage.objects.count() == 1


def test_merge_and_dismiss_take_a_candidate_out_of_the_queue(kb, city, analyst_a):
    post(CLAIM, city.community_a)
    post("听说隔壁小区的狗咬伤了好几个人，快转发提醒大家", city.community_a)
    client = client_of(analyst_a)
    queue = as_json(client.get(f"{API}/queue"))
    ids = sorted(item["id"] for item in queue)
    merged = client.post(
        f"{API}/{ids[-1]}/merge", {"into_id": kb["T-LOCK"].pk}, content_type="application/json"
    )
    assert as_json(merged)["code"] == "T-LOCK"
    refused = client.post(
        f"{API}/{ids[0]}/dismiss", {"reason": ""}, content_type="application/json"
    )
    assert refused.status_code == 422
    dismissed = client.post(
        f"{API}/{ids[0]}/dismiss",
        {"reason": "a real notice of the water works"},
        content_type="application/json",
    )
    assert as_json(dismissed)["state"] == "dismissed"
    assert as_json(client.get(f"{API}/queue")) == []
    assert Rumor.objects.get(pk=ids[-1]).merged_into_id == kb["T-LOCK"].pk
    lock_reach = as_json(client.get(f"{API}/{kb['T-LOCK'].pk}/reach"))
    assert lock_reach["before"] + lock_reach["after"] == 1  # the merged message counts now


# --- reach -------------------------------------------------------------------------------------


def test_reach_counts_spreading_messages_per_district_before_and_after(
    kb, city, analyst_a, make_user
):
    now = timezone.now()
    hours = dt.timedelta(hours=1)
    post(SPREADING, city.community_a, at=now - 5 * hours)
    post(SPREADING + " 1", city.community_a, at=now - 4 * hours)
    post(SPREADING + " 2", city.community_b, at=now - 4 * hours)
    checker = make_user("analyst", city.city)
    client = client_of(checker)
    draft = as_json(
        client.post(
            f"{API}/{kb['T-SALT'].pk}/clarifications",
            {"text_zh": "盐水不能杀病毒。", "text_en": "Salt water does not kill the virus."},
            content_type="application/json",
        )
    )
    # The KB's own clarification was published at load; this test's timeline starts now.
    Clarification.objects.filter(rumor=kb["T-SALT"]).exclude(pk=draft["id"]).delete()
    as_json(client.post(f"{API}/clarifications/{draft['id']}/publish"))
    Clarification.objects.filter(pk=draft["id"]).update(published_at=now - 3 * hours)
    post(SPREADING + " 3", city.community_a, at=now - 2 * hours)
    post(DEBUNKING, city.community_b, at=now - 1 * hours)

    reach = as_json(client.get(f"{API}/{kb['T-SALT'].pk}/reach?hours=6"))
    by_area = {a["code"]: (a["before"], a["after"]) for a in reach["areas"]}
    assert by_area == {city.district_a.code: (2, 1), city.district_b.code: (1, 0)}
    assert (reach["before"], reach["after"], reach["debunks"]) == (3, 1, 1)
    counts = {h["offset"]: h["count"] for h in reach["hourly"] if h["count"]}
    assert counts == {-2: 1, -1: 2, 1: 1}
    page = client.get(f"/opinion/rumors/{kb['T-SALT'].pk}/?hours=6").content.decode()
    assert 'id="reach-before">3<' in page and 'id="reach-after">1<' in page

    # District A's analyst sees district A's messages only.
    mine = as_json(client_of(analyst_a).get(f"{API}/{kb['T-SALT'].pk}/reach?hours=6"))
    assert [(a["code"], a["before"], a["after"]) for a in mine["areas"]] == [
        (city.district_a.code, 2, 1)
    ]


# --- scoping and personal data -----------------------------------------------------------------


def test_another_district_neither_sees_nor_decides_a_candidate(kb, city, analyst_a, analyst_b):
    message = post(CLAIM, city.community_a)
    candidate = RumorMatch.objects.get(message=message).rumor
    other = client_of(analyst_b)
    assert as_json(other.get(f"{API}/queue")) == []
    # The same claim in district B is district B's own candidate, counted apart.
    post(CLAIM_AGAIN, city.community_b)
    theirs = as_json(other.get(f"{API}/queue"))
    assert [(q["area_path"], q["count"]) for q in theirs] == [(city.district_b.path, 1)]
    mine = as_json(client_of(analyst_a).get(f"{API}/queue"))
    assert [(q["id"], q["count"]) for q in mine] == [(candidate.pk, 1)]
    assert other.get(f"{API}/{candidate.pk}").status_code == 404
    assert other.get(f"{API}/messages/{message.pk}").status_code == 404
    refused = other.post(
        f"{API}/{candidate.pk}/dismiss", {"reason": "no"}, content_type="application/json"
    )
    assert refused.status_code == 404
    assert other.get(f"/opinion/rumors/{candidate.pk}/").status_code == 404
    assert Rumor.objects.get(pk=candidate.pk).state == "candidate"
    # The city's knowledge base is read by both districts; only the city's checkers write it.
    assert {r["code"] for r in as_json(other.get(API))} == {"T-SALT", "T-LOCK"}
    refused = other.post(
        f"{API}/{kb['T-SALT'].pk}/clarifications",
        {"text_zh": "甲", "text_en": "A"},
        content_type="application/json",
    )
    assert refused.status_code == 404


def test_pages_show_redacted_texts_only(kb, city, analyst_a):
    message = post(CLAIM, city.community_a)
    assert PHONE not in message.text and message.text_sealed == ""  # a post keeps no whole text
    candidate = RumorMatch.objects.get(message=message).rumor
    client = client_of(analyst_a)
    queue_page = client.get("/opinion/rumors/").content.decode()
    assert "听说明天全区停水三天" in queue_page and PHONE not in queue_page
    rumor_page = client.get(f"/opinion/rumors/{candidate.pk}/").content.decode()
    assert "听说明天全区停水三天" in rumor_page and PHONE not in rumor_page
    assert PHONE not in client.get(f"{API}/{candidate.pk}").content.decode()
    assert PHONE not in client.get(f"{API}/queue").content.decode()


def test_pages_need_a_login_and_the_facts_page_does_not(kb, city):
    anonymous = Client()
    assert anonymous.get("/opinion/rumors/").status_code == 302
    assert anonymous.get(f"/opinion/rumors/{kb['T-SALT'].pk}/").status_code == 302
    assert anonymous.get(API).status_code == 401
    page = anonymous.get("/opinion/rumors/facts?lang=en").content.decode()
    assert KB[0]["claim_en"] in page and KB[0]["clarification_en"] in page


# --- the board panel and the demo --------------------------------------------------------------


def test_the_board_panel_lists_the_queue_and_the_rumors_spreading(kb, city, analyst_a, make_user):
    from django.template.loader import render_to_string

    from crisisgov.directory.facade import actor_for_user
    from crisisgov.opinion.rumors.board import board_panel

    post(CLAIM, city.community_a)
    post(SPREADING, city.community_a)
    post(SPREADING + " now", city.community_a)
    panel = board_panel(actor_for_user(analyst_a))
    assert [(q["count"], PHONE in q["example"]) for q in panel["rumors_queue"]] == [(1, False)]
    assert [(r["code"], r["count"]) for r in panel["rumors_spreading"]] == [("T-SALT", 2)]
    html = render_to_string("opinion_rumors/_board_panel.html", panel)
    assert "听说明天全区停水三天" in html and PHONE not in html
    # A commander reads the board but checks no facts: no queue, the spreading rumors only.
    commander = board_panel(actor_for_user(make_user("commander", city.city)))
    assert commander["rumors_queue"] == [] and commander["rumors_spreading"][0]["count"] == 2
    assert "Waiting for review" not in render_to_string(
        "opinion_rumors/_board_panel.html", commander
    )


def test_the_demo_spreads_a_known_rumor_and_queues_a_new_claim(city):
    from crisisgov.opinion.rumors.demo import opinion_rumors_demo_ensure

    first = opinion_rumors_demo_ensure()
    assert "matched or queued" in first[-1]
    matches = RumorMatch.objects.count()
    assert Rumor.objects.filter(state="candidate").count() == 1
    assert RumorMatch.objects.filter(rumor__state="confirmed").exists()
    assert opinion_rumors_demo_ensure()[-1] == "Rumors: the demo's messages are there already"
    assert RumorMatch.objects.count() == matches


def test_the_rumor_page_forms_merge_and_refuse_clearly(kb, city, analyst_a):
    message = post(CLAIM, city.community_a)
    candidate = RumorMatch.objects.get(message=message).rumor
    client = client_of(analyst_a)
    url = f"/opinion/rumors/{candidate.pk}/"
    page = client.get(url).content.decode()
    assert f"T-LOCK · {KB[1]['claim_zh']}" in page  # the merge choices say what they are
    refused = client.post(url, {"action": "dismiss", "reason": " "})
    assert refused.status_code == 400
    assert 'data-field="reason"' in refused.content.decode()
    merged = client.post(url, {"action": "merge", "into_id": str(kb["T-LOCK"].pk)})
    assert merged.status_code == 302
    assert merged["Location"] == f"/opinion/rumors/{kb['T-LOCK'].pk}/"
    assert RumorMatch.objects.get(message=message).rumor_id == kb["T-LOCK"].pk
