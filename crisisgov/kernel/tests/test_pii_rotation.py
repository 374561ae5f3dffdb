"""`crisisgov pii rotate`: every value ends up under the newest key, resumably."""

from __future__ import annotations

import base64
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection

from crisisgov.kernel.fields import blind_index_for
from crisisgov.kernel.models import AuditEntry
from crisisgov.kernel.tests.samples import KEY_A, KEY_B

RESIDENTS = [
    ("张三丰", "420102199003071234", "13812345678"),
    ("李四", "420102198001011111", "13900000000"),
    ("王五", "420102197512122222", ""),
    ("赵六", "42010220000229333X", "15011112222"),
    ("孙七", "420102196606064444", "18633334444"),
]


def pii(*args: str) -> str:
    out = StringIO()
    call_command("pii", *args, stdout=out)
    return out.getvalue()


def raw_columns() -> list[tuple[int, str, str, str, str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, name, national_id, phone, national_id_index, phone_index"
            " FROM directory_person ORDER BY id"
        )
        return cursor.fetchall()


def key_ids() -> list[tuple[str, ...]]:
    """The key id of each encrypted column, row by row ("" where the value is empty)."""
    return [
        tuple(value.split(":")[1] if value else "" for value in row[1:4]) for row in raw_columns()
    ]


@pytest.fixture
def residents(make_person, use_ring):
    use_ring(f"a:{KEY_A}")
    people = [make_person(*resident) for resident in RESIDENTS]
    use_ring(f"b:{KEY_B},a:{KEY_A}")
    return people


def test_rotation_moves_every_value_to_the_newest_key(residents):
    before = raw_columns()
    updated_at = [p.updated_at for p in residents]
    assert key_ids() == [("a", "a", "a")] * 2 + [("a", "a", "")] + [("a", "a", "a")] * 2

    out = pii("rotate", "--batch-size", "2")

    assert out.splitlines() == [
        f"directory.person: re-encrypted up to #{residents[1].pk} (2 rows so far)",
        f"directory.person: re-encrypted up to #{residents[3].pk} (4 rows so far)",
        f"directory.person: re-encrypted up to #{residents[4].pk} (5 rows so far)",
        "re-encrypted 14 values in 5 rows under key b",
    ]
    assert key_ids() == [("b", "b", "b")] * 2 + [("b", "b", "")] + [("b", "b", "b")] * 2
    after = raw_columns()
    # Blind indexes are keyed apart from the encryption keys and stay as they were.
    assert [row[4:] for row in after] == [row[4:] for row in before]
    person_model = apps.get_model("directory", "Person")
    people = person_model.objects.order_by("id")
    assert [(p.name, p.national_id, p.phone) for p in people] == RESIDENTS
    assert [p.updated_at for p in people] == updated_at  # rotation is not an edit
    for name, national_id, _ in RESIDENTS:
        index = blind_index_for(person_model, "national_id_index", national_id)
        assert person_model.objects.get(national_id_index=index).name == name
    entry = AuditEntry.objects.get(action="pii.rotate")
    assert (entry.actor_username, entry.role, entry.target_id) == ("system", "system", "b")
    assert entry.detail == {
        "key_id": "b",
        "rows": 5,
        "values": 14,
        "changed_meanwhile": 0,
        "error": "",
    }


def test_an_interrupted_rotation_resumes_where_it_stopped(residents):
    assert pii("rotate", "--batch-size", "2", "--limit", "3").splitlines()[-1] == (
        "re-encrypted 8 values in 3 rows under key b"
    )
    assert key_ids() == [("b", "b", "b")] * 2 + [("b", "b", "")] + [("a", "a", "a")] * 2

    assert pii("rotate", "--batch-size", "2").splitlines() == [
        f"directory.person: re-encrypted up to #{residents[4].pk} (2 rows so far)",
        "re-encrypted 6 values in 2 rows under key b",
    ]
    assert key_ids() == [("b", "b", "b")] * 2 + [("b", "b", "")] + [("b", "b", "b")] * 2
    assert pii("rotate").splitlines() == ["re-encrypted 0 values in 0 rows under key b"]
    runs = AuditEntry.objects.filter(action="pii.rotate").order_by("seq")
    assert [entry.detail["rows"] for entry in runs] == [3, 2, 0]


def test_a_row_edited_after_a_key_change_is_rotated_only_where_needed(residents):
    person_model = apps.get_model("directory", "Person")
    person = person_model.objects.get(pk=residents[0].pk)
    person.phone = "13700000000"  # written under the new key by the application
    person.save(update_fields=["phone"])
    assert key_ids()[0] == ("a", "a", "b")
    assert pii("rotate").splitlines()[-1] == "re-encrypted 13 values in 5 rows under key b"
    assert person_model.objects.get(pk=person.pk).phone == "13700000000"


def test_status_counts_values_per_key(residents):
    pii("rotate", "--limit", "1")
    lines = [line for line in pii("status").splitlines() if line.startswith("directory.person.")]
    assert lines == [
        "directory.person.name: b 1, a 4",
        "directory.person.national_id: b 1, a 4",
        "directory.person.phone: b 1, a 3",
    ]


def test_a_value_under_a_key_no_longer_in_the_ring_stops_rotation_with_its_row(residents, use_ring):
    use_ring(f"b:{KEY_B}")
    with pytest.raises(CommandError) as error:
        pii("rotate")
    assert str(error.value) == (
        f"rotation stopped: directory.person #{residents[0].pk} name:"
        " no personal-data key with id 'a' in the key ring"
    )
    assert key_ids()[0] == ("a", "a", "a")
    entry = AuditEntry.objects.get(action="pii.rotate")
    assert entry.detail["rows"] == 0
    assert entry.detail["error"] == (
        f"directory.person #{residents[0].pk} name:"
        " no personal-data key with id 'a' in the key ring"
    )


def test_status_shows_values_under_keys_outside_the_ring(residents, use_ring):
    use_ring(f"b:{KEY_B}")
    lines = [line for line in pii("status").splitlines() if line.startswith("directory.person.")]
    assert lines == [
        "directory.person.name: b 0, not in the key ring 5",
        "directory.person.national_id: b 0, not in the key ring 5",
        "directory.person.phone: b 0, not in the key ring 4",
    ]


def test_new_key_prints_a_fresh_32_byte_key():
    first, second = pii("new-key").strip(), pii("new-key").strip()
    assert len(base64.b64decode(first, validate=True)) == 32
    assert first != second


def test_a_row_changed_while_being_rotated_is_left_for_the_next_run(residents, monkeypatch):
    from crisisgov.kernel.management.commands.pii import Command

    person_model = apps.get_model("directory", "Person")
    original = Command.rotate_row

    def edited_meanwhile(self, model, fields, pk, *args):
        if pk == residents[1].pk:  # meanwhile a clerk corrects this resident's name
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE directory_person SET name = %s WHERE id = %s",
                    [person_model._meta.get_field("name").get_prep_value("李四光"), pk],
                )
        return original(self, model, fields, pk, *args)

    monkeypatch.setattr(Command, "rotate_row", edited_meanwhile)
    assert pii("rotate").splitlines()[-1] == (
        "re-encrypted 11 values in 4 rows under key b;"
        " 1 rows changed meanwhile, run again to finish"
    )
    assert person_model.objects.get(pk=residents[1].pk).name == "李四光"
    monkeypatch.setattr(Command, "rotate_row", original)
    # The corrected name is already under the new key; the rest of the row is not.
    assert key_ids()[1] == ("b", "a", "a")
    assert pii("rotate").splitlines()[-1] == "re-encrypted 2 values in 1 rows under key b"
    assert person_model.objects.get(pk=residents[1].pk).name == "李四光"


def test_a_run_cut_short_is_still_recorded(residents, monkeypatch):
    from crisisgov.kernel.management.commands.pii import Command

    original = Command.rotate_row
    rows_seen = []

    def interrupted(self, *args):
        rows_seen.append(args[2])
        if len(rows_seen) == 4:  # midway through the second batch
            raise KeyboardInterrupt
        return original(self, *args)

    monkeypatch.setattr(Command, "rotate_row", interrupted)
    with pytest.raises(KeyboardInterrupt):
        pii("rotate", "--batch-size", "2")
    # The first batch committed; the second was rolled back with the interruption.
    assert key_ids() == [("b", "b", "b")] * 2 + [("a", "a", "")] + [("a", "a", "a")] * 2
    entry = AuditEntry.objects.get(action="pii.rotate")
    assert (entry.detail["rows"], entry.detail["error"]) == (2, "interrupted by KeyboardInterrupt")
