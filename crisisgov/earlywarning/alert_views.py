"""The alert inbox page (triage, and publishing confirmed alerts as CAP), and the public CAP
outputs: each message's XML and the Atom feed of them."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crisisgov.earlywarning import alerts, cap
from crisisgov.earlywarning.models import AlertStatus
from crisisgov.kernel.errors import DomainError, NotFound
from crisisgov.kernel.http import actor_of, not_found_as_404

CAP_CONTENT_TYPE = "application/cap+xml; charset=utf-8"
TRIAGE = {
    "confirm": alerts.alert_confirm,
    "dismiss": alerts.alert_dismiss,
    "escalate": alerts.alert_escalate,
}
CAP_ACTIONS = {"publish": "Alert", "update": "Update", "cancel": "Cancel"}


def _context(request: HttpRequest, errors: dict) -> dict:
    actor = actor_of(request)
    rows = []
    for alert in alerts.alert_inbox(actor=actor):
        messages = sorted(alert.cap_messages.all(), key=lambda m: (m.sent, m.pk))
        rows.append(
            {
                "alert": alert,
                "may_triage": alerts.may_triage(actor, alert) and alert.status in alerts.OPEN,
                "may_publish": alerts.may_triage(actor, alert)
                and alert.status == AlertStatus.CONFIRMED
                and not (messages and messages[-1].msg_type == "Cancel"),
                "messages": messages,
                "escalated_to": alert.detail.get("escalated_to", ""),
            }
        )
    return {"rows": rows, "errors": errors}


@require_GET
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    return render(request, "earlywarning/alerts.html", _context(request, {}))


@require_POST
@login_required
@not_found_as_404
def alert_action(request: HttpRequest, alert_id: int) -> HttpResponse:
    """One triage decision, or one CAP message (publish, update, cancel)."""
    actor = actor_of(request)
    action = request.POST.get("action", "")
    reason = request.POST.get("reason", "")[:500]
    try:
        if action in TRIAGE:
            TRIAGE[action](actor=actor, alert_id=alert_id, reason=reason)
        elif action in CAP_ACTIONS:
            cap.cap_publish(
                actor=actor,
                alert_id=alert_id,
                msg_type=CAP_ACTIONS[action],
                note=reason,
                web=request.build_absolute_uri(reverse("earlywarning:cap-feed")),
            )
        else:
            raise DomainError(_("Choose an action."), field="action")
    except NotFound:
        raise
    except DomainError as error:
        context = _context(request, {alert_id: error.message})
        return render(request, "earlywarning/alerts.html", context, status=error.status_code)
    return redirect(reverse("earlywarning:alerts") + f"#alert-{alert_id}")


@require_GET
def cap_xml(request: HttpRequest, identifier: str) -> HttpResponse:
    """A published CAP message as sent (public: published alerts are public by definition)."""
    message = cap.cap_message(identifier)
    if message is None:
        raise Http404("no such CAP message")
    return HttpResponse(message.xml.encode(), content_type=CAP_CONTENT_TYPE)


@require_GET
def cap_feed(request: HttpRequest) -> HttpResponse:
    """The Atom feed of published CAP messages, for other systems to poll."""
    body = cap.cap_feed(
        feed_url=request.build_absolute_uri(reverse("earlywarning:cap-feed")),
        xml_url=lambda identifier: request.build_absolute_uri(
            reverse("earlywarning:cap-xml", args=[identifier])
        ),
    )
    return HttpResponse(body, content_type="application/atom+xml; charset=utf-8")
