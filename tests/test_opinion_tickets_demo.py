"""The demo's hotline tickets: a full inbox for the demo department officer, every kind of
outcome, figures that show it, and a second run adding nothing."""

from __future__ import annotations

import pytest

from crisisgov.kernel.actor import SYSTEM
from crisisgov.opinion.tickets import selectors
from crisisgov.opinion.tickets.demo import TICKETS, opinion_tickets_demo_ensure
from crisisgov.opinion.tickets.models import Ticket, TicketState


@pytest.fixture(autouse=True)
def _ngram_embedder(monkeypatch):
    monkeypatch.setenv("CRISISGOV_OPINION_EMBEDDER", "ngram")


def test_the_demo_runs_tickets_against_their_clocks(city):
    [line] = opinion_tickets_demo_ensure()
    assert f"{TICKETS} tickets" in line
    states = set(Ticket.objects.values_list("state", flat=True))
    assert {TicketState.CLOSED, TicketState.ACCEPTED, TicketState.ASSIGNED,
            TicketState.RETURNED} <= states  # fmt: skip
    assert Ticket.objects.filter(escalated_at__isnull=False).exists()
    assert Ticket.objects.filter(breached_at__isnull=True, state=TicketState.ASSIGNED).exists()
    health = Ticket.objects.filter(department__code="health", area_path=city.district_a.path)
    assert health.count() >= 6
    [figures] = [
        f for f in selectors.department_stats(actor=SYSTEM)
        if (f.code, f.area_path) == ("health", city.district_a.path)
    ]  # fmt: skip
    assert figures.rated >= 1 and figures.response_rate is not None
    assert opinion_tickets_demo_ensure() == ["Hotline tickets: already there (catalogue loaded)"]
    assert Ticket.objects.count() == TICKETS
