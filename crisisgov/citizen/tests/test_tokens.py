"""Health-status tokens: signing, offline verification, published keys, mutual recognition."""

import base64
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed448 import Ed448PrivateKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crisisgov.citizen import tokens
from crisisgov.citizen.tokens import Reason, TokenKeyError, TokenRefused

NOW = datetime(2026, 11, 27, 9, 30, 0, tzinfo=UTC)
SKEW = timedelta(minutes=2)
OUR_KID = "990100-2026-1"
FOREIGN_KID = "440300-2026-1"

OUR_KEY = Ed25519PrivateKey.generate()
FOREIGN_KEY = Ed25519PrivateKey.generate()
OUR_KEYS = {OUR_KID: OUR_KEY.public_key()}


def issue(*, key=OUR_KEY, kid=OUR_KID, status="green", minutes=60, now=NOW) -> str:
    return tokens.token_issue(
        private_key=key, key_id=kid, status=status, valid_minutes=minutes, now=now
    )


def verify(token: str, *, keys=OUR_KEYS, now=NOW) -> tokens.TokenClaims:
    return tokens.token_verify(token, keys=keys, now=now, max_clock_skew=SKEW)


def refusal(token: str, **kwargs) -> Reason:
    with pytest.raises(TokenRefused) as refused:
        verify(token, **kwargs)
    return refused.value.reason


def raw(token: str) -> bytearray:
    return bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))


def encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(bytes(data)).decode().rstrip("=")


def test_round_trip_gives_back_every_claim():
    claims = verify(issue(status="yellow", minutes=90))
    assert (claims.status, claims.valid_minutes, claims.key_id) == ("yellow", 90, OUR_KID)
    assert claims.issued_at == NOW
    assert claims.valid_until == NOW + timedelta(minutes=90)
    assert claims.issuer_region == "990100"
    assert len(claims.pseudonym) == 16


def test_the_token_is_136_base64url_characters_without_padding():
    token = issue()
    assert len(token) == 136  # 102 bytes: a version 7 QR code at error correction L
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_each_token_gets_a_fresh_pseudonym():
    assert verify(issue()).pseudonym != verify(issue()).pseudonym


def test_the_token_carries_only_the_listed_fields():
    data = raw(issue(status="red", minutes=45))
    version, status, minute, minutes, kid_length = tokens.HEADER.unpack_from(data)
    assert (version, status, minute, minutes) == (1, 3, int(NOW.timestamp()) // 60, 45)
    kid_end = tokens.HEADER.size + kid_length
    assert bytes(data[tokens.HEADER.size : kid_end]) == OUR_KID.encode()
    # What is left is the 16-byte pseudonym and the 64-byte signature: room for nothing else.
    assert len(data) - kid_end == 16 + 64


@pytest.mark.parametrize(
    ("position", "reason"),
    [
        (1, Reason.BAD_SIGNATURE),  # status
        (3, Reason.BAD_SIGNATURE),  # issued-at minute
        (7, Reason.BAD_SIGNATURE),  # validity minutes
        (8, Reason.MALFORMED),  # key id length: the layout no longer adds up
        (9, Reason.UNKNOWN_ISSUER),  # key id: names a key nobody published
        (30, Reason.BAD_SIGNATURE),  # pseudonym
        (-1, Reason.BAD_SIGNATURE),  # signature
    ],
)
def test_a_changed_byte_is_refused(position, reason):
    data = raw(issue())
    data[position] ^= 0x01
    assert refusal(encode(data)) == reason


def test_a_token_signed_by_another_key_under_our_kid_is_a_bad_signature():
    assert refusal(issue(key=Ed25519PrivateKey.generate())) == Reason.BAD_SIGNATURE


def test_a_key_id_we_do_not_know_is_an_unknown_issuer():
    with pytest.raises(TokenRefused) as refused:
        verify(issue(kid="990100-2025-9"))
    assert refused.value.reason == Reason.UNKNOWN_ISSUER
    assert "region 990100" in str(refused.value)


@pytest.mark.parametrize("token", ["", "!!!!", "AQ", "a" * 401, "AQIDBA"])
def test_garbage_is_malformed(token):
    assert refusal(token) == Reason.MALFORMED


def test_a_truncated_or_extended_token_is_malformed():
    data = raw(issue())
    assert refusal(encode(data[:-1])) == Reason.MALFORMED
    assert refusal(encode(data + b"\x00")) == Reason.MALFORMED


def test_another_version_is_refused_as_unknown_version():
    data = raw(issue())
    data[0] = 2
    assert refusal(encode(data)) == Reason.UNKNOWN_VERSION


def test_expired_at_the_end_of_the_window_plus_skew():
    token = issue(minutes=60)
    end = NOW + timedelta(minutes=60)
    assert verify(token, now=end + SKEW - timedelta(seconds=1)).status == "green"
    with pytest.raises(TokenRefused) as refused:
        verify(token, now=end + SKEW)
    assert refused.value.reason == Reason.EXPIRED
    assert "2026-11-27T10:30:00+00:00" in str(refused.value)


def test_not_yet_valid_beyond_the_skew():
    token = issue()
    assert verify(token, now=NOW - SKEW).status == "green"  # a scanner clock slightly behind
    assert refusal(token, now=NOW - SKEW - timedelta(seconds=1)) == Reason.NOT_YET_VALID


def test_without_skew_the_window_is_exact():
    token = issue(minutes=1)
    with pytest.raises(TokenRefused):
        tokens.token_verify(
            token, keys=OUR_KEYS, now=NOW + timedelta(minutes=1), max_clock_skew=timedelta(0)
        )


def test_issue_refuses_bad_input():
    with pytest.raises(ValueError, match="status"):
        issue(status="purple")
    with pytest.raises(ValueError, match="valid_minutes"):
        issue(minutes=0)
    with pytest.raises(ValueError, match="valid_minutes"):
        issue(minutes=70_000)
    with pytest.raises(TokenKeyError, match="region"):
        issue(kid="2026-1")
    with pytest.raises(ValueError, match="timezone"):
        issue(now=NOW.replace(tzinfo=None))


# Published keys and mutual recognition.


def test_jwks_document_is_rfc_8037_and_parses_back():
    document = tokens.jwks_document(OUR_KEYS)
    (entry,) = document["keys"]
    assert {k: entry[k] for k in ("kty", "crv", "kid")} == {
        "kty": "OKP",
        "crv": "Ed25519",
        "kid": OUR_KID,
    }
    assert len(entry["x"]) == 43 and "=" not in entry["x"]
    assert "d" not in entry
    keys = tokens.jwks_parse(document)
    assert verify(issue(), keys=keys).key_id == OUR_KID


def jwk(**fields) -> dict:
    entry = tokens.jwks_document({FOREIGN_KID: FOREIGN_KEY.public_key()})["keys"][0]
    return {"keys": [entry | fields]}


@pytest.mark.parametrize(
    "document",
    [
        jwk(kty="RSA", n="AQAB", e="AQAB"),
        jwk(kty="EC", crv="P-256"),
        jwk(crv="Ed448"),
        jwk(crv="X25519"),
        jwk(alg="RS256"),
        jwk(use="enc"),
        jwk(d="c2VjcmV0"),
        jwk(kid="no-region"),
        jwk(x="AQID"),
        jwk(x=12),
        {"keys": [jwk()["keys"][0], jwk()["keys"][0]]},
        {"keys": "none"},
        [],
    ],
)
def test_jwks_parser_refuses_anything_but_ed25519_signing_keys(document):
    with pytest.raises(TokenKeyError):
        tokens.jwks_parse(document)


def test_jwks_parser_refuses_an_ed448_key_of_the_right_shape():
    x = encode(Ed448PrivateKey.generate().public_key().public_bytes_raw())
    with pytest.raises(TokenKeyError):
        tokens.jwks_parse(jwk(x=x))


def test_a_registered_foreign_issuer_verifies():
    registry = tokens.key_registry(own=OUR_KEYS, foreign={"440300": jwk()})
    claims = verify(issue(key=FOREIGN_KEY, kid=FOREIGN_KID), keys=registry)
    assert (claims.issuer_region, claims.status) == ("440300", "green")
    assert verify(issue(), keys=registry).issuer_region == "990100"  # ours still verify


def test_an_unregistered_foreign_issuer_is_unknown():
    registry = tokens.key_registry(own=OUR_KEYS)
    assert refusal(issue(key=FOREIGN_KEY, kid=FOREIGN_KID), keys=registry) == (
        Reason.UNKNOWN_ISSUER
    )


def test_a_region_cannot_publish_keys_in_another_regions_name():
    with pytest.raises(TokenKeyError, match="another region"):
        tokens.key_registry(own=OUR_KEYS, foreign={"310100": jwk()})
    impostor = jwk(kid=OUR_KID)
    with pytest.raises(TokenKeyError, match="already registered"):
        tokens.key_registry(own=OUR_KEYS, foreign={"990100": impostor})


def test_signing_keys_parse_newest_first_and_never_echo_material():
    first, second = tokens.new_signing_key("990100-b"), tokens.new_signing_key("990100-a")
    keys = tokens.parse_signing_keys(f"{first}, {second}")
    assert [kid for kid, _ in keys] == ["990100-b", "990100-a"]
    for spec in ("990100-x:bm90IGEga2V5", "990100-x:***", "nokid:" + first.split(":")[1]):
        with pytest.raises(TokenKeyError) as error:
            tokens.parse_signing_keys(spec)
        assert spec.split(":")[1] not in str(error.value)
    with pytest.raises(TokenKeyError, match="twice"):
        tokens.parse_signing_keys(f"{first},{first}")
