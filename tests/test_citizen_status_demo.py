"""The demo's health statuses on the tiny synthetic city: everyone gets a status from the
exchange demo's records, one override is confirmed by two officials, one appeal waits, and a
second run adds nothing."""

import io

from django.core.management import call_command

from crisisgov.citizen.models import (
    Delegation,
    HealthStatus,
    StatusAppeal,
    StatusOverride,
)
from crisisgov.directory.models import Person
from crisisgov.drills.citizen_status_demo import citizen_status_demo_ensure
from crisisgov.drills.exchange_demo import exchange_demo_ensure
from crisisgov.kernel.models import AuditEntry


def test_the_demo_gives_every_resident_a_status_and_is_idempotent(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("city", "generate", "--seed", "2020", "--size", "tiny", stdout=io.StringIO())
    exchange_demo_ensure()
    lines = citizen_status_demo_ensure()
    residents = Person.objects.count()
    assert HealthStatus.objects.count() == residents
    by_colour = {
        c: HealthStatus.objects.filter(status=c).count() for c in ("green", "yellow", "red")
    }
    assert lines[0].startswith("Health status (rule set ")
    assert (
        f"{by_colour['green']} green, {by_colour['yellow']} yellow, {by_colour['red']} red"
        in (lines[0])
    )
    assert by_colour["red"] > 0  # the exchange demo's positives and confirmed cases
    # Every red or yellow status names the record behind it.
    assert (
        not HealthStatus.objects.exclude(status="green")
        .filter(evidence_record_id=None, override=None)
        .exists()
    )
    [override] = StatusOverride.objects.all()
    assert override.state == "confirmed" and override.proposed_by_id != override.confirmed_by_id
    assert HealthStatus.objects.get(person_id=override.person_id).status == "green"
    [appeal] = StatusAppeal.objects.all()
    assert appeal.state == "pending"
    assert Delegation.objects.get().person_id == appeal.person_id
    audit = AuditEntry.objects.count()

    again = citizen_status_demo_ensure()
    assert (
        again == [lines[0].rsplit(" — ", 1)[0] + " — " + again[0].rsplit(" — ", 1)[1]] + lines[1:]
    )
    assert (StatusOverride.objects.count(), StatusAppeal.objects.count()) == (1, 1)
    assert AuditEntry.objects.count() == audit
    assert HealthStatus.objects.count() == residents
