"""`crisisgov demo --no-serve`: the city, one account per role, the exchange demo; twice is safe."""

import io

from django.core.management import call_command

from crisisgov.directory.models import RoleAssignment
from crisisgov.exchange.models import Dataset, Record, RejectedRow


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
            "ngo_liaison",
        ]
    )
    counts = (Dataset.objects.count(), Record.objects.count(), RejectedRow.objects.count())
    assert counts == (2, 74, 6)

    call_command("demo", "--no-serve", "--size", "tiny", stdout=io.StringIO(), stderr=io.StringIO())
    again = (Dataset.objects.count(), Record.objects.count(), RejectedRow.objects.count())
    assert again == counts and RoleAssignment.objects.count() == 8
