"""City analysts curate the topics found online: confirm a candidate, name it, merge two topics
that are one subject. Through the API and the page; district staff cannot."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from crisisgov.kernel.models import AuditEntry
from crisisgov.opinion.analyser import analyse_loop
from crisisgov.opinion.intake import message_receive
from crisisgov.opinion.models import HotspotAlarm, HotspotBin, Message, Topic
from crisisgov.opinion.services import topics_relabel

API = "/api/opinion/topics"


@pytest.fixture(autouse=True)
def _ngram(monkeypatch):
    monkeypatch.setenv("CRISISGOV_OPINION_EMBEDDER", "ngram")


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _post(client: Client, url: str, body: dict):  # type: ignore[no-untyped-def]
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def two_topics(city):
    """Water outage posts and pharmacy posts, each its own topic, in district A."""
    now = timezone.now()
    water = ["江岸区停水了", "江岸区又停水，什么时候来水", "江岸区停水一整天了"]
    masks = ["药店买不到口罩了", "口罩卖光了，药店没货", "哪家药店还有口罩"]
    ids = {
        text: message_receive(
            channel="post", text=text, area_code=city.district_a.code,
            posted_at=now - dt.timedelta(minutes=n),
        ).message.pk
        for n, text in enumerate(water + masks)
    }  # fmt: skip
    analyse_loop(once=True)
    of = {text: Message.objects.get(pk=pk).topic for text, pk in ids.items()}
    assert of[water[0]].pk != of[masks[0]].pk
    return of[water[0]], of[masks[0]]


def test_an_analyst_confirms_and_names_a_candidate_and_the_relabelling_keeps_the_name(
    city, make_user, two_topics
):
    water, _ = two_topics
    analyst = _client(make_user("analyst", city.city))
    listed = analyst.get(API).json()
    assert {t["id"] for t in listed} >= {water.pk} and all(t["candidate"] for t in listed)
    answer = _post(
        analyst, f"{API}/{water.pk}/confirm", {"label_zh": "江岸区停水", "label_en": "Water cut"}
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["candidate"] is False and answer.json()["label_en"] == "Water cut"
    topics_relabel()
    water.refresh_from_db()
    assert (water.label_zh, water.label_en, water.labels_fixed) == ("江岸区停水", "Water cut", True)
    assert AuditEntry.objects.filter(action="opinion.topic_confirmed").count() == 1
    too_long = _post(analyst, f"{API}/{water.pk}/confirm", {"label_en": "x" * 201})
    assert too_long.status_code in (400, 422)
    assert too_long.json()["detail"][0]["field"] == "label_en"


def test_merging_moves_messages_counts_and_alarms_and_the_analysers_follow(
    city, make_user, two_topics
):
    water, masks = two_topics
    HotspotAlarm.objects.create(
        topic=masks, area=city.district_a, area_path=city.district_a.path,
        bin_start=timezone.now(), observed=3, expected=0.1, p_value=1e-6,
    )  # fmt: skip
    before = sum(HotspotBin.objects.values_list("count", flat=True))
    analyst = _client(make_user("analyst", city.city))
    refused = _post(analyst, f"{API}/{masks.pk}/merge", {"into": water.pk, "reason": ""})
    assert refused.status_code in (400, 422) and Topic.objects.filter(pk=masks.pk).exists()
    merged = _post(analyst, f"{API}/{masks.pk}/merge", {"into": water.pk, "reason": "test merge"})
    assert merged.status_code == 200, merged.content
    assert merged.json()["size"] == water.size + masks.size
    assert not Topic.objects.filter(pk=masks.pk).exists()
    assert not Message.objects.filter(topic_id=masks.pk).exists()
    assert HotspotBin.objects.filter(topic=water).exists()
    assert sum(HotspotBin.objects.values_list("count", flat=True)) == before  # none lost
    assert HotspotAlarm.objects.get().topic_id == water.pk
    entry = AuditEntry.objects.get(action="opinion.topics_merged")
    assert entry.detail["merged"] == masks.pk and entry.detail["reason"] == "test merge"
    # The next batch sees the merged topic set: a pharmacy post joins a live topic.
    message_receive(channel="post", text="药店口罩又没货了", area_code=city.district_a.code)
    analyse_loop(once=True)
    newest = Message.objects.order_by("-id").first()
    assert newest.topic_id is not None and Topic.objects.filter(pk=newest.topic_id).exists()


def test_district_staff_cannot_curate_and_the_page_works_in_both_languages(
    city, make_user, two_topics
):
    water, masks = two_topics
    district_analyst = _client(make_user("analyst", city.district_a))
    assert district_analyst.get(API).status_code == 403
    assert _post(district_analyst, f"{API}/{water.pk}/confirm", {}).status_code == 403
    assert district_analyst.get("/opinion/topics/").status_code == 404
    assert Client().get(API).status_code == 401
    officer = _client(make_user("department_officer", city.city))
    assert (
        _post(officer, f"{API}/{masks.pk}/merge", {"into": water.pk, "reason": "x y z"}).status_code
        == 403
    )
    assert Topic.objects.filter(candidate=True).count() >= 2  # nothing changed

    analyst = _client(make_user("analyst", city.city))
    page = analyst.get("/opinion/topics/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'data-topic-id="{water.pk}"' in page and "Merge into" in page
    assert (
        "合并到" in analyst.get("/opinion/topics/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    )
    assert (
        "/opinion/topics/" in analyst.get("/opinion/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
    bad = analyst.post(
        "/opinion/topics/", {"action": "merge", "topic": masks.pk, "into": ""},
        HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip
    assert bad.status_code == 400 and 'data-field="into"' in bad.content.decode()
    done = analyst.post(
        "/opinion/topics/", {"action": "merge", "topic": masks.pk, "into": water.pk,
                             "reason": "same outage"},
    )  # fmt: skip
    assert done.status_code == 302 and not Topic.objects.filter(pk=masks.pk).exists()
    confirmed = analyst.post("/opinion/topics/", {"action": "confirm", "topic": water.pk})
    assert confirmed.status_code == 302
    water.refresh_from_db()
    assert water.candidate is False and water.labels_fixed is False  # confirmed, not renamed
