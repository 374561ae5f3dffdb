"""`crisisgov demo --no-serve`: the city, one account per role, the exchange demo; twice is safe."""

import io

from django.core.management import call_command

from crisisgov.directory.models import RoleAssignment
from crisisgov.exchange.models import Dataset, Record, RejectedRow, SharingAgreement


def test_the_demo_sets_up_everything_and_a_second_run_changes_nothing(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    out = io.StringIO()
    call_command("demo", "--no-serve", "--size", "tiny", stdout=out, stderr=io.StringIO())
    text = out.getvalue()
    assert "Qingyuan District: 37 case reports imported, 3 rows waiting for correction" in text
    roles = sorted(RoleAssignment.objects.values_list("role", flat=True))
    assert roles == sorted(
        [
            "account_admin",
            "analyst",
            "auditor",
            "citizen",
            "commander",
            "department_officer",
            "grid_worker",
            "hotline_operator",
            "ngo_liaison",
            "service_point_staff",  # at a pharmacy and at a testing site
            "service_point_staff",
        ]
    )
    # Citizen services: statuses from the test results, queries, a reservation day with a
    # lottery, bulletins, and an application halfway through its approvals.
    for line in (
        "Health status (rule set",
        "Citizen queries:",
        "new reservations today",
        "lottery window",
        "Bulletins:",
        "is halfway (market regulation approved, health commission overdue and escalated)",
        # Public opinion: the rumor knowledge base, a stream of posts, hotline tickets.
        "Rumors: knowledge base",
        "opinion demo:",
        "Hotline tickets:",
    ):
        assert line in text
    opinion = _opinion_rows()
    assert all(opinion), opinion
    counts = (Dataset.objects.count(), Record.objects.count(), RejectedRow.objects.count())
    standards = sorted(Dataset.objects.values_list("schema__name", flat=True))
    assert standards == ["case_report"] * 2 + ["material_stock"] * 2 + ["test_result"] * 2
    assert counts[2] == 6  # the case reports' bad rows wait for correction
    tests = Record.objects.filter(dataset__schema__name="test_result").count()
    assert 0 < tests <= 240
    statuses = sorted(SharingAgreement.objects.values_list("status", flat=True))
    assert statuses == ["approved", "requested"]
    assert sorted(Dataset.objects.filter(open=True).values_list("schema__name", flat=True)) == (
        ["case_report"] * 2 + ["material_stock"] * 2
    )

    observations = _earlywarning_demo_checks(text)

    call_command("demo", "--no-serve", "--size", "tiny", stdout=io.StringIO(), stderr=io.StringIO())
    assert _earlywarning_rows() == observations
    again = (Dataset.objects.count(), Record.objects.count(), RejectedRow.objects.count())
    assert again == counts and RoleAssignment.objects.count() == 11
    assert SharingAgreement.objects.count() == 2
    assert _opinion_rows() == opinion


def _opinion_rows() -> tuple[int, int, int]:
    from crisisgov.opinion.models import Message
    from crisisgov.opinion.rumors.models import Rumor
    from crisisgov.opinion.tickets.models import Ticket

    return Message.objects.count(), Rumor.objects.count(), Ticket.objects.count()


def _earlywarning_rows() -> tuple[int, int, int]:
    from crisisgov.earlywarning.models import Alert, Observation, RtEstimate

    return Observation.objects.count(), Alert.objects.count(), RtEstimate.objects.count()


def _earlywarning_demo_checks(text: str) -> tuple[int, int, int]:
    """A year of daily series per district (5,840 rows in the tiny city: 4 syndromic series
    per district, 2 case series per community), the outbreak in the first district alarming,
    its Rt above 1, and alerts in the inbox."""
    from django.utils import timezone

    from crisisgov.earlywarning.models import Alert, Observation, RtEstimate
    from crisisgov.geo.facade import Level, areas_at_level

    assert "Early warning: 5840 observations loaded" in text
    assert Observation.objects.filter(source="drill", current=True).count() == 5840
    first = areas_at_level(Level.DISTRICT)[0]
    latest = RtEstimate.objects.get(
        area_id=first.id, indicator__code="confirmed-cases", window_end=timezone.localdate()
    )
    assert latest.lower > 1
    alerts = Alert.objects.filter(source="detector")
    assert alerts.filter(area_path=first.path).exists()
    return _earlywarning_rows()
