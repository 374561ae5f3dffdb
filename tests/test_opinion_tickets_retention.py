"""Retention reaches hotline tickets: an answered ticket goes (with its history and the caller's
name and phone) once the retention has passed since its answer, and then its message goes with
the core's sweep; an open ticket, however old, stays with its message until answered."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from crisisgov.kernel.models import AuditEntry
from crisisgov.opinion.models import Message
from crisisgov.opinion.services import messages_expire
from crisisgov.opinion.tickets import clock, handlers, services
from crisisgov.opinion.tickets.models import Ticket, TicketEvent, TicketState
from tests.test_opinion_tickets_support import START, dispatched, world_build

DAY = dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def _ngram_embedder(monkeypatch):
    monkeypatch.setenv("CRISISGOV_OPINION_EMBEDDER", "ngram")


@pytest.fixture
def world(city, make_user):
    return world_build(city, make_user)


def test_an_answered_ticket_goes_after_the_retention_an_open_one_stays(
    city, world, actor_of, settings, monkeypatch
):
    settings.CRISISGOV_OPINION_RETENTION_DAYS = 30
    operator, officer = actor_of(world.operator), actor_of(world.health_officer)
    with clock.frozen(START):
        answered = dispatched(operator, city.district_a)
        still_open = dispatched(operator, city.district_a)
        services.ticket_resolve(actor=officer, ticket_id=answered.pk, answer="已安排医生上门")
    answered.refresh_from_db()
    assert answered.keep_until == timezone.localdate(START) + 30 * DAY
    assert Ticket.objects.get(pk=still_open.pk).keep_until is None
    with clock.frozen(START + 5 * DAY):
        services.ticket_rate(token=answered.rating_token, satisfaction=5)

    # On its last day the answered ticket is still there; the day after, the worker's sweep
    # (reading the injected clock) deletes it with its events and the caller's data.
    monkeypatch.setattr(handlers, "_last_expiry", None)
    with clock.frozen(START + 30 * DAY):
        assert handlers.sweep_expired_tickets() == 0
    monkeypatch.setattr(handlers, "_last_expiry", None)
    with clock.frozen(START + 31 * DAY):
        assert handlers.sweep_expired_tickets() == 1
    assert not Ticket.objects.filter(pk=answered.pk).exists()
    assert not TicketEvent.objects.filter(ticket_id=answered.pk).exists()
    audit = AuditEntry.objects.get(action="opinion.tickets_expired")
    assert audit.detail["deleted"] == 1

    # The open ticket, a year on, is still kept, and so is its message.
    with clock.frozen(START + 365 * DAY):
        assert services.tickets_expire() == 0
    kept = Ticket.objects.get(pk=still_open.pk)
    assert kept.state == TicketState.ASSIGNED and kept.caller_phone

    # The core's retention sweep can now delete the answered ticket's message; the open
    # ticket's message stays protected.
    after = max(Message.objects.values_list("keep_until", flat=True)) + DAY
    messages_expire(today=after)
    assert not Message.objects.filter(pk=answered.message_id).exists()
    assert Message.objects.filter(pk=still_open.message_id).exists()


def test_a_resolved_but_unrated_ticket_expires_too(city, world, actor_of, settings):
    settings.CRISISGOV_OPINION_RETENTION_DAYS = 7
    with clock.frozen(START):
        ticket = dispatched(actor_of(world.operator), city.district_a)
        services.ticket_resolve(
            actor=actor_of(world.health_officer), ticket_id=ticket.pk, answer="已处理"
        )
    assert services.tickets_expire(today=timezone.localdate(START) + 7 * DAY) == 0
    assert services.tickets_expire(today=timezone.localdate(START) + 8 * DAY) == 1
    assert not Ticket.objects.exists()
