"""The situation board, its API and the hot-spot alarms, over HTTP: personal data never reaches
a viewer, each district sees its own messages, and a surge raises an alarm with its evidence."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from crisisgov.directory.idnumber import make
from crisisgov.kernel.models import AuditEntry
from crisisgov.opinion.alarms import hotspots_evaluate
from crisisgov.opinion.analyser import analyse_loop
from crisisgov.opinion.intake import message_receive
from crisisgov.opinion.models import HotspotAlarm, Message

PHONE = "13812345678"
ID_NUMBER = make("420102", dt.date(1979, 5, 4), 2)


@pytest.fixture(autouse=True)
def _ngram(monkeypatch):
    monkeypatch.setenv("CRISISGOV_OPINION_EMBEDDER", "ngram")


@pytest.fixture
def world(city, make_user):
    """A message with personal data in each district, and viewers of the board."""
    a = message_receive(
        channel="hotline",
        text=f"江岸区小区停水三天了，联系电话{PHONE}，身份证{ID_NUMBER}",
        area_code=city.district_a.code,
    ).message
    b = message_receive(
        channel="post", text="江汉区药店排队买退烧药，队伍很长", area_code=city.district_b.code
    ).message
    analyse_loop(once=True)
    return {
        "a": a,
        "b": b,
        "commander": make_user("commander", city.city),
        "analyst": make_user("analyst", city.city),
        "officer_a": make_user("department_officer", city.district_a),
        "officer_b": make_user("department_officer", city.district_b),
    }


def surge(city, count: int = 9):
    """A rumor reposted `count` times in district A within the current 15 minutes."""
    now = timezone.now()
    ids = []
    for n in range(count):
        text = f"江岸区的自来水被污染了，千万别喝！转发告诉家人{'!' * n}"
        message = message_receive(
            channel="post", text=text, area_code=city.district_a.code, posted_at=now
        ).message
        ids.append(message.pk)
    analyse_loop(once=True)
    return ids


def test_no_phone_or_id_number_on_the_board_or_in_the_api(city, world):
    for role in ("commander", "analyst", "officer_a"):
        client = Client()
        client.force_login(world[role])
        for language in ("zh-hans", "en"):
            page = client.get("/opinion/", HTTP_ACCEPT_LANGUAGE=language)
            assert page.status_code == 200, role
            html = page.content.decode()
            assert "江岸区小区停水三天了" in html
            assert PHONE not in html and ID_NUMBER not in html, role
        for url in ("/api/opinion/messages", f"/api/opinion/messages/{world['a'].pk}"):
            answer = client.get(url)
            assert answer.status_code == 200
            assert PHONE not in answer.content.decode() and ID_NUMBER not in answer.content.decode()
    assert not AuditEntry.objects.filter(action="opinion.message_whole_read").exists()


def test_each_district_sees_only_its_own_messages(city, world):
    client = Client()
    client.force_login(world["officer_a"])
    ids = [m["id"] for m in client.get("/api/opinion/messages").json()]
    assert ids == [world["a"].pk]
    assert client.get(f"/api/opinion/messages/{world['b'].pk}").status_code == 404
    html = client.get("/opinion/").content.decode()
    assert "江岸区小区停水三天了" in html and "江汉区药店排队" not in html
    client.force_login(world["officer_b"])
    assert [m["id"] for m in client.get("/api/opinion/messages").json()] == [world["b"].pk]
    client.force_login(world["commander"])  # the city sees both
    assert {m["id"] for m in client.get("/api/opinion/messages").json()} == {
        world["a"].pk,
        world["b"].pk,
    }


def test_the_board_needs_the_board_permission(city, make_user):
    client = Client()
    assert client.get("/opinion/").status_code == 302  # to the login page
    assert client.get("/api/opinion/messages").status_code == 401
    client.force_login(make_user("grid_worker", city.grid_a))
    assert client.get("/opinion/").status_code == 404
    assert client.get("/api/opinion/messages").status_code == 403


def test_a_surge_raises_one_alarm_with_its_evidence_for_the_district(city, world):
    evidence = surge(city)
    assert hotspots_evaluate() == 1
    assert hotspots_evaluate() == 0  # the same burst: no second alarm
    alarm = HotspotAlarm.objects.get()
    assert alarm.area_id == city.district_a.pk and alarm.state == "open"
    assert alarm.observed == 9 and alarm.new_topic
    assert set(alarm.evidence) == set(evidence)
    assert alarm.p_value < 1e-5
    assert AuditEntry.objects.filter(action="opinion.alarm_raised").count() == 1
    client = Client()
    client.force_login(world["commander"])
    board = client.get("/opinion/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'data-alarm-id="{alarm.pk}"' in board
    assert "9 messages in 15 minutes" in board
    page = client.get(f"/opinion/alarms/{alarm.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert "自来水被污染了" in html and "trend-data" in html
    assert client.get("/api/opinion/alarms").json()[0]["evidence"] == alarm.evidence
    # District B's officer sees no alarm of district A.
    client.force_login(world["officer_b"])
    assert client.get("/api/opinion/alarms").json() == []
    assert client.get(f"/opinion/alarms/{alarm.pk}/").status_code == 404
    assert f'data-alarm-id="{alarm.pk}"' not in client.get("/opinion/").content.decode()


def test_an_alarm_is_acknowledged_then_closed_and_not_raised_again(city, world):
    surge(city)
    hotspots_evaluate()
    alarm = HotspotAlarm.objects.get()
    client = Client()
    client.force_login(world["officer_a"])
    url = f"/api/opinion/alarms/{alarm.pk}"
    body = json.dumps({"note": "水务局已核实，谣言"})
    ack = client.post(f"{url}/acknowledge", body, content_type="application/json")
    assert ack.status_code == 200 and ack.json()["state"] == "acknowledged"
    page = client.post(f"/opinion/alarms/{alarm.pk}/", {"state": "closed"})
    assert page.status_code == 302
    assert HotspotAlarm.objects.get().state == "closed"
    again = client.post(f"{url}/close", "{}", content_type="application/json")
    assert again.status_code == 409
    actions = AuditEntry.objects.filter(action__startswith="opinion.alarm_").values_list(
        "action", flat=True
    )
    assert sorted(actions) == [
        "opinion.alarm_acknowledged",
        "opinion.alarm_closed",
        "opinion.alarm_raised",
    ]
    surge(city, count=3)  # the same burst goes on
    assert hotspots_evaluate() == 0


def test_rising_topics_and_sentiment_series(city, world):
    surge(city)
    client = Client()
    client.force_login(world["analyst"])
    rising = client.get("/api/opinion/topics/rising").json()
    assert rising[0]["last_hour"] == 9  # the surge's topic first
    sentiment = client.get("/api/opinion/sentiment").json()
    assert len(sentiment["hours"]) == 24
    total = sum(sentiment["negative"]) + sum(sentiment["neutral"]) + sum(sentiment["positive"])
    assert total == Message.objects.exclude(sentiment="").count() == 11


def test_the_hotspot_map_colours_districts_by_live_alarms(city, world):
    surge(city)
    hotspots_evaluate()
    client = Client()
    assert client.get("/opinion/map.json").status_code == 401
    client.force_login(world["commander"])
    features = client.get("/opinion/map.json", HTTP_ACCEPT_LANGUAGE="en").json()["features"]
    alarms = {f["properties"]["code"]: f["properties"]["alarms"] for f in features}
    assert alarms == {city.district_a.code: 1, city.district_b.code: 0}


def test_the_department_inbox_lists_alarms_routed_to_it(city, world, make_user):
    from crisisgov.directory.tests.factories import OrganisationFactory

    surge(city)
    hotspots_evaluate()
    alarm = HotspotAlarm.objects.get()
    assert alarm.department  # the routing classifier names a department
    client = Client()
    client.force_login(world["commander"])
    inbox = client.get("/opinion/alarms/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'data-alarm-id="{alarm.pk}"' in inbox  # the command centre sees every alarm
    other_type = "transport" if alarm.department != "transport" else "health_commission"
    org = OrganisationFactory(kind="department", department_type=other_type, area=city.district_a)
    officer = make_user("department_officer", city.district_a, org)
    client.force_login(officer)
    inbox = client.get("/opinion/alarms/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'data-alarm-id="{alarm.pk}"' not in inbox


def test_topic_labels_never_hold_personal_data(city, world):
    from crisisgov.opinion.models import Topic

    for topic in Topic.objects.all():
        words = " ".join([topic.label_zh, topic.label_en, *topic.keywords])
        assert PHONE not in words and ID_NUMBER not in words


def test_the_worker_raises_the_alarm_and_applies_retention(city, world):
    from crisisgov.kernel.outbox import worker_sweeps_run
    from crisisgov.opinion import handlers

    surge(city)
    Message.objects.filter(pk=world["b"].pk).update(
        keep_until=timezone.localdate() - dt.timedelta(days=1)
    )
    handlers._last.clear()
    worker_sweeps_run()
    assert HotspotAlarm.objects.filter(area_id=city.district_a.pk).count() == 1
    assert not Message.objects.filter(pk=world["b"].pk).exists()


def test_a_new_alarm_reaches_the_command_centres_alert_inbox(city, world):
    """Pushed, not only shown: the worker delivers `opinion.alarm_raised` into early warning's
    alert inbox, which the command centre triages with every other signal."""
    from crisisgov.earlywarning.models import Alert
    from crisisgov.kernel.outbox import outbox_deliver_due as outbox_deliver
    from crisisgov.opinion.alarms import hotspots_evaluate

    surge(city)
    hotspots_evaluate()
    outbox_deliver()
    alarm = HotspotAlarm.objects.get(area_id=city.district_a.pk)
    alert = Alert.objects.get(source="opinion")
    assert (alert.kind, alert.area_id, alert.status) == ("hotspot", city.district_a.pk, "new")
    assert alert.detail["alarm_id"] == alarm.pk and PHONE not in alert.title_zh
    client = Client()
    client.force_login(world["commander"])
    inbox = client.get("/earlywarning/alerts/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Public-opinion hot spot" in inbox and PHONE not in inbox
    outbox_deliver()  # delivered once: no second alert
    assert Alert.objects.filter(source="opinion").count() == 1


def test_topics_are_labelled_by_what_sets_them_apart(city, world):
    from crisisgov.opinion.models import Topic
    from crisisgov.opinion.services import topics_relabel

    surge(city)
    assert topics_relabel() >= 1
    water = Topic.objects.get(pk=Message.objects.filter(text__contains="自来水").first().topic_id)
    assert "污染" in water.keywords or "自来水" in water.keywords
    assert not any("phone" in k.lower() or PHONE in k for k in water.keywords)


# --- alarms pushed to the rumor's owner; every panel in both languages --------------------------


@pytest.fixture
def known_rumors(city, tmp_path):
    """The rumor tests' small knowledge base (T-SALT is health's, T-LOCK market's)."""
    from crisisgov.opinion.rumors.matcher import index_forget
    from tests.test_opinion_rumors_support import kb

    index_forget()  # this test database's knowledge base, not a previous one's
    yield kb.__wrapped__(city, tmp_path)
    index_forget()


def spread(city, text: str, count: int = 9) -> list[int]:
    """`count` reposts of `text` in district A within the current 15 minutes, each matched
    against the knowledge base (the analysis stage delivered its event)."""
    now = timezone.now()
    ids = [
        message_receive(
            channel="post", text=text + "!" * n, area_code=city.district_a.code, posted_at=now
        ).message.pk
        for n in range(count)
    ]
    analyse_loop(once=True)
    return ids


def test_an_alarm_over_a_known_health_rumor_goes_to_health_and_is_published(
    city, known_rumors, monkeypatch
):
    from crisisgov.kernel.models import OutboxEvent
    from crisisgov.opinion import understanding
    from crisisgov.opinion.rumors.models import RumorMatch
    from tests.test_opinion_rumors_support import SPREADING

    # The text router would send it elsewhere: the rumor's owner must win over it.
    monkeypatch.setattr(understanding, "department_for", lambda vectors: "police")
    evidence = spread(city, SPREADING)
    assert RumorMatch.objects.filter(rumor__code="T-SALT", stance="spreads").exists()
    assert hotspots_evaluate() == 1
    alarm = HotspotAlarm.objects.get()
    assert set(alarm.evidence) == set(evidence)
    assert alarm.department == "health"
    event = OutboxEvent.objects.get(topic="opinion.alarm_raised")
    assert event.payload == {
        "alarm_id": alarm.pk,
        "topic_id": alarm.topic_id,
        "area_path": city.district_a.path,
        "department": "health",
    }
    assert hotspots_evaluate() == 0  # the same burst: no second alarm, no second event
    assert OutboxEvent.objects.filter(topic="opinion.alarm_raised").count() == 1


def test_an_alarm_matching_no_known_rumor_goes_where_its_texts_route(
    city, known_rumors, monkeypatch
):
    from crisisgov.opinion import understanding

    monkeypatch.setattr(understanding, "department_for", lambda vectors: "water")
    spread(city, "江岸区的自来水被污染了，千万别喝！转发告诉家人")
    assert hotspots_evaluate() == 1
    assert HotspotAlarm.objects.get().department == "water"


PANELS = {  # panel: (its heading in English, in Chinese)
    "alarms": ("Hot-spot alarms", "热点预警"),
    "rising topics": ("Topics rising", "上升话题"),
    "hot-spot map": ("Hot-spot map", "热点地图"),
    "sentiment": ("Sentiment over time", "情绪走势"),
    "rumors": ("Rumors", "谣言"),
    "tickets": ("Tickets by department", "各部门工单"),
}


def test_the_board_shows_every_panel_with_its_data_in_chinese_and_english(
    city, known_rumors, make_user, actor_of
):
    from tests.test_opinion_rumors_support import SPREADING
    from tests.test_opinion_tickets_support import dispatched, world_build

    spread(city, SPREADING)
    hotspots_evaluate()
    alarm = HotspotAlarm.objects.get()
    tickets = world_build(city, make_user)
    ticket = dispatched(actor_of(tickets.operator), city.district_a, "health")
    client = Client()
    client.force_login(make_user("analyst", city.city))
    for language, column in (("zh-hans", 1), ("en", 0)):
        page = client.get("/opinion/", HTTP_ACCEPT_LANGUAGE=language)
        assert page.status_code == 200
        html = page.content.decode()
        for panel, headings in PANELS.items():
            assert headings[column] in html, (language, panel)
            assert headings[1 - column] not in html or panel == "rumors", (language, panel)
        assert f'data-alarm-id="{alarm.pk}"' in html  # alarms
        assert f'data-topic-id="{alarm.topic_id}"' in html  # rising topics
        district_row = f'<tr data-area-code="{city.district_a.code}"><th scope="row">'
        assert district_row in html and 'data-map-url="/opinion/map.json"' in html  # map
        assert 'id="sentiment-data"' in html and 'id="sentiment-table"' in html  # sentiment
        t_salt = known_rumors["T-SALT"].pk
        assert f'<li data-rumor-id="{t_salt}">' in html  # the rumor panel: T-SALT spreading
        assert 'class="rumor-queue"' in html  # the fact-checkers' queue
        assert 'data-department="health"' in html and f"#{ticket.pk}" in html  # tickets
    chinese = client.get("/opinion/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "江岸区" in chinese and "Jiang'an District" not in chinese
    sentiment = json.loads(
        chinese.split('id="sentiment-data" type="application/json">')[1].split("</script>")[0]
    )
    counted = sentiment["negative"] + sentiment["neutral"] + sentiment["positive"]
    assert len(sentiment["hours"]) == 24 and sum(counted) == 10  # 9 posts and the call
    features = client.get("/opinion/map.json").json()["features"]
    assert {f["properties"]["code"]: f["properties"]["alarms"] for f in features} == {
        city.district_a.code: 1,
        city.district_b.code: 0,
    }
