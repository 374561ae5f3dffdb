"""The surge edge in-process (Starlette's TestClient): the pass, bad input named, reservations,
status tokens, token verification as Django answers it, published documents with ETag/304.

On SQLite the edge works on the test's own connection; on PostgreSQL on its own psycopg
connections, and through Redis when REDIS_URL is set (the PostgreSQL leg)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.utils import timezone
from starlette.testclient import TestClient

from crisisgov.citizen import edge_pass
from tests.test_edge_support import (
    ITEM,
    ROOT,
    edge_config,
    edge_database,
    edge_pass_for,
    make_citizen,
    make_pharmacy,
    redis_clean,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def edge():
    from crisisgov.edge.app import create_app

    if settings.REDIS_URL:
        redis_clean(settings.REDIS_URL)
    app = create_app(edge_config(), edge_database())
    with TestClient(app) as client:
        yield client


def cookie(text: str) -> dict[str, str]:
    return {"Cookie": f"{edge_pass.COOKIE_NAME}={text}"}


def body(citizen, pharmacy, **changes) -> dict:
    return {
        "item": ITEM,
        "pharmacy_id": pharmacy.pk,
        "day": timezone.localdate().isoformat(),
        "id_number": citizen.national_id,
        "quantity": 1,
        "idempotency_key": f"reserve-{citizen.person.pk}-{pharmacy.pk}",
    } | changes


def stock_reserved(pharmacy) -> int:
    from crisisgov.citizen.reservations.models import PharmacyStock, Reservation

    if settings.REDIS_URL:  # written behind later: count what Redis holds
        import redis

        from crisisgov.citizen.reservations import store

        client = redis.Redis.from_url(settings.REDIS_URL)
        stock = client.hgetall(store.stock_key(ITEM, pharmacy.pk, timezone.localdate()))
        client.close()
        return int(stock[b"total"]) - int(stock[b"left"])
    stock = PharmacyStock.objects.get(pharmacy=pharmacy)
    assert stock.reserved == Reservation.objects.filter(pharmacy=pharmacy).count()
    return stock.reserved


def test_no_forged_or_expired_pass_gets_in(edge, city, make_user):
    citizen = make_citizen(make_user, city, 1)
    pharmacy = make_pharmacy(city, stock=5)
    good = edge_pass_for(citizen)
    forged_key = edge_pass.pass_issue(
        key=edge_pass.pass_key("another secret"),
        account_id=citizen.user.pk,
        residents=[(citizen.person.pk, citizen.id_index)],
        now=time.time(),
    )
    payload, signature = good.split(".")
    other = make_citizen(make_user, city, 2)
    # someone swaps their own resident into a genuine pass: the signature no longer matches
    tampered = edge_pass_for(other).split(".")[0] + "." + signature
    expired = edge_pass_for(citizen, now=time.time() - edge_pass.LIFETIME_SECONDS - 1)
    for headers, says in [
        ({}, "no edge pass"),
        (cookie(forged_key), "signature"),
        (cookie(tampered), "signature"),
        (cookie(expired), "expired"),
        ({"Authorization": f"Bearer {expired}"}, "expired"),
        (cookie("not-a-pass"), "malformed"),
    ]:
        answer = edge.post("/edge/reserve", json=body(citizen, pharmacy), headers=headers)
        assert answer.status_code == 401, headers
        assert says in answer.json()["detail"][0]["message"]
        assert edge.get("/edge/reservations/mine", headers=headers).status_code == 401
        assert edge.get("/edge/status/mine", headers=headers).status_code == 401
    assert stock_reserved(pharmacy) == 0
    # the genuine pass, in the cookie or as a bearer token, gets in
    answer = edge.post("/edge/reserve", json=body(citizen, pharmacy), headers=cookie(good))
    assert answer.status_code == 201, answer.json()


def test_someone_elses_id_number_is_refused_naming_it(edge, city, make_user):
    me, neighbour = make_citizen(make_user, city, 1), make_citizen(make_user, city, 2)
    pharmacy = make_pharmacy(city, stock=5)
    answer = edge.post(
        "/edge/reserve",
        json=body(me, pharmacy, id_number=neighbour.national_id),
        headers=cookie(edge_pass_for(me)),
    )
    assert answer.status_code == 403
    assert answer.json()["detail"][0]["field"] == "id_number"
    assert stock_reserved(pharmacy) == 0
    # acting for a resident the pass lists (a family member cared for) is allowed
    carer_pass = edge_pass_for(me, others=(neighbour,))
    answer = edge.post(
        "/edge/reserve",
        json=body(me, pharmacy, id_number=neighbour.national_id),
        headers=cookie(carer_pass),
    )
    assert answer.status_code == 201


def test_bad_fields_are_named_and_nothing_is_reserved(edge, city, make_user):
    citizen = make_citizen(make_user, city, 1)
    pharmacy = make_pharmacy(city, stock=5)
    headers = cookie(edge_pass_for(citizen))
    wrong_check_digit = citizen.national_id[:17] + ("0" if citizen.national_id[17] != "0" else "1")
    cases = [
        ({"item": "gold"}, "item"),
        ({"item": "<script>"}, "item"),
        ({"pharmacy_id": "7"}, "pharmacy_id"),
        ({"pharmacy_id": -3}, "pharmacy_id"),
        ({"day": "27/11/2026"}, "day"),
        ({"day": "2020-01-01"}, "day"),
        ({"quantity": -1}, "quantity"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": 10**9}, "quantity"),
        ({"quantity": 1.5}, "quantity"),
        ({"idempotency_key": "short"}, "idempotency_key"),
        ({"id_number": wrong_check_digit}, "id_number"),
        ({"id_number": 42}, "id_number"),
    ]
    for change, field in cases:
        answer = edge.post("/edge/reserve", json=body(citizen, pharmacy, **change), headers=headers)
        assert answer.status_code == 422, change
        assert answer.json()["detail"][0]["field"] == field, change
    assert (
        edge.post(
            "/edge/reserve",
            content=b"{not json",
            headers=headers | {"content-type": "application/json"},
        ).status_code
        == 422
    )
    # a form post (what a cross-site page could send without a preflight) is refused
    assert edge.post("/edge/reserve", data={"item": ITEM}, headers=headers).status_code == 415
    assert stock_reserved(pharmacy) == 0


def test_reservation_is_accepted_replayed_and_listed_as_mine(edge, city, make_user):
    citizen = make_citizen(make_user, city, 1)
    pharmacy = make_pharmacy(city, stock=3)
    headers = cookie(edge_pass_for(citizen))
    first = edge.post("/edge/reserve", json=body(citizen, pharmacy), headers=headers)
    assert first.status_code == 201
    accepted = first.json()
    assert (accepted["result"], accepted["remaining"], accepted["replayed"]) == (
        "accepted",
        2,
        False,
    )
    # the retry of a request whose answer was lost: the same reservation, not a second one
    again = edge.post("/edge/reserve", json=body(citizen, pharmacy), headers=headers)
    assert again.status_code == 200
    assert again.json() == accepted | {"result": "duplicate", "replayed": True}
    # the same key for another request: refused, naming the key
    reused = edge.post("/edge/reserve", json=body(citizen, pharmacy, quantity=2), headers=headers)
    assert reused.status_code in (409, 422)
    assert reused.json()["detail"][0]["field"] in ("idempotency_key", "quantity")
    # a second box within the week: the quota (one per 7 days) refuses it
    second = edge.post(
        "/edge/reserve",
        json=body(citizen, pharmacy, idempotency_key="key-second-1"),
        headers=headers,
    )
    assert second.status_code == 409
    assert second.json()["detail"][0] == {
        "code": "quota_exceeded",
        "field": "id_number",
        "message": "this person's quota for the period is used up",
    }
    mine = edge.get("/edge/reservations/mine", headers=headers)
    assert mine.status_code == 200
    assert mine.headers["cache-control"] == "no-store"
    [listed] = mine.json()["reservations"]
    assert (listed["id"], listed["code"], listed["person_id"]) == (
        accepted["reservation_id"],
        accepted["code"],
        citizen.person.pk,
    )
    assert listed["state"] == "reserved" and "person_key" not in listed
    assert stock_reserved(pharmacy) == 1


def test_sold_out_is_a_clear_conflict(edge, city, make_user):
    pharmacy = make_pharmacy(city, stock=1)
    first, second = make_citizen(make_user, city, 1), make_citizen(make_user, city, 2)
    assert (
        edge.post("/edge/reserve", json=body(first, pharmacy), headers=cookie(edge_pass_for(first)))
    ).status_code == 201
    answer = edge.post(
        "/edge/reserve", json=body(second, pharmacy), headers=cookie(edge_pass_for(second))
    )
    assert answer.status_code == 409
    assert answer.json()["detail"][0]["code"] == "sold_out"
    # no stock published for that day: not open
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    answer = edge.post(
        "/edge/reserve",
        json=body(second, pharmacy, day=tomorrow, idempotency_key="key-tomorrow"),
        headers=cookie(edge_pass_for(second)),
    )
    assert answer.status_code == 409
    assert answer.json()["detail"][0]["code"] == "not_open"


def test_overload_is_answered_at_once_with_retry_after(edge, city, make_user):
    citizen = make_citizen(make_user, city, 1)
    pharmacy = make_pharmacy(city, stock=3)
    state = edge.app.state.edge
    state.in_flight = state.config.max_in_flight  # every slot taken by requests in progress
    answer = edge.post(
        "/edge/reserve", json=body(citizen, pharmacy), headers=cookie(edge_pass_for(citizen))
    )
    assert answer.status_code == 429
    assert 1 <= int(answer.headers["retry-after"]) <= 3  # spread: not all back at once
    state.in_flight = 0
    assert stock_reserved(pharmacy) == 0
    answer = edge.post(
        "/edge/reserve", json=body(citizen, pharmacy), headers=cookie(edge_pass_for(citizen))
    )
    assert answer.status_code == 201


def test_a_burst_beyond_the_admission_limit_gets_429_and_nothing_else_changes(city, make_user):
    import asyncio

    import httpx2

    from crisisgov.edge.app import create_app

    if settings.REDIS_URL:
        redis_clean(settings.REDIS_URL)
    people = [make_citizen(make_user, city, n) for n in range(30)]
    pharmacy = make_pharmacy(city, stock=100)
    app = create_app(edge_config(max_in_flight=2), edge_database())

    async def burst() -> list:
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://edge") as client:
            return await asyncio.gather(
                *(
                    client.post(
                        "/edge/reserve", json=body(c, pharmacy), headers=cookie(edge_pass_for(c))
                    )
                    for c in people
                )
            )

    answers = asyncio.run(burst())
    statuses = [a.status_code for a in answers]
    assert set(statuses) == {201, 429}
    assert all(1 <= int(a.headers["retry-after"]) <= 3 for a in answers if a.status_code == 429)
    # the refused were not reserved: they may simply come back after Retry-After
    assert stock_reserved(pharmacy) == statuses.count(201)


def test_status_token_is_signed_for_the_pass_residents_only(edge, city, make_user, client):
    from crisisgov.citizen.models import HealthStatus

    me, mother, stranger = (make_citizen(make_user, city, n) for n in (1, 2, 3))
    now = timezone.now()
    for citizen, colour in ((me, "green"), (mother, "yellow"), (stranger, "red")):
        HealthStatus.objects.create(
            person=citizen.person,
            area_path=citizen.person.area_path,
            status=colour,
            rule_code="R1",
            ruleset_version="1",
            computed_at=now,
            valid_until=now + dt.timedelta(hours=2),
        )
    answer = edge.get("/edge/status/mine", headers=cookie(edge_pass_for(me, others=(mother,))))
    assert answer.status_code == 200
    residents = answer.json()["residents"]
    assert [(r["person_id"], r["status"]) for r in residents] == [
        (me.person.pk, "green"),
        (mother.person.pk, "yellow"),
    ]
    # each token verifies at Django's verify endpoint, saying the resident's colour
    for resident in residents:
        verified = client.post(
            "/citizen/verify", {"token": resident["token"]}, content_type="application/json"
        )
        assert verified.status_code == 200
        assert verified.json()["status"] == resident["status"]
    # a status past its validity gives no token
    HealthStatus.objects.filter(person=me.person).update(valid_until=now - dt.timedelta(minutes=1))
    [mine] = edge.get("/edge/status/mine", headers=cookie(edge_pass_for(me))).json()["residents"]
    assert (mine["status"], mine["token"]) == (None, None)


def test_verify_answers_as_django_does(edge, client):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from crisisgov.citizen import token_keys, tokens

    kid, key = token_keys.signing_keys()[0]
    now = timezone.now()
    good = tokens.token_issue(
        private_key=key, key_id=kid, status="green", valid_minutes=30, now=now
    )
    expired = tokens.token_issue(
        private_key=key, key_id=kid, status="red", valid_minutes=5, now=now - dt.timedelta(hours=1)
    )
    forged = tokens.token_issue(
        private_key=Ed25519PrivateKey.generate(),
        key_id=kid,
        status="green",
        valid_minutes=30,
        now=now,
    )
    foreign = tokens.token_issue(
        private_key=key, key_id="110000-x-1", status="green", valid_minutes=30, now=now
    )
    bodies = [
        {"token": good},
        {"token": expired},
        {"token": forged},
        {"token": foreign},
        {"token": "!!!"},
        {"token": 5},
        {},
    ]
    for request in bodies:
        django_answer = client.post("/citizen/verify", request, content_type="application/json")
        edge_answer = edge.post("/edge/verify", json=request)
        assert edge_answer.status_code == django_answer.status_code, request
        assert edge_answer.json() == django_answer.json(), request
        assert edge_answer.headers["cache-control"] == "no-store"
    assert edge.post("/edge/verify", json={"token": good}).json()["status"] == "green"
    assert edge.post("/edge/verify", json={"token": forged}).json()["reason"] == "bad_signature"


def test_published_documents_with_etag_and_304(edge, client):
    from crisisgov.citizen.publishing import document_publish

    etag = document_publish("risk-levels", {"areas": [{"code": "420102", "level": "high"}]})
    answer = edge.get("/edge/published/risk-levels.json")
    assert answer.status_code == 200
    assert answer.json() == {"areas": [{"code": "420102", "level": "high"}]}
    assert answer.headers["etag"] == f'"{etag}"'
    assert answer.headers["cache-control"] == "public, max-age=30"
    # the same bytes and validators as Django's page for the same document
    django_answer = client.get("/citizen/published/risk-levels.json")
    assert django_answer.content == answer.content
    assert django_answer["ETag"] == answer.headers["etag"]
    again = edge.get("/edge/published/risk-levels.json", headers={"If-None-Match": f'"{etag}"'})
    assert again.status_code == 304 and again.content == b""
    assert edge.get("/edge/published/nothing-here.json").status_code == 404
    assert edge.get("/edge/published/..%2fsecret.json").status_code == 404


def test_the_pass_endpoint_sets_a_strict_cookie_for_the_edge(client, city, make_user):
    citizen = make_citizen(make_user, city, 1)
    assert client.get("/citizen/edge-pass").status_code == 401
    client.force_login(citizen.user)
    answer = client.get("/citizen/edge-pass")
    assert answer.status_code == 200
    morsel = answer.cookies[edge_pass.COOKIE_NAME]
    assert morsel["path"] == "/edge/"
    assert morsel["httponly"] and morsel["samesite"] == "Strict"
    assert int(morsel["max-age"]) == edge_pass.LIFETIME_SECONDS
    holder = edge_pass.pass_verify(
        morsel.value, key=edge_pass.pass_key(settings.SECRET_KEY), now=time.time()
    )
    assert holder.account_id == citizen.user.pk
    assert holder.residents == ((citizen.person.pk, citizen.id_index),)
    # the pass names no one in plain text
    assert citizen.national_id not in json.dumps(morsel.value)


def test_the_edge_runs_without_django():
    from crisisgov.citizen.publishing import REDIS_KEY
    from crisisgov.config.env import DEV_SECRET_KEY
    from crisisgov.edge import app
    from crisisgov.kernel import pii
    from crisisgov.kernel.fields import blind_index_of_kind

    # the few names the edge spells out itself are the Django side's
    assert edge_pass.DEV_SECRET_KEY == DEV_SECRET_KEY
    assert app.REDIS_DOC_KEY == REDIS_KEY
    number = "11010519491231002X"
    assert pii.blind_index(number, context=app.BLIND_INDEX_CONTEXT) == blind_index_of_kind(
        "national_id", number
    )
    code = (
        "import sys, crisisgov.edge.app as a; a.create_app(a.read_config());"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    )
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "CRISISGOV_VAR_DIR": str(settings.VAR_DIR)},
    )
    assert out.stdout.strip() == "[]"


def test_only_the_pages_own_origin_may_call_the_edge_across_origins(city, make_user):
    """The demo serves the pages on :8000 and the edge on :8001: the pages' origin gets CORS
    with credentials (and may read Retry-After), any other site gets no CORS at all."""
    from crisisgov.edge.app import create_app

    pages = "http://127.0.0.1:8000"
    app = create_app(edge_config(allowed_origins=(pages,)), edge_database())
    preflight = {"Access-Control-Request-Method": "POST"}
    preflight["Access-Control-Request-Headers"] = "content-type"
    with TestClient(app) as edge:
        ours = edge.options("/edge/reserve", headers={"Origin": pages} | preflight)
        assert ours.status_code == 200
        assert ours.headers["access-control-allow-origin"] == pages
        assert ours.headers["access-control-allow-credentials"] == "true"
        evil = {"Origin": "https://evil.example"}
        theirs = edge.options("/edge/reserve", headers=evil | preflight)
        assert "access-control-allow-origin" not in theirs.headers

        state = app.state.edge
        state.in_flight = state.config.max_in_flight
        busy = edge.post("/edge/reserve", json={}, headers={"Origin": pages})
        assert busy.status_code == 429
        assert busy.headers["access-control-allow-origin"] == pages
        assert "retry-after" in busy.headers["access-control-expose-headers"].lower()


def test_a_wrong_allowed_origin_is_named():
    from crisisgov.edge.config import read_config

    with pytest.raises(ValueError, match="CRISISGOV_EDGE_ALLOWED_ORIGINS"):
        read_config({"CRISISGOV_EDGE_ALLOWED_ORIGINS": "127.0.0.1:8000/pages"})


@pytest.mark.skipif(not settings.REDIS_URL, reason="REDIS_URL is not set")
def test_concurrent_reservations_are_batched_and_each_gets_its_own_answer(city, make_user):
    """The edge sends the script calls of concurrent requests as one pipeline: 30 citizens at
    once for 20 masks get 20 pickup codes and 10 sold-outs, and a replay its first answer."""
    import asyncio

    import httpx2 as httpx

    from crisisgov.edge.app import create_app

    redis_clean(settings.REDIS_URL)
    citizens = [make_citizen(make_user, city, n) for n in range(30)]
    pharmacy = make_pharmacy(city, stock=20)
    app = create_app(edge_config(), edge_database())
    coalescer = app.state.edge.reservations.coalescer
    batches: list[int] = []
    send = coalescer._send

    async def counting(batch):
        batches.append(len(batch))
        await send(batch)

    coalescer._send = counting

    async def everyone() -> list:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://edge") as edge:
            calls = [
                edge.post("/edge/reserve", json=body(c, pharmacy), headers=cookie(edge_pass_for(c)))
                for c in citizens
            ]
            answers = await asyncio.gather(*calls)
            again = await edge.post(
                "/edge/reserve",
                json=body(citizens[0], pharmacy),
                headers=cookie(edge_pass_for(citizens[0])),
            )
            await app.state.edge.close()
            return [*answers, again]

    *answers, again = asyncio.run(everyone())
    assert sum(batches) == 31 and max(batches) > 1  # fewer round trips than requests
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] * 20 + [409] * 10
    codes = {a.json()["code"] for a in answers if a.status_code == 201}
    assert len(codes) == 20
    assert {a.json()["detail"][0]["code"] for a in answers if a.status_code == 409} == {"sold_out"}
    first = answers[0].json()
    assert again.status_code == (200 if answers[0].status_code == 201 else 409)
    if answers[0].status_code == 201:
        assert again.json()["code"] == first["code"] and again.json()["replayed"] is True
