"""Field encryption: round trip, binding to a column, tampering, key rings, storage at rest."""

from __future__ import annotations

import base64
import json

import pytest
from django.apps import apps
from django.db import connection

from crisisgov.kernel import pii
from crisisgov.kernel.fields import EncryptedTextField, blind_index_for
from crisisgov.kernel.tests.samples import BLIND_KEY, KEY_A, KEY_B, MOBILE, NATIONAL_ID, ring

CONTEXT = "directory.person.national_id"


def test_round_trip_under_the_newest_key():
    keys = ring(f"b:{KEY_B},a:{KEY_A}")
    sealed = pii.encrypt("张三丰", context=CONTEXT, ring=keys)
    assert sealed.startswith("pii1:b:")
    assert pii.key_id_of(sealed) == "b"
    assert pii.decrypt(sealed, context=CONTEXT, ring=keys) == "张三丰"


def test_same_text_seals_differently_each_time():
    keys = ring(f"a:{KEY_A}")
    first = pii.encrypt(NATIONAL_ID, context=CONTEXT, ring=keys)
    second = pii.encrypt(NATIONAL_ID, context=CONTEXT, ring=keys)
    assert first != second
    assert pii.decrypt(first, context=CONTEXT, ring=keys) == NATIONAL_ID
    assert pii.decrypt(second, context=CONTEXT, ring=keys) == NATIONAL_ID


def test_an_older_key_still_decrypts():
    sealed = pii.encrypt(MOBILE, context=CONTEXT, ring=ring(f"a:{KEY_A}"))
    assert pii.decrypt(sealed, context=CONTEXT, ring=ring(f"b:{KEY_B},a:{KEY_A}")) == MOBILE


def test_a_key_missing_from_the_ring_is_named():
    sealed = pii.encrypt(MOBILE, context=CONTEXT, ring=ring(f"a:{KEY_A}"))
    with pytest.raises(pii.PIIKeyError) as error:
        pii.decrypt(sealed, context=CONTEXT, ring=ring(f"b:{KEY_B}"))
    assert str(error.value) == "no personal-data key with id 'a' in the key ring"


def test_a_ciphertext_moved_to_another_column_does_not_decrypt():
    keys = ring(f"a:{KEY_A}")
    sealed = pii.encrypt(NATIONAL_ID, context="directory.person.national_id", ring=keys)
    with pytest.raises(pii.PIIKeyError) as error:
        pii.decrypt(sealed, context="directory.person.phone", ring=keys)
    assert str(error.value) == (
        "personal-data ciphertext for directory.person.phone does not authenticate"
    )


@pytest.mark.parametrize("position", [0, 12, -1])  # nonce, ciphertext, tag
def test_a_flipped_byte_does_not_decrypt(position):
    keys = ring(f"a:{KEY_A}")
    sealed = pii.encrypt(NATIONAL_ID, context=CONTEXT, ring=keys)
    token = sealed.split(":", 2)[2]
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw[position] ^= 0x01
    tampered = "pii1:a:" + base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    with pytest.raises(pii.PIIKeyError) as error:
        pii.decrypt(tampered, context=CONTEXT, ring=keys)
    assert str(error.value) == f"personal-data ciphertext for {CONTEXT} does not authenticate"


@pytest.mark.parametrize(
    "text", ["", "plain text", "pii1:a", "pii2:a:AAAA", "pii1::AAAA", "pii1:a:"]
)
def test_something_that_is_not_a_ciphertext_is_refused(text):
    with pytest.raises(pii.PIIKeyError) as error:
        pii.decrypt(text, context=CONTEXT, ring=ring(f"a:{KEY_A}"))
    assert str(error.value) == "not a personal-data ciphertext"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (f"a:{KEY_A},b", "personal-data key number 2 must look like id:base64key"),
        (KEY_A, "personal-data key number 1 must look like id:base64key"),
        (f"bad id:{KEY_A}", "personal-data key number 1 must look like id:base64key"),
        ("a:not*base64", "personal-data key 'a' is not valid base64"),
        ("k2:" + base64.b64encode(b"short").decode(), "personal-data key 'k2' must be 32 bytes"),
        (f"a:{KEY_A},A:{KEY_B}", "personal-data key 'A' appears twice in the key ring"),
    ],
)
def test_key_ring_errors_name_the_key_and_never_show_it(spec, message):
    with pytest.raises(pii.PIIKeyError) as error:
        pii.load_key_ring(keys=spec, key_file="", blind_index_key=BLIND_KEY)
    assert str(error.value).startswith(message)
    assert KEY_A not in str(error.value)
    assert KEY_A[:8] not in str(error.value)


def test_the_blind_index_key_is_required():
    with pytest.raises(pii.PIIKeyError) as error:
        pii.load_key_ring(keys=f"a:{KEY_A}", key_file="", blind_index_key="")
    assert str(error.value) == "no blind-index key: set CRISISGOV_BLIND_INDEX_KEY"


def test_a_key_file_is_read_newest_first(tmp_path):
    path = tmp_path / "keys.json"
    body = {"keys": [{"id": "b", "key": KEY_B}, {"id": "a", "key": KEY_A}]}
    path.write_text(json.dumps(body | {"blind_index_key": BLIND_KEY}))
    keys = pii.load_key_ring(keys="", key_file=str(path), blind_index_key="")
    assert keys.current_id == "b"
    assert keys.keys == (("b", bytes(range(32, 64))), ("a", bytes(range(32))))
    assert keys.blind_index_key == bytes([7]) * 32


def test_a_bad_key_in_a_key_file_is_named_with_the_file(tmp_path):
    path = tmp_path / "keys.json"
    path.write_text(json.dumps({"keys": [{"id": "old", "key": "AAAA"}], "blind_index_key": ""}))
    with pytest.raises(pii.PIIKeyError) as error:
        pii.load_key_ring(keys="", key_file=str(path), blind_index_key=BLIND_KEY)
    assert (
        str(error.value) == f"personal-data key 'old' must be 32 bytes (AES-256), got 3 (in {path})"
    )


def test_a_missing_key_file_is_created_only_when_asked(tmp_path):
    path = tmp_path / "keys.json"
    with pytest.raises(pii.PIIKeyError) as error:
        pii.load_key_ring(keys="", key_file=str(path), blind_index_key="")
    assert str(error.value) == f"personal-data key file {path} does not exist"
    assert not path.exists()

    keys = pii.load_key_ring(keys="", key_file=str(path), blind_index_key="", create_missing=True)
    assert keys.current_id == "dev1"
    assert path.stat().st_mode & 0o777 == 0o600


def test_blind_index_is_keyed_and_ignores_formatting():
    keys = ring(f"a:{KEY_A}")
    plain = pii.blind_index(NATIONAL_ID, context=CONTEXT, ring=keys)
    assert len(plain) == 40
    assert pii.blind_index("4201 0219 9003 0712 34", context=CONTEXT, ring=keys) == plain
    assert (
        pii.blind_index("４２０１０２１９９００３０７１２３４", context=CONTEXT, ring=keys) == plain
    )
    other_key = pii.load_key_ring(keys=f"a:{KEY_A}", key_file="", blind_index_key=KEY_B)
    assert pii.blind_index(NATIONAL_ID, context=CONTEXT, ring=other_key) != plain
    assert pii.blind_index(NATIONAL_ID, context="directory.person.phone", ring=keys) != plain


@pytest.mark.parametrize(
    ("mask", "value", "shown"),
    [
        ("national_id", "420102199003071234", "4201**********1234"),
        ("national_id", "42010219900307123X", "4201**********123X"),
        ("national_id", "1234567", "*******"),
        ("phone", "13812345678", "138****5678"),
        ("phone", "027-8888", "027*8888"),
        ("phone", "12345", "*****"),
        ("name", "张三丰", "张*丰"),
        ("name", "张三", "张*"),
        ("name", "John Smith", "J*** S****"),
        ("name", "", ""),
    ],
)
def test_masking(mask, value, shown):
    field = EncryptedTextField(mask=mask)
    assert field.masked(value) == shown


@pytest.mark.django_db
def test_the_database_holds_no_plaintext(make_person):
    person = make_person("张三丰", NATIONAL_ID, MOBILE)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, national_id, phone, national_id_index, phone_index"
            " FROM directory_person WHERE id = %s",
            [person.pk],
        )
        row = cursor.fetchone()
    current = pii.key_ring().current_id
    assert [column.startswith(f"pii1:{current}:") for column in row[:3]] == [True] * 3
    stored = " ".join(row)
    for secret in ("张三丰", NATIONAL_ID, MOBILE, NATIONAL_ID[:10], MOBILE[3:]):
        assert secret not in stored
    person_model = apps.get_model("directory", "Person")
    assert row[3] == blind_index_for(person_model, "national_id_index", NATIONAL_ID)
    assert row[4] == blind_index_for(person_model, "phone_index", MOBILE)


@pytest.mark.django_db
def test_values_read_back_and_are_found_by_blind_index(make_person):
    make_person("李四", "420102198001011111", "13900000000")
    person = make_person("张三丰", NATIONAL_ID, MOBILE)
    person_model = apps.get_model("directory", "Person")
    index = blind_index_for(person_model, "national_id_index", "4201 0219 9003 0712 34")
    found = person_model.objects.get(national_id_index=index)
    assert (found.pk, found.name, found.national_id, found.phone) == (
        person.pk,
        "张三丰",
        NATIONAL_ID,
        MOBILE,
    )


@pytest.mark.django_db
def test_a_ciphertext_copied_to_another_column_fails_to_load(make_person):
    person = make_person("张三丰", NATIONAL_ID, MOBILE)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE directory_person SET national_id = phone WHERE id = %s", [person.pk])
    person_model = apps.get_model("directory", "Person")
    with pytest.raises(pii.PIIKeyError) as error:
        person_model.objects.get(pk=person.pk)
    assert str(error.value) == (
        "personal-data ciphertext for directory.person.national_id does not authenticate"
    )


@pytest.mark.django_db
def test_input_that_looks_like_ciphertext_is_encrypted_like_any_text(make_person):
    other = make_person("李四", "420102198001011111", "13900000000")
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM directory_person WHERE id = %s", [other.pk])
        foreign_ciphertext = cursor.fetchone()[0]
    person = make_person("pii1:x:y", NATIONAL_ID, foreign_ciphertext)
    person_model = apps.get_model("directory", "Person")
    loaded = person_model.objects.get(pk=person.pk)
    assert loaded.name == "pii1:x:y"
    # Another row's phone ciphertext typed in as a phone number is stored as text: this row
    # must not become a way to read that row's number.
    assert loaded.phone == foreign_ciphertext
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM directory_person WHERE id = %s", [person.pk])
        assert cursor.fetchone()[0] != foreign_ciphertext
