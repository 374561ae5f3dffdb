"""Public opinion intake through every channel, over HTTP: the citizens' API and form, the
hotline (through the service the tickets sub-app calls), CSV exports and partner webhooks."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time

import pytest
from django.test import Client
from django.utils import timezone

from crisisgov.directory.idnumber import make
from crisisgov.kernel.models import AuditEntry, OutboxEvent
from crisisgov.opinion.analyser import analyse_loop
from crisisgov.opinion.intake import message_receive
from crisisgov.opinion.models import Message, Source
from crisisgov.opinion.services import messages_expire, source_create

PHONE = "13912345678"


@pytest.fixture(autouse=True)
def _ngram(monkeypatch):
    """The deterministic n-gram embedder: no model files, the same vectors everywhere."""
    monkeypatch.setenv("CRISISGOV_OPINION_EMBEDDER", "ngram")


@pytest.fixture
def id_number():
    return make("420102", dt.date(1985, 3, 7), 3)


def post(client, body):
    return client.post("/api/opinion/messages", json.dumps(body), content_type="application/json")


def test_a_citizen_post_is_redacted_resolved_and_announced(city, id_number):
    text = f"江岸区超市排长队，大米涨价了。有事打 {PHONE}，身份证 {id_number}"
    answer = post(Client(), {"text": text})
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert PHONE not in body["text"] and id_number not in body["text"]
    assert set(body["pii_redacted"]) >= {"phone", "id_number"}
    assert body["language"] == "zh"
    assert body["area_code"] == city.district_a.code  # named in the text
    message = Message.objects.get(pk=body["id"])
    assert PHONE not in message.text
    assert message.text_sealed == ""  # no handler: the whole text is not collected at all
    # Stored at once; understood by the analysis stage, which takes what arrived as a batch.
    assert message.analysed_at is None and message.topic_id is None
    assert analyse_loop(once=True) == 1
    message.refresh_from_db()
    assert message.topic_id is not None and message.sentiment in {"negative", "neutral", "positive"}
    assert len(message.embedding) > 0 and message.analysed_at is not None
    event = OutboxEvent.objects.get(topic="opinion.messages_analysed")
    assert event.payload["message_ids"] == [message.pk]
    assert message.keep_until == timezone.localdate() + dt.timedelta(days=180)


def test_bad_messages_get_a_clear_answer_naming_the_field_and_nothing_is_stored(city):
    client = Client()
    cases = [
        ({"text": ""}, "text"),
        ({"text": "   \n\t "}, "text"),
        ({"text": "x" * 5001}, "text"),
        ({"text": "abc\x00def"}, "text"),
        ({"text": "bad \ud800 surrogate"}, "text"),
        ({"text": "江岸区停水", "area_code": "999999999999"}, "area_code"),
        ({"text": "江岸区停水", "lon": 114.05}, "lat"),
        ({"text": "江岸区停水", "channel": "hotline"}, "channel"),
        ({"text": "江岸区停水", "colour": "red"}, "colour"),
    ]
    for body, field in cases:
        answer = post(client, body)
        assert answer.status_code in (400, 422), (body, answer.content)
        assert answer.json()["detail"][0]["field"] == field, (body, answer.json())
    too_long = post(client, {"text": "x" * 5001}).json()["detail"][0]["message"]
    assert "5,000" in too_long
    raw = b'{"text": "\xff\xfe not utf-8"}'
    answer = client.post("/api/opinion/messages", raw, content_type="application/json")
    assert answer.status_code == 400 and answer.json()["detail"][0]["field"] == "body"
    assert Message.objects.count() == 0
    assert post(client, {"text": "x" * 5000}).status_code == 201  # the limit itself is accepted


def test_a_message_in_another_language_is_kept_and_marked_not_analysed(city):
    answer = post(Client(), {"text": "Bonjour, la route est fermée près du pont"})
    assert answer.status_code == 201
    analyse_loop(once=True)
    message = Message.objects.get(pk=answer.json()["id"])
    assert message.language == "other" and message.analysed_at is not None
    assert message.topic_id is None and message.sentiment == "" and message.embedding is None
    assert message.area_id == city.city.pk  # no place named: the city
    symbols = post(Client(), {"text": "🙂🙂 !!!"})
    assert symbols.status_code == 201 and symbols.json()["language"] == "und"


def test_near_duplicates_are_collapsed_onto_the_first_and_still_counted(city):
    from crisisgov.opinion.models import HotspotBin

    client = Client()
    first = post(client, {"text": "江岸区明天全区停水三天，赶紧囤水！"}).json()
    again = post(client, {"text": "转发：江岸区明天全区停水三天，赶紧囤水！！🙏"}).json()
    other = post(client, {"text": "江汉区的公交今天恢复运营了，谢谢司机师傅"}).json()
    assert again["duplicate_of"] == first["id"]
    assert other["duplicate_of"] is None
    analyse_loop(once=True)
    original = Message.objects.get(pk=first["id"])
    duplicate = Message.objects.get(pk=again["id"])
    assert original.duplicate_count == 1
    assert duplicate.topic_id == original.topic_id
    # The repost counts in the hot-spot bin of its topic and district (volume is the signal).
    bin_ = HotspotBin.objects.get(topic_id=original.topic_id, area_path=city.district_a.path)
    assert bin_.count == 2


def test_coordinates_resolve_the_area_and_a_code_wins_over_the_text(city):
    client = Client()
    by_point = post(client, {"text": "this street is flooded", "lon": 114.25, "lat": 30.05})
    assert by_point.json()["area_code"] == city.building_b.code  # the deepest area there
    by_code = post(client, {"text": "江岸区停电了", "area_code": city.district_b.code})
    assert by_code.json()["area_code"] == city.district_b.code


def test_the_citizens_form_in_both_languages_with_errors_and_a_rate_limit(city):
    client = Client()
    page = client.get("/opinion/say/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and b"Tell us what you see" in page.content
    assert "江岸区".encode() in client.get("/opinion/say/", HTTP_ACCEPT_LANGUAGE="zh-hans").content
    empty = client.post("/opinion/say/", {"text": "  "}, HTTP_ACCEPT_LANGUAGE="en")
    assert empty.status_code == 422 and b"it is empty" in empty.content
    sent = client.post(
        "/opinion/say/",
        {"text": f"江汉区药店没有退烧药了 {PHONE}", "area_code": city.district_b.code},
    )
    assert sent.status_code == 302
    message = Message.objects.get()
    assert message.area_id == city.district_b.pk and PHONE not in message.text
    thanks = client.get(sent["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert b"Your message was received" in thanks.content
    for n in range(8):  # ten tries per address in ten minutes (the empty one counted too)
        assert post(client, {"text": f"第{n}条：江岸区排队很长"}).status_code == 201
    refused = post(client, {"text": "one more"})
    assert refused.status_code == 429  # the kernel's limiter: one shape for every 429
    assert refused.json()["detail"][0]["code"] == "too_many_attempts"
    again = client.post("/opinion/say/", {"text": "还有一条"}, HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 429 and b"Too many messages" in again.content
    assert Message.objects.count() == 9


def test_a_hotline_call_goes_through_the_same_intake(city, id_number):
    received = message_receive(
        channel="hotline",
        text=f"来电人身份证{id_number}，反映小区三天没有来水",
        area_code=city.community_a.code,
    )
    message = received.message
    assert received.created and message.channel == "hotline"
    assert message.area_path == city.community_a.path and id_number not in message.text
    assert "id_number" in message.pii_kinds
    assert id_number in message.text_sealed  # kept whole, encrypted, for the ticket's handler


# --- CSV imports ----------------------------------------------------------------------------


def gbk_export() -> bytes:
    rows = [
        "id,text,posted_at,area_code",
        "w1,江岸区超市的大米卖光了，大家别慌,2026-11-27T09:00:00+08:00,",
        "w2,,2026-11-27T09:05:00+08:00,",  # no text
        "w3,江汉区地铁站口排队测核酸,yesterday,",  # a bad date
        "w4,听说江汉区要封城了是真的吗,,420103000000",
    ]
    return ("\r\n".join(rows) + "\r\n").encode("gbk")


def test_a_gbk_export_keeps_its_good_rows_and_names_the_bad_ones(city, make_user):
    client = Client()
    client.force_login(make_user("analyst", city.city))
    upload = {"source": "weibo-export", "file": _file("weibo.csv", gbk_export())}
    page = client.post("/opinion/import/", upload, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200, page.content.decode()[:2000]
    html = page.content.decode()
    assert "2 new, 0 already imported, 2 rejected (read as gb18030)" in html
    assert "<td>3</td><td>text</td><td>the text is empty</td>" in html
    assert "<td>4</td><td>posted_at</td>" in html
    texts = dict(Message.objects.values_list("external_id", "text"))
    assert "江岸区超市的大米卖光了" in texts["w1"]  # read from GBK correctly
    assert Message.objects.get(external_id="w4").area_path == city.district_b.path
    again = client.post(
        "/opinion/import/",
        {"source": "weibo-export", "file": _file("weibo.csv", gbk_export())},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "0 new, 2 already imported, 2 rejected" in again.content.decode()
    assert Message.objects.count() == 2
    assert AuditEntry.objects.filter(action="opinion.messages_imported").count() == 2


def test_the_import_page_is_for_importers_only(city, make_user):
    client = Client()
    client.force_login(make_user("commander", city.city))
    assert client.get("/opinion/import/").status_code == 404


def test_the_command_imports_a_file(city, tmp_path, capsys):
    from django.core.management import call_command

    path = tmp_path / "export.csv"
    path.write_bytes(gbk_export())
    call_command("opinion", "import-csv", str(path), "--source", "douyin")
    out = capsys.readouterr().out
    assert "2 new" in out and "row 3, text: the text is empty" in out
    assert Source.objects.get(name="douyin").channel == "social"
    assert Message.objects.count() == 2


def _file(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="text/csv")


# --- partner webhooks -----------------------------------------------------------------------


@pytest.fixture
def partner(city, make_user, actor_of):
    analyst = actor_of(make_user("analyst", city.city))
    source, secret = source_create(
        actor=analyst, name="partner-news", channel="webhook", area_id=city.city.pk
    )
    return source, secret


def deliver(client, source_name, secret, payload, *, timestamp=None, signature=None, raw=None):
    timestamp = str(int(time.time())) if timestamp is None else timestamp
    body = raw if raw is not None else json.dumps({"timestamp": timestamp, **payload}).encode()
    signature = signature or "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post(
        f"/api/opinion/webhook/{source_name}",
        body,
        content_type="application/json",
        HTTP_X_CRISISGOV_SIGNATURE=signature,
        HTTP_X_CRISISGOV_TIMESTAMP=timestamp,
    )


def test_a_signed_batch_is_accepted_and_redelivery_stores_nothing_twice(partner):
    source, secret = partner
    client = Client()
    batch = {
        "messages": [
            {
                "id": "n-1",
                "text": "江岸区医院发热门诊排队四小时",
                "posted_at": "2026-11-27T10:00:00+08:00",
            },
            {"id": "n-2", "text": ""},
            {
                "id": "n-3",
                "text": "Long queues at the Jianghan pharmacy",
                "lon": 114.25,
                "lat": 30.05,
            },
        ]
    }
    answer = deliver(client, source.name, secret, batch)
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert [a["id"] for a in body["accepted"]] == ["n-1", "n-3"]
    assert body["rejected"] == [
        {"index": 1, "id": "n-2", "field": "messages[1].text", "message": "the text is empty"}
    ]
    ids = {a["id"]: a["message_id"] for a in body["accepted"]}
    assert Message.objects.get(pk=ids["n-1"]).channel == "webhook"
    again = deliver(client, source.name, secret, batch).json()
    assert {a["id"]: a["message_id"] for a in again["accepted"]} == ids
    assert not any(a["created"] for a in again["accepted"])
    assert Message.objects.count() == 2


def test_bad_signatures_replays_malformed_bodies_and_unknown_sources_are_refused(partner):
    source, secret = partner
    client = Client()
    one = {"messages": [{"id": "x-1", "text": "江岸区停电"}]}
    forged = deliver(client, source.name, secret, one, signature="sha256=" + "0" * 64)
    assert forged.status_code == 401 and forged.json()["detail"][0]["field"] == "signature"
    stale = deliver(client, source.name, secret, one, timestamp=str(int(time.time()) - 600))
    assert stale.status_code == 401 and "replay" in stale.json()["detail"][0]["message"]
    stamp = str(int(time.time()))
    mismatch = json.dumps({"timestamp": "1", **one}).encode()
    swapped = deliver(client, source.name, secret, one, timestamp=stamp, raw=mismatch)
    assert swapped.status_code == 401 and swapped.json()["detail"][0]["field"] == "timestamp"
    malformed = deliver(client, source.name, secret, {}, raw=b'{"messages": [', timestamp=stamp)
    assert malformed.status_code == 400 and malformed.json()["detail"][0]["code"] == "malformed"
    empty = deliver(client, source.name, secret, {"messages": []})
    assert empty.status_code == 422 and empty.json()["detail"][0]["field"] == "messages"
    unknown = deliver(client, "nobody", secret, one)
    assert unknown.status_code == 401  # like a bad signature: no one learns the partner names
    assert unknown.json() == forged.json()
    assert Message.objects.count() == 0
    refused = AuditEntry.objects.filter(action="opinion.webhook_refused").order_by("seq")
    assert [(e.detail["source"], e.detail["known"], e.detail["field"]) for e in refused] == [
        (source.name, True, "signature"),
        (source.name, True, "timestamp"),
        (source.name, True, "timestamp"),
        ("nobody", False, "signature"),
    ]


@pytest.fixture
def partner_a(city, make_user, actor_of):
    """A partner platform of district A only."""
    analyst = actor_of(make_user("analyst", city.city))
    return source_create(
        actor=analyst, name="jiangan-tv", channel="webhook", area_id=city.district_a.pk
    )


def test_a_partner_posts_into_its_own_area_only(city, partner_a):
    source, secret = partner_a
    batch = {
        "messages": [
            {"id": "a-1", "text": "小区门口停电了", "area_code": city.community_a.code},
            {"id": "a-2", "text": "地铁站停运了", "area_code": city.district_b.code},
            {"id": "a-3", "text": "药店排长队", "lon": 114.25, "lat": 30.05},  # in district B
            {"id": "a-4", "text": "菜市场涨价了", "lon": 114.05, "lat": 30.05},  # in district A
            {"id": "a-5", "text": "江汉区医院发热门诊人很多"},  # names B: the partner's area
        ]
    }
    body = deliver(Client(), source.name, secret, batch).json()
    assert [a["id"] for a in body["accepted"]] == ["a-1", "a-4", "a-5"]
    assert [(r["id"], r["field"]) for r in body["rejected"]] == [
        ("a-2", "messages[1].area_code"),
        ("a-3", "messages[2].lon"),
    ]
    assert "outside this partner's area" in body["rejected"][0]["message"]
    paths = {m.external_id: m.area_path for m in Message.objects.all()}
    assert paths == {
        "a-1": city.community_a.path,
        "a-4": city.building_a.path,  # the deepest area holding the point
        "a-5": city.district_a.path,
    }


def test_a_partner_is_rate_limited_rotated_and_deactivated(city, partner, monkeypatch, capsys):
    from django.core.management import call_command

    from crisisgov.opinion import webhooks

    source, secret = partner
    client = Client()
    monkeypatch.setattr(webhooks, "DELIVERIES_PER_MINUTE", 2)
    for n in range(2):
        one = {"messages": [{"id": f"r-{n}", "text": f"江岸区第{n}次停电"}]}
        assert deliver(client, source.name, secret, one).status_code == 200
    over = deliver(client, source.name, secret, {"messages": [{"id": "r-9", "text": "又停电"}]})
    assert over.status_code == 429 and over.json()["detail"][0]["code"] == "too_many_attempts"
    monkeypatch.setattr(webhooks, "DELIVERIES_PER_MINUTE", 100)

    call_command("opinion", "source-rotate", source.name)
    out = capsys.readouterr().out
    new_secret = Source.objects.get(pk=source.pk).webhook_secret
    assert new_secret != secret and f"(shown once): {new_secret}" in out
    one = {"messages": [{"id": "r-3", "text": "江岸区停水"}]}
    assert deliver(client, source.name, secret, one).status_code == 401  # the old one is dead
    assert deliver(client, source.name, new_secret, one).status_code == 200

    call_command("opinion", "source-deactivate", source.name, "--reason", "contract ended")
    assert "deactivated partner-news" in capsys.readouterr().out
    assert deliver(client, source.name, new_secret, one).status_code == 401
    assert Message.objects.filter(source=source).count() == 3  # its messages stay
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"opinion.source_secret_rotated", "opinion.source_deactivated"} <= actions
    assert secret not in str(list(AuditEntry.objects.values_list("detail", flat=True)))


def test_refusals_are_limited_per_caller_so_they_cannot_flood_the_audit_trail(partner, monkeypatch):
    from crisisgov.opinion import webhooks

    source, secret = partner
    monkeypatch.setattr(webhooks, "REFUSALS_PER_MINUTE", 2)
    one = {"messages": [{"id": "x-1", "text": "江岸区停电"}]}
    client = Client()
    answers = [deliver(client, f"made-up-{n}", secret, one).status_code for n in range(4)]
    assert answers == [401, 401, 429, 429]
    assert AuditEntry.objects.filter(action="opinion.webhook_refused").count() == 2
    assert deliver(client, source.name, secret, one).status_code == 200  # the partner still can


def test_the_sources_api_rotates_and_deactivates_in_the_callers_areas(city, partner, make_user):
    source, secret = partner
    client = Client()
    client.force_login(make_user("analyst", city.city))
    api = f"/api/opinion/sources/{source.pk}"
    rotated = client.post(f"{api}/rotate", content_type="application/json")
    assert rotated.status_code == 200, rotated.content
    assert rotated.json()["secret"] == Source.objects.get(pk=source.pk).webhook_secret != secret
    outsider = Client()
    outsider.force_login(make_user("analyst", city.district_b))  # the source is the city's
    assert (
        outsider.post(f"{api}/deactivate", {}, content_type="application/json").status_code == 404
    )
    done = client.post(f"{api}/deactivate", {"reason": "leak"}, content_type="application/json")
    assert done.status_code == 200 and done.json()["active"] is False
    assert done.json()["secret"] == ""
    again = client.post(f"{api}/rotate", content_type="application/json")
    assert again.status_code == 409


# --- retention and the audited whole text -----------------------------------------------------


def test_the_retention_sweep_deletes_expired_messages_only(city, settings):
    old = message_receive(channel="post", text="江岸区很久以前的消息").message
    new = message_receive(channel="post", text="江汉区今天的消息").message
    Message.objects.filter(pk=old.pk).update(keep_until=timezone.localdate() - dt.timedelta(days=1))
    assert messages_expire() == 1
    assert list(Message.objects.values_list("pk", flat=True)) == [new.pk]
    assert AuditEntry.objects.get(action="opinion.messages_expired").detail["deleted"] == 1
    settings.CRISISGOV_OPINION_RETENTION_DAYS = 30
    fresh = message_receive(channel="post", text="retention is a setting").message
    assert fresh.keep_until == timezone.localdate() + dt.timedelta(days=30)


def test_the_whole_text_is_read_by_the_handler_of_its_ticket_only_and_audited(
    city, make_user, actor_of
):
    from crisisgov.kernel.errors import NotFound
    from crisisgov.opinion.services import message_whole_read
    from tests.test_opinion_tickets_support import PHONE as CALLER_PHONE
    from tests.test_opinion_tickets_support import dispatched, world_build

    world = world_build(city, make_user)
    ticket = dispatched(actor_of(world.operator), city.district_a, "health")
    handler = actor_of(world.health_officer)
    assert CALLER_PHONE in message_whole_read(
        actor=handler, message_id=ticket.message_id, purpose="call back"
    )
    entry = AuditEntry.objects.get(action="opinion.message_whole_read")
    assert entry.fields_read == ["text_sealed"] and entry.purpose == "call back"
    # Another department of the same district, the district's other officers, the hotline,
    # the board's viewers and another district: the answer about a message that is not there.
    outsiders = [
        world.police_officer,
        make_user("department_officer", city.district_a),
        world.operator,
        world.commander,
        make_user("analyst", city.city),
        world.health_officer_b,
    ]
    for outsider in outsiders:
        with pytest.raises(NotFound):
            message_whole_read(
                actor=actor_of(outsider), message_id=ticket.message_id, purpose="curious"
            )
    post_ = message_receive(channel="post", text=f"江岸区停水 {PHONE}").message  # no ticket
    with pytest.raises(NotFound):
        message_whole_read(actor=handler, message_id=post_.pk, purpose="call back")
    assert AuditEntry.objects.filter(action="opinion.message_whole_read").count() == 1


def test_only_the_hotline_keeps_the_whole_text_the_other_channels_collect_the_redacted_one(
    city, partner
):
    text = f"江岸区超市排长队，有事打 {PHONE}"
    post_ = message_receive(channel="post", text=text).message
    stored = [
        post_,
        message_receive(channel="comment", text=f"我也是 {PHONE}", parent_id=post_.pk).message,
        message_receive(
            channel="social",
            text=text + "（微博）",
            source=Source.objects.create(
                name="weibo", channel="social", area=city.city, area_path=city.city.path
            ),
            external_id="w-1",
        ).message,
    ]
    source, secret = partner
    answer = deliver(Client(), source.name, secret, {"messages": [{"id": "p-1", "text": text}]})
    stored.append(Message.objects.get(pk=answer.json()["accepted"][0]["message_id"]))
    for message in stored:
        assert PHONE not in message.text, message.channel
        assert Message.objects.get(pk=message.pk).text_sealed == "", message.channel
    call = message_receive(channel="hotline", text=text, area_code=city.district_a.code).message
    assert PHONE in Message.objects.get(pk=call.pk).text_sealed


def test_traditional_characters_and_full_width_are_normalised_and_comments_attach(city):
    client = Client()
    post_ = post(client, {"text": "江岸區的藥店沒有口罩了，ＡＢＣ１２３"}).json()
    message = Message.objects.get(pk=post_["id"])
    assert "江岸区" in message.text and "药店" in message.text and "ABC123" in message.text
    assert message.area_id == city.district_a.pk
    comment = post(client, {"text": "我家楼下也是", "channel": "comment", "parent_id": post_["id"]})
    assert comment.status_code == 201
    stored = Message.objects.get(pk=comment.json()["id"])
    assert stored.parent_id == message.pk and stored.area_id == message.area_id  # the post's area
    orphan = post(client, {"text": "我也是", "channel": "comment"})
    assert orphan.status_code == 400 and orphan.json()["detail"][0]["field"] == "parent_id"


def test_the_command_registers_a_partner_and_prints_its_secret_once(city, capsys):
    from django.core.management import call_command

    call_command("opinion", "source-add", "partner-tv", "--area", city.district_a.code)
    out = capsys.readouterr().out
    source = Source.objects.get(name="partner-tv")
    assert source.channel == "webhook" and source.area_path == city.district_a.path
    assert f"signing secret (shown once): {source.webhook_secret}" in out
    assert "/api/opinion/webhook/partner-tv" in out


def test_topics_are_loaded_once_and_reloaded_only_when_another_process_changes_them(city):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from crisisgov.opinion import analyser
    from crisisgov.opinion.analysis.topics import threshold_for
    from crisisgov.opinion.models import Topic

    def centroid_loads(text: str) -> int:
        message_receive(channel="post", text=text)
        with CaptureQueriesContext(connection) as queries:
            analyser.messages_analyse()
        return sum(
            1
            for q in queries.captured_queries
            if q["sql"].startswith("SELECT")
            and "centroid" in q["sql"]
            and "opinion_topic" in q["sql"]
        )

    centroid_loads("江岸区超市大米涨价了")
    assert centroid_loads("江汉区地铁站今天停运") == 0  # the process's own changes: no reload
    assert centroid_loads("Long queues at the pharmacy in Jiang'an") == 0
    Topic.objects.update(size=50)  # another process's assignments
    assert centroid_loads("江岸区医院发热门诊排长队") == 1
    assert centroid_loads("江汉区停电两小时了") == 0
    # The threshold is the embedder's own (the n-gram embedder's similarities run lower).
    assert analyser._topics["model"].threshold == threshold_for("ngram") != threshold_for("use")


def test_the_analysis_stage_takes_what_arrived_as_one_batch_and_never_twice(city):
    """A surge is analysed in micro-batches (one forward pass, one event per batch); two
    analysers never take the same message; a dead analyser's claim is taken over."""
    from crisisgov.opinion import analyser
    from crisisgov.opinion.dataset import load

    texts = [m.text for m in load.distractors()][:70]
    ids = [message_receive(channel="post", text=text).message.pk for text in texts]
    assert analyser.messages_pending() == 70
    other = analyser._claim("another-worker", 10, None)  # a second analyser holds ten
    assert other == ids[:10]
    first = analyser.messages_analyse()
    assert first.message_ids == ids[10:70][:64]  # the next 64, not the other's ten
    event = OutboxEvent.objects.get(pk=first.event_id)
    assert event.topic == "opinion.messages_analysed" and event.payload["message_ids"] == ids[10:]
    assert analyser.messages_analyse().message_ids == []  # nothing free is left
    # The other analyser died: after CLAIM_TIMEOUT its ten are taken over, once.
    Message.objects.filter(pk__in=other).update(
        claimed_at=timezone.now() - analyser.CLAIM_TIMEOUT - dt.timedelta(seconds=1)
    )
    assert analyse_loop(once=True) == 10
    analysed = Message.objects.exclude(analysed_at=None)
    assert analysed.count() == 70
    assert analysed.exclude(topic=None).count() == 70
    from crisisgov.opinion.models import HotspotBin

    assert sum(HotspotBin.objects.values_list("count", flat=True)) == 70  # counted once each


def test_the_analyser_command_drains_what_is_pending(city):
    from io import StringIO

    from django.core.management import call_command

    for text in ("江岸区停水了", "Long queues at the Jiang'an pharmacy", "Bonjour"):
        message_receive(channel="post", text=text)
    out = StringIO()
    call_command("opinion", "analyse", "--once", stdout=out)
    assert "analysed 3 messages" in out.getvalue()
    assert not Message.objects.filter(analysed_at=None).exists()


def test_the_database_finds_the_same_near_duplicates_as_the_in_memory_index(city):
    """The intake's band lookup (three bands probed within 2 bits) and analysis/text.py's
    NearDuplicateIndex agree on every message of a stream of posts and their edited copies."""
    from crisisgov.opinion import understanding as u
    from crisisgov.opinion.analysis.text import NearDuplicateIndex
    from crisisgov.opinion.dataset import load

    posts = [m.text for m in load.distractors()][:40]
    edited = [t[:-1] + "！" + t[-1] for t in posts[:20]] + [t + "🙏🙏" for t in posts[20:]]
    reference = NearDuplicateIndex()
    for text in posts + edited:
        message = message_receive(channel="post", text=text).message
        expected = reference.find(u.simhash(message.text))
        assert message.duplicate_of_id == expected, text
        if expected is None:
            reference.add(message.pk, u.simhash(message.text))
    assert Message.objects.exclude(duplicate_of=None).count() >= 30  # most copies are caught
