"""Push subscriptions against a real HTTP receiver started by the test: signed pages of exactly
the agreed fields, retries with backoff, dead letters and replay, nothing for a revoked or
expired agreement, one audit entry per delivered page."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client
from django.utils import timezone

from crisisgov.directory.tests.factories import OrganisationFactory
from crisisgov.exchange import agreements, subscriptions
from crisisgov.exchange.models import RecordChange, Subscription, WebhookDelivery
from crisisgov.exchange.subscriptions import (
    subscription_create,
    webhook_replay,
    webhook_send_due,
)
from crisisgov.kernel.errors import Conflict, DomainError, NotFound
from crisisgov.kernel.models import AuditEntry
from crisisgov.kernel.outbox import outbox_deliver_due
from tests.exchange_data import case_row, csv_bytes, run

AGREED = ["report_id", "case_type", "name", "phone"]


class Receiver:
    """What the consumer's server got, and the status codes it is told to answer with."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.answers: list[int] = []  # consumed in order; 200 once empty
        self.url = ""

    @property
    def bodies(self) -> list[dict]:
        return [json.loads(body) for _, body in self.received]


@pytest.fixture
def receiver():
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(state.answers.pop(0) if state.answers else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}/hooks/crisisgov"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def shared(city, dataset, make_user, actor_of, settings):
    """An approved relief agreement of a city consumer on district A's case reports."""
    from crisisgov.directory.models import Organisation

    settings.WEBHOOK_ALLOW_LOOPBACK_HTTP = True
    owner = Organisation.objects.get(pk=dataset.owner_id)
    consumer_org = OrganisationFactory(area=city.city, department_type="civil_affairs")
    consumer_user = make_user("department_officer", city.city, consumer_org)
    parties = {
        "owner": actor_of(make_user("department_officer", city.district_a, owner)),
        "consumer": actor_of(consumer_user),
        "consumer_user": consumer_user,
        "stranger": actor_of(make_user("department_officer", city.district_b)),
    }
    agreement = agreements.agreement_request(
        actor=parties["consumer"],
        dataset_id=dataset.pk,
        consumer_id=consumer_org.pk,
        fields=AGREED,
        purpose="relief",
        legal_basis="《突发事件应对法》第五十六条",
        area_id=city.district_a.id,
        valid_until=timezone.now() + dt.timedelta(days=30),
    )
    agreements.agreement_decide(actor=parties["owner"], agreement_id=agreement.pk, approve=True)
    parties["agreement"] = agreement
    return parties


def import_cases(dataset, city, numbers) -> None:
    """Import case reports, then let the outbox run its handlers (the worker's sweep)."""
    run(dataset, csv_bytes([case_row(n, city) for n in numbers]))
    outbox_deliver_due()


def time_travel() -> None:
    """Make every pending retry due now."""
    WebhookDelivery.objects.filter(status="pending").update(
        next_attempt_at=timezone.now() - dt.timedelta(seconds=1)
    )


def shared_reads() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="exchange.shared_read").order_by("seq"))


def test_a_page_is_pushed_signed_with_exactly_the_agreed_fields(city, dataset, shared, receiver):
    created = subscription_create(
        actor=shared["consumer"], agreement_id=shared["agreement"].pk, url=receiver.url
    )
    assert created.subscription.cursor == 0
    import_cases(dataset, city, range(1, 6))
    assert webhook_send_due() == 1

    [(headers, raw)] = receiver.received
    expected = hmac.new(created.secret.encode(), raw, hashlib.sha256).hexdigest()
    assert headers["x-crisisgov-signature"] == f"sha256={expected}"
    assert not hmac.compare_digest(  # a different key does not verify
        headers["x-crisisgov-signature"],
        "sha256=" + hmac.new(b"another secret", raw, hashlib.sha256).hexdigest(),
    )
    delivery = WebhookDelivery.objects.get()
    assert headers["x-crisisgov-delivery"] == str(delivery.pk)
    body = json.loads(raw)
    assert body["timestamp"] == headers["x-crisisgov-timestamp"]
    assert (body["delivery"], body["agreement"], body["purpose"]) == (
        delivery.pk,
        shared["agreement"].pk,
        "relief",
    )
    assert [i["record"]["report_id"] for i in body["items"]] == [f"R00000{n}" for n in range(1, 6)]
    for item in body["items"]:  # field by field: nothing but what was agreed
        assert sorted(item["record"]) == sorted(AGREED)
        assert set(item) == {"change", "kind", "record"}
    assert body["items"][0]["record"]["name"] == "病例1"

    last = RecordChange.objects.order_by("-id").values_list("id", flat=True).first()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert Subscription.objects.get().cursor == last == body["last_change"]
    [entry] = shared_reads()
    assert (entry.actor_username, entry.purpose, entry.fields_read) == (
        shared["consumer_user"].username,
        "relief",
        sorted(AGREED),
    )
    assert entry.detail | {"after": None} == {
        "dataset_id": dataset.pk,
        "records": 5,
        "after": None,
        "channel": "webhook",
        "delivery": delivery.pk,
    }
    # The delivery row keeps the range, not the records.
    assert "病例" not in json.dumps(list(WebhookDelivery.objects.values()), default=str)
    assert webhook_send_due() == 0 and len(receiver.received) == 1


def test_an_import_is_cut_into_pages_each_audited_once(
    city, dataset, shared, receiver, monkeypatch
):
    monkeypatch.setattr(subscriptions, "PAGE_SIZE", 2)
    subscription_create(
        actor=shared["consumer"], agreement_id=shared["agreement"].pk, url=receiver.url
    )
    import_cases(dataset, city, range(1, 6))
    outbox_deliver_due()  # a second sweep: the event's deliveries are not made twice
    assert WebhookDelivery.objects.count() == 3
    assert webhook_send_due() == 3
    pages = [[i["record"]["report_id"] for i in body["items"]] for body in receiver.bodies]
    assert pages == [["R000001", "R000002"], ["R000003", "R000004"], ["R000005"]]
    assert [e.detail["records"] for e in shared_reads()] == [2, 2, 1]


def test_a_failing_receiver_is_retried_with_backoff_and_served_once(
    city, dataset, shared, receiver
):
    subscription_create(
        actor=shared["consumer"], agreement_id=shared["agreement"].pk, url=receiver.url
    )
    import_cases(dataset, city, range(1, 4))
    receiver.answers = [500, 500]

    waits = []
    for attempt in (1, 2):
        before = timezone.now()
        assert webhook_send_due() == 1
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
            "pending",
            attempt,
            500,
        )
        assert delivery.last_error == "HTTP 500 Internal Server Error"
        waits.append(delivery.next_attempt_at - before)
        assert webhook_send_due() == 0  # not due yet: nothing is sent
        assert len(receiver.received) == attempt
        time_travel()
    assert [round(w.total_seconds() / 60) for w in waits] == [1, 2]
    assert Subscription.objects.get().cursor == 0  # nothing delivered yet
    assert shared_reads() == []

    assert webhook_send_due() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 3, 200)
    assert len({h["x-crisisgov-delivery"] for h, _ in receiver.received}) == 1
    assert Subscription.objects.get().cursor == delivery.last_change
    assert len(shared_reads()) == 1
    time_travel()
    assert webhook_send_due() == 0 and len(receiver.received) == 3


def test_backoff_doubles_from_a_minute_up_to_an_hour():
    assert [subscriptions.backoff(n).total_seconds() / 60 for n in range(1, 10)] == [
        1,
        2,
        4,
        8,
        16,
        32,
        60,
        60,
        60,
    ]


def test_eight_failures_make_a_dead_letter_that_the_consumer_replays(
    city, dataset, shared, receiver
):
    created = subscription_create(
        actor=shared["consumer"], agreement_id=shared["agreement"].pk, url=receiver.url
    )
    import_cases(dataset, city, range(1, 3))
    receiver.answers = [503] * 8
    for _ in range(8):
        assert webhook_send_due() == 1
        time_travel()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("dead", 8)
    assert webhook_send_due() == 0 and len(receiver.received) == 8
    sub_id = created.subscription.pk
    assert subscriptions.webhook_dead_letters(actor=shared["consumer"], subscription_id=sub_id) == [
        delivery
    ]
    assert shared_reads() == []

    for outsider in (shared["stranger"], shared["owner"]):
        with pytest.raises(NotFound):
            webhook_replay(actor=outsider, delivery_id=delivery.pk)
        with pytest.raises(NotFound):
            subscriptions.webhook_dead_letters(actor=outsider, subscription_id=sub_id)
    webhook_replay(actor=shared["consumer"], delivery_id=delivery.pk)
    with pytest.raises(Conflict):  # pending now: nothing to replay
        webhook_replay(actor=shared["consumer"], delivery_id=delivery.pk)
    assert webhook_send_due() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 1)
    assert (
        subscriptions.webhook_dead_letters(actor=shared["consumer"], subscription_id=sub_id) == []
    )
    assert Subscription.objects.get().cursor == delivery.last_change
    assert len(shared_reads()) == 1
    assert AuditEntry.objects.filter(action="exchange.webhook_replayed").count() == 1


@pytest.mark.parametrize("ending", ["revoked", "expired"])
def test_a_revoked_or_expired_agreement_gets_nothing(city, dataset, shared, receiver, ending):
    agreement = shared["agreement"]
    subscription_create(actor=shared["consumer"], agreement_id=agreement.pk, url=receiver.url)
    import_cases(dataset, city, [1])  # owed, but not sent before the agreement ends
    assert WebhookDelivery.objects.count() == 1
    if ending == "revoked":
        agreements.agreement_revoke(actor=shared["owner"], agreement_id=agreement.pk, reason="止")
    else:
        type(agreement).objects.filter(pk=agreement.pk).update(
            valid_until=timezone.now() - dt.timedelta(seconds=1)
        )
    import_cases(dataset, city, [2, 3])
    assert WebhookDelivery.objects.count() == 1  # nothing more is owed
    assert webhook_send_due() == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "dead" and ending in delivery.last_error
    assert receiver.received == [] and shared_reads() == []
    webhook_replay(actor=shared["consumer"], delivery_id=delivery.pk)
    webhook_send_due()  # a replay is checked against the agreement again
    assert receiver.received == [] and shared_reads() == []
    with pytest.raises(Conflict):
        subscription_create(actor=shared["consumer"], agreement_id=agreement.pk, url=receiver.url)


def test_a_subscription_starts_after_what_exists_and_only_consumers_subscribe(
    city, dataset, shared, receiver
):
    import_cases(dataset, city, range(1, 4))
    created = subscription_create(
        actor=shared["consumer"], agreement_id=shared["agreement"].pk, url=receiver.url
    )
    assert created.subscription.cursor == RecordChange.objects.order_by("-id").first().id
    assert webhook_send_due() == 0  # the history is read through the pull feed
    for outsider in (shared["stranger"], shared["owner"]):
        with pytest.raises(NotFound):
            subscription_create(
                actor=outsider, agreement_id=shared["agreement"].pk, url=receiver.url
            )
    assert Subscription.objects.count() == 1
    assert AuditEntry.objects.filter(action="exchange.subscription_created").count() == 1


@pytest.mark.parametrize(
    ("url", "allow_http"),
    [
        ("http://127.0.0.1:9/hook", False),  # loopback http outside development
        ("http://consumer.example.org/hook", True),  # plain http across a network
        ("ftp://consumer.example.org/hook", True),
        ("file:///etc/passwd", True),
        ("https://user:pw@consumer.example.org/hook", True),
        ("not a url", True),
    ],
)
def test_an_unsafe_address_is_refused(city, dataset, shared, settings, url, allow_http):
    settings.WEBHOOK_ALLOW_LOOPBACK_HTTP = allow_http
    with pytest.raises(DomainError) as error:
        subscription_create(actor=shared["consumer"], agreement_id=shared["agreement"].pk, url=url)
    assert error.value.field == "url"
    assert Subscription.objects.count() == 0


def test_https_is_accepted_and_the_secret_is_stored_encrypted(city, dataset, shared):
    from django.db import connection

    created = subscription_create(
        actor=shared["consumer"],
        agreement_id=shared["agreement"].pk,
        url="https://hooks.consumer.example.org/crisisgov",
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM exchange_subscription")
        [(stored,)] = cursor.fetchall()
    assert created.secret not in stored and stored.startswith("pii1:")
    assert Subscription.objects.get().secret == created.secret


def test_over_the_api_the_secret_is_shown_once_and_dead_letters_replay(
    city, dataset, shared, receiver
):
    consumer = Client()
    consumer.force_login(shared["consumer_user"])
    agreement_id = shared["agreement"].pk
    response = consumer.post(
        f"/api/exchange/agreements/{agreement_id}/subscriptions",
        {"url": receiver.url},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    answer = response.json()
    assert answer["secret"] == Subscription.objects.get().secret and answer["cursor"] == 0
    refused = consumer.post(
        f"/api/exchange/agreements/{agreement_id}/subscriptions",
        {"url": "http://consumer.example.org/"},
        content_type="application/json",
    )
    assert refused.status_code == 400 and refused.json()["detail"][0]["field"] == "url"

    import_cases(dataset, city, [1])
    receiver.answers = [500] * 8
    for _ in range(8):
        webhook_send_due()
        time_travel()
    letters = consumer.get(f"/api/exchange/subscriptions/{answer['id']}/dead-letters").json()
    assert [(d["status"], d["attempts"], d["last_status_code"]) for d in letters] == [
        ("dead", 8, 500)
    ]
    assert "secret" not in letters[0]
    replayed = consumer.post(f"/api/exchange/deliveries/{letters[0]['id']}/replay")
    assert replayed.status_code == 200 and replayed.json()["status"] == "pending"
    webhook_send_due()
    assert consumer.get(f"/api/exchange/subscriptions/{answer['id']}/dead-letters").json() == []
    [(headers, raw)] = receiver.received[-1:]
    expected = hmac.new(answer["secret"].encode(), raw, hashlib.sha256).hexdigest()
    assert headers["x-crisisgov-signature"] == f"sha256={expected}"


def test_an_unreachable_receiver_or_our_own_error_counts_as_a_failed_attempt(
    city, dataset, shared, receiver, monkeypatch
):
    subscription_create(
        actor=shared["consumer"], agreement_id=shared["agreement"].pk, url=receiver.url
    )
    import_cases(dataset, city, [1])
    Subscription.objects.update(url="http://127.0.0.1:1/nobody-listens")
    assert webhook_send_due() == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, None)
    assert delivery.last_error.startswith("URLError")

    def broken(*args, **kwargs):
        raise ValueError("cannot build the page for 13912345678")

    monkeypatch.setattr(subscriptions, "feed_page", broken)
    time_travel()
    assert webhook_send_due() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 2)
    assert "13912345678" not in delivery.last_error and delivery.last_error.startswith("ValueError")
    assert receiver.received == [] and shared_reads() == []


def test_the_worker_carries_an_import_to_the_receiver(
    city, dataset, shared, receiver, django_capture_on_commit_callbacks
):
    """End to end: the import's outbox event, its handler and the sending all run as tasks of
    `crisisgov worker`; the test only lets commits happen (their on-commit enqueues)."""
    from django.core.management import call_command

    def worker_once() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            call_command("worker", "--once", stdout=io.StringIO())

    subscription_create(
        actor=shared["consumer"], agreement_id=shared["agreement"].pk, url=receiver.url
    )
    with django_capture_on_commit_callbacks(execute=True):
        run(dataset, csv_bytes([case_row(n, city) for n in (1, 2)]))
    assert receiver.received == []
    # One round delivers the outbox event (the handler owes the subscriber a page) and its
    # sweep sends what is due; a second round finds nothing more to send.
    worker_once()
    worker_once()
    assert [[i["record"]["report_id"] for i in b["items"]] for b in receiver.bodies] == [
        ["R000001", "R000002"]
    ]
    assert WebhookDelivery.objects.get().status == "delivered"
    assert len(shared_reads()) == 1


def test_crisisgov_exchange_deliver_sends_what_is_due(city, dataset, shared, receiver):
    from django.core.management import call_command

    subscription_create(
        actor=shared["consumer"], agreement_id=shared["agreement"].pk, url=receiver.url
    )
    import_cases(dataset, city, [1])
    out = io.StringIO()
    call_command("exchange", "deliver", stdout=out)
    assert out.getvalue() == "attempted 1 webhook deliveries\n"
    assert len(receiver.received) == 1


def test_a_statistics_subscriber_gets_pseudonyms_and_no_personal_fields(
    city, dataset, shared, receiver
):
    agreement = agreements.agreement_request(
        actor=shared["consumer"],
        dataset_id=dataset.pk,
        consumer_id=shared["agreement"].consumer_id,
        fields=["case_type", "age"],
        purpose="statistics",
        legal_basis="《统计法》第七条",
        area_id=city.district_a.id,
        valid_until=timezone.now() + dt.timedelta(days=30),
    )
    agreements.agreement_decide(actor=shared["owner"], agreement_id=agreement.pk, approve=True)
    subscription_create(actor=shared["consumer"], agreement_id=agreement.pk, url=receiver.url)
    import_cases(dataset, city, range(1, 4))
    webhook_send_due()
    [body] = receiver.bodies
    assert body["purpose"] == "statistics"
    assert [sorted(i["record"]) for i in body["items"]] == [["age", "case_type"]] * 3
    assert len({i["subject"] for i in body["items"]}) == 3
    pulled = agreements.agreement_feed(actor=shared["consumer"], agreement_id=agreement.pk)
    assert [i["subject"] for i in pulled.items] == [i["subject"] for i in body["items"]]


def test_the_consumer_lists_rotates_and_stops_a_subscription(city, dataset, shared, receiver):
    client = Client()
    client.force_login(shared["consumer_user"])
    created = client.post(
        f"/api/exchange/agreements/{shared['agreement'].pk}/subscriptions",
        {"url": receiver.url},
        content_type="application/json",
    ).json()
    listed = client.get("/api/exchange/subscriptions").json()
    assert [(s["id"], s["active"]) for s in listed] == [(created["id"], True)]
    assert "secret" not in listed[0]  # shown once, at creation or rotation only

    rotated = client.post(f"/api/exchange/subscriptions/{created['id']}/secret").json()
    assert rotated["secret"] != created["secret"]
    import_cases(dataset, city, [1])
    webhook_send_due()
    [(headers, raw)] = receiver.received
    signed_with = hmac.new(rotated["secret"].encode(), raw, hashlib.sha256).hexdigest()
    assert headers["x-crisisgov-signature"] == f"sha256={signed_with}"

    stopped = client.post(f"/api/exchange/subscriptions/{created['id']}/deactivate").json()
    assert stopped["active"] is False
    import_cases(dataset, city, [2])
    webhook_send_due()
    assert len(receiver.received) == 1  # nothing pushed after the stop
    again = client.post(f"/api/exchange/subscriptions/{created['id']}/secret")
    assert again.status_code == 409
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"exchange.subscription_secret_rotated", "exchange.subscription_deactivated"} <= actions


def test_no_one_else_manages_a_subscription(city, dataset, shared, receiver, make_user):
    created = subscription_create(
        actor=shared["consumer"], agreement_id=shared["agreement"].pk, url=receiver.url
    )
    client = Client()
    client.force_login(make_user("department_officer", city.district_b))
    sub = created.subscription.pk
    assert client.get("/api/exchange/subscriptions").json() == []
    assert client.post(f"/api/exchange/subscriptions/{sub}/deactivate").status_code == 404
    assert client.post(f"/api/exchange/subscriptions/{sub}/secret").status_code == 404
    assert Subscription.objects.get(pk=sub).active
