"""The public health-token endpoints: published keys and verification, for scanners."""

import json
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.test import Client
from django.utils import timezone

from crisisgov.citizen import token_keys, tokens

NEW = tokens.new_signing_key("990100-2026-2")
OLD = tokens.new_signing_key("990100-2026-1")


@pytest.fixture(autouse=True)
def two_keys(settings):
    settings.CITIZEN_TOKEN_KEYS = f"{NEW},{OLD}"


def issue(*, key_number=0, status="green", minutes=60, now=None) -> str:
    kid, key = token_keys.signing_keys()[key_number]
    return tokens.token_issue(
        private_key=key,
        key_id=kid,
        status=status,
        valid_minutes=minutes,
        now=now or timezone.now(),
    )


def post_verify(body) -> tuple[int, dict]:
    response = Client().post(
        "/citizen/verify", data=json.dumps(body), content_type="application/json"
    )
    assert response["Cache-Control"] == "no-store"
    return response.status_code, response.json()


def test_keys_json_publishes_every_listed_key_and_may_be_cached():
    response = Client().get("/citizen/keys.json")
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=300"
    assert "Cookie" not in response.get("Vary", "")  # one answer for every caller
    document = response.json()
    assert [entry["kid"] for entry in document["keys"]] == ["990100-2026-2", "990100-2026-1"]
    assert all("d" not in entry for entry in document["keys"])
    assert tokens.jwks_parse(document).keys() == token_keys.public_keys().keys()


def test_a_scanner_verifies_offline_against_the_published_keys():
    keys = tokens.jwks_parse(Client().get("/citizen/keys.json").json())
    claims = tokens.token_verify(issue(status="red"), keys=keys, now=timezone.now())
    assert (claims.status, claims.issuer_region) == ("red", "990100")


def test_verify_answers_status_window_and_issuer_and_nothing_more():
    now = timezone.now()
    status, body = post_verify({"token": issue(status="yellow", minutes=30, now=now)})
    assert status == 200
    minute = now.replace(second=0, microsecond=0) + timedelta(minutes=30)
    assert body == {
        "status": "yellow",
        "valid_until": minute.isoformat().replace("+00:00", "Z"),
        "issuer": "990100",
    }


def test_a_token_under_the_older_key_still_verifies():
    status, body = post_verify({"token": issue(key_number=1)})
    assert (status, body["status"]) == (200, "green")


def test_an_expired_token_is_refused_with_the_reason():
    status, body = post_verify({"token": issue(now=timezone.now() - timedelta(hours=2))})
    assert (status, body["reason"]) == (422, "expired")


def test_a_forged_token_is_refused_as_a_bad_signature():
    forged = tokens.token_issue(
        private_key=Ed25519PrivateKey.generate(),
        key_id="990100-2026-2",
        status="green",
        valid_minutes=60,
        now=timezone.now(),
    )
    status, body = post_verify({"token": forged})
    assert (status, body["reason"]) == (422, "bad_signature")


def test_an_unregistered_foreign_issuer_is_refused():
    foreign = tokens.token_issue(
        private_key=Ed25519PrivateKey.generate(),
        key_id="440300-2026-1",
        status="green",
        valid_minutes=60,
        now=timezone.now(),
    )
    status, body = post_verify({"token": foreign})
    assert (status, body["reason"]) == (422, "unknown_issuer")
    assert "440300" in body["detail"]


def test_garbage_is_malformed_and_a_wrong_body_is_a_bad_request():
    status, body = post_verify({"token": "not a token"})
    assert (status, body["reason"]) == (422, "malformed")
    for body in ({}, {"token": 5}, ["token"]):
        assert post_verify(body)[0] == 400
    response = Client().post("/citizen/verify", data="{", content_type="application/json")
    assert response.status_code == 400


def test_verify_is_post_only_and_needs_no_csrf_token():
    assert Client().get("/citizen/verify").status_code == 405
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/citizen/verify",
        data=json.dumps({"token": issue()}),
        content_type="application/json",
    )
    assert response.status_code == 200


def test_the_development_key_file_is_created_once_and_reused(settings, tmp_path):
    settings.CITIZEN_TOKEN_KEYS = ""
    settings.CITIZEN_TOKEN_DEV_KEY_FILE = str(tmp_path / "dev-keys.txt")
    ((kid, key),) = token_keys.signing_keys()
    assert kid == token_keys.DEV_KEY_ID
    assert (tmp_path / "dev-keys.txt").stat().st_mode & 0o777 == 0o600
    token_keys._load.cache_clear()
    ((_, again),) = token_keys.signing_keys()
    assert again.public_key() == key.public_key()


def test_without_keys_or_a_dev_file_nothing_is_signed(settings):
    settings.CITIZEN_TOKEN_KEYS = ""
    settings.CITIZEN_TOKEN_DEV_KEY_FILE = ""
    with pytest.raises(tokens.TokenKeyError, match="CRISISGOV_CITIZEN_TOKEN_KEYS"):
        token_keys.signing_keys()
