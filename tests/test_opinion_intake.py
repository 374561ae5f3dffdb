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
    assert PHONE in message.text_sealed  # kept whole, encrypted, for the handler
    assert message.topic_id is not None and message.sentiment in {"negative", "neutral", "positive"}
    assert len(message.embedding) > 0
    event = OutboxEvent.objects.get(topic="opinion.message_received")
    assert event.payload["message_id"] == message.pk
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
    message = Message.objects.get(pk=answer.json()["id"])
    assert message.language == "other"
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
    assert refused.status_code == 429 and refused.json()["detail"][0]["code"] == "rate_limited"
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
    assert unknown.status_code == 404
    assert Message.objects.count() == 0


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


def test_the_whole_text_is_read_by_the_handling_department_only_and_audited(
    city, make_user, actor_of
):
    from crisisgov.kernel.errors import NotFound
    from crisisgov.opinion.services import message_whole_read

    message = message_receive(
        channel="hotline", text=f"请回电 {PHONE}", area_code=city.district_a.code
    ).message
    officer = actor_of(make_user("department_officer", city.district_a))
    assert PHONE in message_whole_read(actor=officer, message_id=message.pk, purpose="call back")
    entry = AuditEntry.objects.get(action="opinion.message_whole_read")
    assert entry.fields_read == ["text_sealed"] and entry.purpose == "call back"
    for outsider in ("analyst", "commander"):
        with pytest.raises(NotFound):
            message_whole_read(
                actor=actor_of(make_user(outsider, city.city)), message_id=message.pk, purpose="x"
            )
    with pytest.raises(NotFound):
        message_whole_read(
            actor=actor_of(make_user("department_officer", city.district_b)),
            message_id=message.pk,
            purpose="x",
        )


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
