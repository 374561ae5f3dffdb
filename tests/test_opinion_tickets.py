"""Tickets: routing and override, the response clock (injected), the first receiver's duty,
scoping by district, the caller's rating link and the figures per department."""

from __future__ import annotations

import datetime as dt

import pytest

from crisisgov.kernel.actor import SYSTEM
from crisisgov.kernel.errors import Conflict, DomainError, NotFound, PermissionDenied
from crisisgov.kernel.models import AuditEntry, OutboxEvent
from crisisgov.opinion.tickets import clock, selectors, services
from crisisgov.opinion.tickets.catalogue import category_set, department_desk
from crisisgov.opinion.tickets.models import Ticket, TicketEvent, TicketState, TimeLimitClass
from tests.test_opinion_tickets_support import PHONE, START, call, dispatched, world_build
from tests.test_opinion_tickets_support import officer as desk_officer

HOUR = dt.timedelta(hours=1)


@pytest.fixture(autouse=True)
def _ngram_embedder(monkeypatch):
    monkeypatch.setenv("CRISISGOV_OPINION_EMBEDDER", "ngram")


@pytest.fixture
def world(city, make_user):
    return world_build(city, make_user)


def actions(ticket):
    return list(TicketEvent.objects.filter(ticket=ticket).values_list("action", flat=True))


# --- routing --------------------------------------------------------------------------------


def test_a_call_is_redacted_and_routed_with_confidence(city, world, actor_of):
    with clock.frozen(START):
        ticket = call(actor_of(world.operator), city.street_a)
    assert ticket.state == TicketState.NEW
    assert ticket.received_at == START
    assert "13812345678" not in ticket.message.text
    assert "42010219900307001X" not in ticket.message.text
    top = ticket.suggestions[0]
    assert top["department"] == "health"  # the catalogue's rule and the classifier agree
    assert top["source"] == "classifier+rule"
    assert 0.5 < top["confidence"] <= 1.0
    assert len(ticket.suggestions) == 3
    assert [s["confidence"] for s in ticket.suggestions] == sorted(
        (s["confidence"] for s in ticket.suggestions), reverse=True
    )


def test_confirming_the_suggestion_needs_no_reason_but_overriding_it_does(city, world, actor_of):
    operator = actor_of(world.operator)
    with clock.frozen(START):
        first = call(operator, city.street_a)
        second = call(operator, city.street_a)
        services.ticket_dispatch(actor=operator, ticket_id=first.pk, department_code="health")
        with pytest.raises(DomainError) as refused:
            services.ticket_dispatch(actor=operator, ticket_id=second.pk, department_code="police")
    assert refused.value.field == "reason"
    assert Ticket.objects.get(pk=second.pk).state == TicketState.NEW  # nothing changed
    services.ticket_dispatch(
        actor=operator, ticket_id=second.pk, department_code="police", reason="caller threatened"
    )
    second.refresh_from_db()
    assert (second.state, second.department_id) == (TicketState.ASSIGNED, world.police_a.pk)
    event = TicketEvent.objects.get(ticket=second, action="dispatched")
    assert event.reason == "caller threatened"
    audit = AuditEntry.objects.get(action="opinion.ticket_dispatched", target_id=str(second.pk))
    assert audit.detail["suggested"] == "health" and audit.detail["department"] == "police"


def test_a_district_category_goes_to_the_district_desk_of_the_callers_district(
    city, world, actor_of
):
    with clock.frozen(START):
        ticket = call(actor_of(world.operator), city.street_a)  # medical_help: district level
        ticket = services.ticket_dispatch(
            actor=actor_of(world.operator), ticket_id=ticket.pk, department_code="health"
        )
    assert ticket.department_id == world.health_a.pk
    assert ticket.organisation_id == world.health_a.organisation_id


# --- the response clock ---------------------------------------------------------------------


def test_deadlines_follow_the_time_limit_class_from_the_call(city, world, actor_of):
    operator = actor_of(world.operator)
    with clock.frozen(START) as advance:
        ticket = call(operator, city.district_a)  # medical_help: urgent_2h
        advance(dt.timedelta(minutes=10))  # dispatching later does not buy time
        ticket = services.ticket_dispatch(
            actor=operator, ticket_id=ticket.pk, department_code="health"
        )
        general = call(operator, city.district_a, category="noise")
        general = services.ticket_dispatch(
            actor=operator, ticket_id=general.pk, department_code="environment"
        )
    assert ticket.response_due == START + dt.timedelta(minutes=30)
    assert ticket.resolve_due == START + 2 * HOUR
    later = START + dt.timedelta(minutes=10)
    assert general.response_due == later + 24 * HOUR
    assert general.resolve_due == later + 7 * 24 * HOUR


def test_an_urgent_call_gets_the_two_hour_class_whatever_its_category(city, world, actor_of):
    operator = actor_of(world.operator)
    with clock.frozen(START):
        ticket = call(operator, city.district_a, category="noise", urgency="urgent")
        ticket = services.ticket_dispatch(
            actor=operator, ticket_id=ticket.pk, department_code="environment"
        )
    assert ticket.resolve_due == START + 2 * HOUR


def test_reminder_before_the_deadline_breach_after_it_then_escalation(city, world, actor_of):
    """urgent_2h: respond within 30 minutes, answer within 2 hours, reminder 30 minutes ahead."""
    with clock.frozen(START):
        ticket = dispatched(actor_of(world.operator), city.district_a)
    assert services.tickets_sweep_clock(now=START + dt.timedelta(minutes=20)) == 0

    # Past the response deadline without a first response: breached (red), not yet escalated.
    assert services.tickets_sweep_clock(now=START + dt.timedelta(minutes=31)) == 1
    ticket.refresh_from_db()
    assert ticket.breached_at == START + dt.timedelta(minutes=31)
    assert ticket.escalated_at is None and ticket.reminded_at is None
    assert selectors.ticket_clock(ticket, START + dt.timedelta(minutes=31)).breached

    # 30 minutes before the answer is due: one reminder, sent once.
    assert services.tickets_sweep_clock(now=START + dt.timedelta(minutes=89)) == 0
    assert services.tickets_sweep_clock(now=START + dt.timedelta(minutes=90)) == 1
    assert services.tickets_sweep_clock(now=START + dt.timedelta(minutes=100)) == 0
    ticket.refresh_from_db()
    assert ticket.reminded_at == START + dt.timedelta(minutes=90)
    reminder = OutboxEvent.objects.get(topic="opinion.ticket_reminder")
    assert reminder.payload["ticket_id"] == ticket.pk

    # Past the answer deadline: escalated to the city's health commission and the command
    # centre; once.
    assert services.tickets_sweep_clock(now=START + 2 * HOUR) == 1
    assert services.tickets_sweep_clock(now=START + 3 * HOUR) == 0
    ticket.refresh_from_db()
    assert ticket.escalated_at == START + 2 * HOUR
    assert ticket.escalated_to_id == world.health_city.pk
    escalation = OutboxEvent.objects.get(topic="opinion.ticket_escalated")
    assert escalation.payload["escalated_to_organisation_id"] == world.health_city.organisation_id
    assert actions(ticket) == ["registered", "dispatched", "breached", "reminded", "escalated"]
    assert AuditEntry.objects.filter(action="opinion.ticket_escalated").count() == 1
    # The command centre gets it in its alert inbox, once however often the worker runs.
    from crisisgov.earlywarning.models import Alert
    from crisisgov.kernel.outbox import outbox_deliver_due

    outbox_deliver_due()
    outbox_deliver_due()
    alert = Alert.objects.get(source="opinion", kind="ticket_overdue")
    assert alert.area_id == city.district_a.pk and f"#{ticket.pk}" in alert.title_en
    assert alert.detail["escalated_to"] == "health" and PHONE not in alert.title_zh

    # The city's officers see it in their inbox as escalated to them.
    city_officer = actor_of(world.city_health_officer)
    mine = list(selectors.inbox(actor=city_officer))
    assert [t.pk for t in mine] == [ticket.pk]
    assert selectors.escalated_to_me(city_officer, mine[0])
    # ... and may handle it (the head steps in).
    with clock.frozen(START + 3 * HOUR):
        services.ticket_accept(actor=city_officer, ticket_id=ticket.pk)


def test_the_worker_sweep_reads_the_injected_clock(city, world, actor_of):
    from crisisgov.opinion.tickets.handlers import sweep_ticket_clocks

    with clock.frozen(START):
        dispatched(actor_of(world.operator), city.district_a)
        assert sweep_ticket_clocks() == 0
    with clock.frozen(START + 3 * HOUR):
        assert sweep_ticket_clocks() == 2  # breached and escalated (too late to remind)
    with clock.frozen(START + 4 * HOUR):
        assert sweep_ticket_clocks() == 0


def test_a_ticket_answered_in_time_is_never_breached(city, world, actor_of):
    officer = actor_of(world.health_officer)
    with clock.frozen(START) as advance:
        ticket = dispatched(actor_of(world.operator), city.district_a)
        advance(dt.timedelta(minutes=10))
        services.ticket_accept(actor=officer, ticket_id=ticket.pk)
        advance(dt.timedelta(minutes=30))
        services.ticket_resolve(actor=officer, ticket_id=ticket.pk, answer="医生已上门。")
    assert services.tickets_sweep_clock(now=START + 10 * HOUR) == 0
    ticket.refresh_from_db()
    assert ticket.breached_at is None and ticket.escalated_at is None
    assert ticket.responded_at == START + dt.timedelta(minutes=10)


# --- the first receiver handles it ----------------------------------------------------------


def test_passing_on_needs_a_reason_and_goes_back_to_the_dispatcher(city, world, actor_of):
    operator, health = actor_of(world.operator), actor_of(world.health_officer)
    with clock.frozen(START) as advance:
        ticket = dispatched(actor_of(world.operator), city.district_a)
        with pytest.raises(DomainError) as refused:
            services.ticket_return(actor=health, ticket_id=ticket.pk, reason="")
        assert refused.value.field == "reason"
        assert Ticket.objects.get(pk=ticket.pk).state == TicketState.ASSIGNED
        # A department cannot pass it to another department itself.
        with pytest.raises((PermissionDenied, NotFound)):
            services.ticket_dispatch(
                actor=health, ticket_id=ticket.pk, department_code="police", reason="not ours"
            )
        advance(dt.timedelta(minutes=5))
        services.ticket_return(actor=health, ticket_id=ticket.pk, reason="a threat: police")
        ticket.refresh_from_db()
        assert ticket.state == TicketState.RETURNED
        assert list(selectors.dispatch_queue(actor=operator)) == [ticket]
        assert list(selectors.inbox(actor=health)) == []
        # Sending it on again needs the dispatcher's reason too.
        with pytest.raises(DomainError):
            services.ticket_dispatch(actor=operator, ticket_id=ticket.pk, department_code="police")
        services.ticket_dispatch(
            actor=operator, ticket_id=ticket.pk, department_code="police", reason="health: police"
        )
    ticket.refresh_from_db()
    assert (ticket.state, ticket.department_id) == (TicketState.ASSIGNED, world.police_a.pk)
    assert ticket.resolve_due == START + 2 * HOUR  # the clock still runs from the call
    assert actions(ticket) == ["registered", "dispatched", "returned", "reassigned"]
    returned = TicketEvent.objects.get(ticket=ticket, action="returned")
    assert (returned.reason, returned.department_code) == ("a threat: police", "health")
    # The former department no longer handles it; the new one does.
    with pytest.raises(NotFound):
        services.ticket_accept(actor=health, ticket_id=ticket.pk)
    services.ticket_accept(actor=actor_of(world.police_officer), ticket_id=ticket.pk)


def test_another_department_cannot_answer_a_ticket(city, world, actor_of):
    with clock.frozen(START):
        ticket = dispatched(actor_of(world.operator), city.district_a)
    for user in (world.police_officer, world.health_officer_b):
        with pytest.raises(NotFound):
            services.ticket_resolve(actor=actor_of(user), ticket_id=ticket.pk, answer="x")
    with pytest.raises(PermissionDenied):  # the hotline sees it but does not answer it
        services.ticket_resolve(actor=actor_of(world.operator), ticket_id=ticket.pk, answer="x")
    assert Ticket.objects.get(pk=ticket.pk).state == TicketState.ASSIGNED


def test_only_a_ticket_in_hand_is_resolved_or_accepted(city, world, actor_of):
    officer = actor_of(world.health_officer)
    with clock.frozen(START):
        ticket = dispatched(actor_of(world.operator), city.district_a)
        services.ticket_resolve(actor=officer, ticket_id=ticket.pk, answer="已处理")
        with pytest.raises(Conflict):
            services.ticket_accept(actor=officer, ticket_id=ticket.pk)
        with pytest.raises(Conflict):
            services.ticket_return(actor=officer, ticket_id=ticket.pk, reason="too late now")


# --- scoping by district --------------------------------------------------------------------


def test_district_b_sees_nothing_of_district_a(city, world, actor_of):
    with clock.frozen(START):
        ticket = dispatched(actor_of(world.operator), city.district_a)
    for user in (world.operator_b, world.health_officer_b):
        actor = actor_of(user)
        assert not services.tickets_visible(actor).exists()
        assert list(selectors.dispatch_queue(actor=actor)) == []
        assert list(selectors.inbox(actor=actor)) == []
        assert selectors.department_stats(actor=actor) == []
        with pytest.raises(NotFound):
            selectors.ticket_get(actor=actor, ticket_id=ticket.pk)
    with pytest.raises(NotFound):
        services.call_register(actor=actor_of(world.operator_b), area_id=city.district_a.id,
                               text="x")  # fmt: skip
    # The city's hotline and the commander see the whole city.
    assert selectors.ticket_get(actor=actor_of(world.commander), ticket_id=ticket.pk) == ticket


# --- the caller's rating --------------------------------------------------------------------


def test_the_caller_rates_the_answer_once_through_the_link(city, world, actor_of):
    officer = actor_of(world.health_officer)
    with clock.frozen(START):
        ticket = dispatched(actor_of(world.operator), city.district_a)
        ticket = services.ticket_resolve(actor=officer, ticket_id=ticket.pk, answer="已安排")
    token = ticket.rating_token
    assert len(token) >= 32 and token not in ticket.rating_token_digest
    with pytest.raises(DomainError):
        services.ticket_rate(token=token, satisfaction=6)
    with pytest.raises(NotFound):
        services.ticket_rate(token=token[:-1] + ("A" if token[-1] != "A" else "B"), satisfaction=5)
    rated = services.ticket_rate(token=token, satisfaction=4)
    assert (rated.state, rated.satisfaction) == (TicketState.CLOSED, 4)
    with pytest.raises(Conflict):
        services.ticket_rate(token=token, satisfaction=1)
    assert Ticket.objects.get(pk=ticket.pk).satisfaction == 4


# --- figures per department -----------------------------------------------------------------


def test_department_figures_on_a_known_set(city, world, actor_of):
    """Four health tickets (urgent_2h: respond in 30 min, answer in 2 h), from one call time:
    A responds at 10 min, answers at 60 min, rated 5;
    B responds at 40 min (late), answers at 3 h (late), rated 2;
    C responds at 20 min, answers at 90 min, rated 4;
    D is never answered (both deadlines passed by the time of the figures)."""
    operator, officer = actor_of(world.operator), actor_of(world.health_officer)
    with clock.frozen(START):
        a, b, c, d = (dispatched(operator, city.district_a) for _ in range(4))

    def at(minutes, step, ticket, **kwargs):
        with clock.frozen(START + dt.timedelta(minutes=minutes)):
            return step(actor=officer, ticket_id=ticket.pk, **kwargs)

    at(10, services.ticket_accept, a)
    at(60, services.ticket_resolve, a, answer="ok")
    at(40, services.ticket_accept, b)
    at(180, services.ticket_resolve, b, answer="ok")
    at(20, services.ticket_accept, c)
    at(90, services.ticket_resolve, c, answer="ok")
    for ticket, score in ((a, 5), (b, 2), (c, 4)):
        services.ticket_rate(token=Ticket.objects.get(pk=ticket.pk).rating_token,
                             satisfaction=score)  # fmt: skip
    services.tickets_sweep_clock(now=START + 4 * HOUR)
    [health] = selectors.department_stats(actor=actor_of(world.commander), now=START + 4 * HOUR)
    assert (health.code, health.tickets, health.open, health.breached) == ("health", 4, 1, 2)
    assert (health.responded_in_time, health.response_due) == (2, 4)
    assert health.response_rate == 0.5
    assert (health.resolved_in_time, health.resolve_due) == (2, 4)
    assert health.satisfaction_rate == round(2 / 3, 3)
    assert health.median_response_minutes == 20.0
    # Scoped: district B's health officer sees no figures of district A.
    assert selectors.department_stats(actor=actor_of(world.health_officer_b)) == []


def test_a_hotline_message_from_the_core_intake_gets_its_ticket_once(city, world):
    from crisisgov.opinion.intake import message_receive
    from crisisgov.opinion.tickets.services import ticket_from_message

    message = message_receive(
        channel="hotline", text="小区停水两天了", area_code=city.district_b.code
    ).message
    ticket = ticket_from_message(message_id=message.pk)
    assert (ticket.state, ticket.area_path, ticket.suggestions[0]["source"]) == (
        TicketState.NEW,
        city.district_b.path,
        "classifier",
    )
    assert ticket_from_message(message_id=message.pk) is None  # once
    post = message_receive(channel="post", text="小区停水两天了!", area_code=city.district_b.code)
    assert ticket_from_message(message_id=post.message.pk) is None  # not a hotline call


def test_a_reminder_before_the_first_response_deadline_when_the_class_allows(city, world, actor_of):
    """general_7d set to: respond within 24 hours, remind 4 hours ahead of each deadline."""
    TimeLimitClass.objects.filter(code="general_7d").update(reminder_before_hours=4)
    with clock.frozen(START):
        ticket = dispatched(actor_of(world.operator), city.district_a, "environment",
                            category="noise")  # fmt: skip
        urgent = dispatched(actor_of(world.operator), city.district_a)  # medical_help
    # urgent_2h reminds 30 minutes ahead of a 30-minute response deadline: that would be the
    # moment of the call, so the class allows no response reminder (only the answer's).
    assert services.tickets_sweep_clock(now=START + dt.timedelta(minutes=20)) == 0
    with clock.frozen(START + dt.timedelta(minutes=25)):
        services.ticket_resolve(actor=actor_of(world.health_officer), ticket_id=urgent.pk,
                                answer="已处理")  # fmt: skip
    assert not TicketEvent.objects.filter(ticket=urgent, action="reminded")

    assert services.tickets_sweep_clock(now=START + 19 * HOUR) == 0
    assert services.tickets_sweep_clock(now=START + 20 * HOUR) == 1  # 4 hours before 24
    assert services.tickets_sweep_clock(now=START + 21 * HOUR) == 0  # once
    ticket.refresh_from_db()
    assert ticket.response_reminded_at == START + 20 * HOUR and ticket.reminded_at is None
    reminder = OutboxEvent.objects.get(topic="opinion.ticket_reminder")
    assert reminder.payload["deadline"] == "response"
    assert reminder.payload["ticket_id"] == ticket.pk
    event = TicketEvent.objects.get(ticket=ticket, action="reminded")
    assert event.reason == "response"
    # Then the answer's reminder, 4 hours before the seventh day ends.
    assert services.tickets_sweep_clock(now=START + 7 * 24 * HOUR - 4 * HOUR) == 2  # +breach
    ticket.refresh_from_db()
    assert ticket.reminded_at == START + 7 * 24 * HOUR - 4 * HOUR


def test_no_response_reminder_once_the_department_has_responded(city, world, actor_of, make_user):
    TimeLimitClass.objects.filter(code="general_7d").update(reminder_before_hours=4)
    with clock.frozen(START):
        ticket = dispatched(actor_of(world.operator), city.district_a, "environment",
                            category="noise")  # fmt: skip
    environment = department_desk(code="environment", area_path=city.district_a.path)
    officer = actor_of(desk_officer(make_user, environment, city.district_a))
    with clock.frozen(START + HOUR):
        services.ticket_accept(actor=officer, ticket_id=ticket.pk)
    assert services.tickets_sweep_clock(now=START + 20 * HOUR) == 0
    assert Ticket.objects.get(pk=ticket.pk).response_reminded_at is None


def test_editing_a_category_changes_the_top_suggestion_for_it(city, world, actor_of):
    """The rule hint comes from the catalogue in the database, not the dataset's defaults."""
    operator = actor_of(world.operator)
    text = "请相关部门尽快来人处理一下，谢谢"  # says nothing of which department
    with clock.frozen(START):
        before = call(operator, city.district_a, text=text, category="noise")
    assert before.suggestions[0]["department"] == "environment"
    category_set(actor=SYSTEM, code="noise", department_code="housing", area_level="district",
                 time_limit="general_7d")  # fmt: skip
    with clock.frozen(START):
        after = call(operator, city.district_a, text=text, category="noise")
    assert after.suggestions[0]["department"] == "housing"
    assert after.suggestions[0]["source"] == "classifier+rule"
