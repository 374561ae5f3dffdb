"""Push subscriptions: records accepted into a dataset are POSTed to the consumers that hold an
agreement on it, signed, retried with backoff, and parked on a dead-letter list they can replay.

The outbox drives it. An import publishes `exchange.records_changed`; its handler
(`exchange.handlers`) calls `subscriptions_deliver`, which writes one `WebhookDelivery` per page
of changes and active subscription, inside the outbox's transaction, so each event creates its
deliveries exactly once even if a worker dies. `webhook_send_due` (the `send_webhooks` task, or
`crisisgov exchange deliver`) sends what is due. A delivery stores only its change range: the
body is rebuilt from the records at send time under the agreement's current rules, so this
table holds no personal data and a revoked or expired agreement stops releasing at once.

Sending is at least once (a receiver may see a page twice, after a lost answer): receivers
deduplicate on `X-CrisisGov-Delivery` or on the change ids in the body.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import logging
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from itertools import batched
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from crisisgov.directory.facade import actor_for_user
from crisisgov.exchange.agreements import FEED_PAGE_MAX, audit_shared_read, feed_page
from crisisgov.exchange.models import (
    AgreementStatus,
    DeliveryStatus,
    RecordChange,
    SharingAgreement,
    Subscription,
    WebhookDelivery,
)
from crisisgov.exchange.permissions import ExchangePermission
from crisisgov.kernel.actor import SYSTEM, Actor
from crisisgov.kernel.audit import audit_record
from crisisgov.kernel.errors import Conflict, DomainError, NotFound
from crisisgov.kernel.pii_logging import redact
from crisisgov.kernel.signing import body_signature as sign

logger = logging.getLogger(__name__)

PAGE_SIZE = 500  # changes per delivery (at most FEED_PAGE_MAX)
TIMEOUT_SECONDS = 10
MAX_ATTEMPTS = 8
# A claimed delivery is not due again until the send has had time to finish (or crash).
LEASE = dt.timedelta(seconds=TIMEOUT_SECONDS * 6)
MAX_SUBSCRIPTIONS = 5  # active ones per agreement
SIGNATURE_HEADER = "X-CrisisGov-Signature"


@dataclass(frozen=True)
class NewSubscription:
    subscription: Subscription
    secret: str  # the HMAC key: shown to the consumer now, and never again


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait after the `attempts`-th failure: 1 min, 2, 4 ... at most an hour."""
    return dt.timedelta(minutes=min(2 ** (attempts - 1), 60))


def _check_url(url: str) -> str:
    """https anywhere; plain http only to this machine, and only where allowed (development,
    tests): a production receiver gets personal data, which never crosses a network in clear."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise DomainError("the address must be an https:// URL", field="url")
    if parts.username or parts.password:
        raise DomainError(
            "put no credentials in the address: the signature authenticates", field="url"
        )
    if parts.scheme == "http":
        allowed = getattr(settings, "WEBHOOK_ALLOW_LOOPBACK_HTTP", settings.DEBUG)
        if not (allowed and _is_loopback(parts.hostname)):
            raise DomainError(
                "plain http is refused: use https (http is allowed only to this machine, "
                "in development)",
                field="url",
            )
    return url


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _held(actor: Actor) -> object:
    """The agreements the actor's organisation holds as a consumer."""
    return SharingAgreement.objects.for_actor(actor, ExchangePermission.READ_SHARED)


def subscription_create(*, actor: Actor, agreement_id: int, url: str) -> NewSubscription:
    """A consumer asks for new records to be pushed to `url`. The scope rules are the pull
    feed's; pushing starts after the newest change so far (the subscription's cursor), and
    what came before is read through the feed."""
    with transaction.atomic():
        agreement = _held(actor).select_for_update(of=("self",)).filter(pk=agreement_id).first()
        if agreement is None:
            raise NotFound("no such agreement", field="agreement_id")
        if agreement.status != AgreementStatus.APPROVED:
            raise Conflict(f"the agreement is {agreement.status}", field="agreement_id")
        if agreement.valid_until <= timezone.now():
            raise Conflict("the agreement has expired", field="agreement_id")
        url = _check_url(url)
        if agreement.subscriptions.filter(active=True).count() >= MAX_SUBSCRIPTIONS:
            raise Conflict(
                f"an agreement has at most {MAX_SUBSCRIPTIONS} subscriptions", field="url"
            )
        newest = (
            RecordChange.objects.filter(dataset_id=agreement.dataset_id)
            .order_by("-id")
            .values_list("id", flat=True)
            .first()
        )
        secret = secrets.token_urlsafe(32)
        subscription = Subscription.objects.create(
            agreement=agreement,
            url=url,
            secret=secret,
            cursor=newest or 0,
            created_by_id=actor.user_id,
        )
        audit_record(
            actor=actor,
            action="exchange.subscription_created",
            permission=ExchangePermission.READ_SHARED,
            target_type="exchange.subscription",
            target_id=subscription.pk,
            area_path=agreement.consumer_area_path,
            purpose=agreement.purpose,
            # The host only: a query string may carry the receiver's own token.
            detail={"agreement_id": agreement.pk, "host": urlsplit(url).hostname},
        )
    return NewSubscription(subscription=subscription, secret=secret)


def subscriptions_deliver(*, dataset_id: int, first_change: int, last_change: int) -> int:
    """Owe every active subscription on the dataset the changes first..last, in pages.

    Called by the outbox handler, in its transaction: the rows are created once per event.
    Subscriptions of agreements that are not approved, or have expired, are owed nothing.
    Returns how many deliveries were created.
    """
    now = timezone.now()
    subscriptions = list(
        Subscription.objects.filter(
            active=True,
            agreement__dataset_id=dataset_id,
            agreement__status=AgreementStatus.APPROVED,
            agreement__valid_until__gt=now,
        )
    )
    if not subscriptions:
        return 0
    ids = (
        RecordChange.objects.filter(
            dataset_id=dataset_id, id__gte=first_change, id__lte=last_change
        )
        .order_by("id")
        .values_list("id", flat=True)
    )
    pages = [(page[0], page[-1]) for page in batched(ids.iterator(), PAGE_SIZE)]
    deliveries = [
        WebhookDelivery(
            subscription=subscription, first_change=first, last_change=last, next_attempt_at=now
        )
        for subscription in subscriptions
        for first, last in pages
        if last > subscription.cursor  # a subscription made after these changes
    ]
    # ignore_conflicts: a range already owed (one delivery per range) is not owed twice.
    WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    if deliveries:
        transaction.on_commit(_enqueue_send)
    return len(deliveries)


def _enqueue_send(run_after: dt.datetime | None = None) -> None:
    from crisisgov.exchange.tasks import send_webhooks

    try:
        (send_webhooks.using(run_after=run_after) if run_after else send_webhooks).enqueue()
    except Exception:  # `crisisgov exchange deliver` or the next task picks it up
        logger.exception("could not enqueue webhook sending")


def webhook_send_due(*, limit: int = 100) -> int:
    """Send the deliveries that are due (new ones and retries); returns how many were tried."""
    due = (
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    return sum(_send_one(delivery_id) for delivery_id in list(due))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is a failure: following it would send the records somewhere unagreed."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    """POST the body; (status code or None, an error text or "")."""
    if urlsplit(url).scheme not in ("https", "http"):  # checked at creation; never file:
        return None, "the address is not http(s)"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return None, f"{type(exc).__name__}: {exc}"


def _send_one(delivery_id: int) -> bool:
    """Claim one due delivery, POST its page and record the outcome; False if not claimed."""
    now = timezone.now()
    # Compare-and-set on the due time: one worker wins; the HTTP call holds no lock.
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + LEASE)
    if not claimed:
        return False
    try:
        _attempt(delivery_id, now)
    except Exception as exc:  # our fault (a key, the database): counted as a failed attempt
        logger.exception("webhook delivery %s could not be attempted", delivery_id)
        with transaction.atomic():
            delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
            _fail(delivery, status_code=None, error=f"{type(exc).__name__}: {exc}")
    return True


def _attempt(delivery_id: int, now: dt.datetime) -> None:
    delivery = WebhookDelivery.objects.select_related(
        "subscription__agreement", "subscription__created_by"
    ).get(pk=delivery_id)
    subscription = delivery.subscription
    agreement = subscription.agreement
    refusal = _refusal(subscription, agreement, now)
    if refusal:
        with transaction.atomic():
            _fail(delivery, status_code=None, error=refusal, dead=True)
        return
    after = delivery.first_change - 1
    page = feed_page(agreement, after=after, upto=delivery.last_change, limit=FEED_PAGE_MAX)
    if not page.items:  # none of these changes lies in the agreed areas: nothing is released
        with transaction.atomic():
            _delivered(delivery, status_code=None)
        return
    timestamp = str(int(now.timestamp()))
    body = json.dumps(
        {
            "delivery": delivery.pk,
            "agreement": agreement.pk,
            "purpose": agreement.purpose,
            "timestamp": timestamp,  # in the body too, so the signature covers it
            "first_change": delivery.first_change,
            "last_change": delivery.last_change,
            "items": page.items,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    status, error = _post(
        subscription.url,
        body,
        {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "CrisisGov-Webhook/1",
            SIGNATURE_HEADER: sign(subscription.secret, body),
            "X-CrisisGov-Delivery": str(delivery.pk),
            "X-CrisisGov-Timestamp": timestamp,
        },
    )
    with transaction.atomic():
        if status is not None and 200 <= status < 300:
            _delivered(delivery, status_code=status)
            audit_shared_read(
                actor=_actor(subscription),
                agreement=agreement,
                records=len(page.items),
                after=after,
                channel="webhook",
                delivery=delivery.pk,
            )
        else:
            _fail(delivery, status_code=status, error=error)


def _refusal(subscription: Subscription, agreement: SharingAgreement, now: dt.datetime) -> str:
    if not subscription.active:
        return "the subscription is inactive"
    if agreement.status != AgreementStatus.APPROVED:
        return f"the agreement is {agreement.status}"
    if agreement.valid_until <= now:
        return "the agreement has expired"
    return ""


def _actor(subscription: Subscription) -> Actor:
    """Pushed pages are read on behalf of the officer who subscribed; the entry names them."""
    if subscription.created_by is None:
        return SYSTEM
    return actor_for_user(subscription.created_by)


def _delivered(delivery: WebhookDelivery, *, status_code: int | None) -> None:
    delivery.status = DeliveryStatus.DELIVERED
    delivery.attempts += 1 if status_code is not None else 0
    delivery.last_status_code = status_code
    delivery.last_error = ""
    delivery.delivered_at = timezone.now()
    delivery.save()
    # Deliveries may succeed out of order (retries): the cursor only moves forward.
    Subscription.objects.filter(
        pk=delivery.subscription_id, cursor__lt=delivery.last_change
    ).update(cursor=delivery.last_change)


def _fail(
    delivery: WebhookDelivery, *, status_code: int | None, error: str, dead: bool = False
) -> None:
    if not dead:
        delivery.attempts += 1
    delivery.last_status_code = status_code
    delivery.last_error = redact(error)[:500]  # an error text may quote a number
    if dead or delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.DEAD
        logger.warning("webhook delivery %s is dead: %s", delivery.pk, delivery.last_error)
    else:
        delivery.next_attempt_at = timezone.now() + backoff(delivery.attempts)
        due = delivery.next_attempt_at
        transaction.on_commit(lambda: _enqueue_send(run_after=due))
    delivery.save()


def _subscription_held(actor: Actor, subscription_id: int) -> Subscription:
    subscription = Subscription.objects.filter(
        pk=subscription_id, agreement__in=_held(actor)
    ).first()
    if subscription is None:
        raise NotFound("no such subscription", field="subscription_id")
    return subscription


def webhook_dead_letters(*, actor: Actor, subscription_id: int) -> list[WebhookDelivery]:
    """For the consumer: the deliveries given up on, oldest first, to replay."""
    subscription = _subscription_held(actor, subscription_id)
    return list(subscription.deliveries.filter(status=DeliveryStatus.DEAD).order_by("id")[:1000])


def webhook_replay(*, actor: Actor, delivery_id: int) -> WebhookDelivery:
    """The consumer re-queues a dead delivery: it is sent again now, with a fresh budget of
    attempts, under the agreement's rules as they stand then."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("subscription__agreement")
            .filter(pk=delivery_id, subscription__agreement__in=_held(actor))
            .first()
        )
        if delivery is None:
            raise NotFound("no such delivery", field="delivery_id")
        if delivery.status != DeliveryStatus.DEAD:
            raise Conflict(f"the delivery is {delivery.status}", field="delivery_id")
        delivery.status = DeliveryStatus.PENDING
        delivery.attempts = 0
        delivery.next_attempt_at = timezone.now()
        delivery.save()
        agreement = delivery.subscription.agreement
        audit_record(
            actor=actor,
            action="exchange.webhook_replayed",
            permission=ExchangePermission.READ_SHARED,
            target_type="exchange.webhookdelivery",
            target_id=delivery.pk,
            area_path=agreement.consumer_area_path,
            purpose=agreement.purpose,
            detail={"subscription_id": delivery.subscription_id},
        )
        transaction.on_commit(_enqueue_send)
    return delivery


def subscription_list(*, actor: Actor) -> list[Subscription]:
    """For the consumer: the subscriptions of the agreements their organisation holds."""
    return list(
        Subscription.objects.filter(agreement__in=_held(actor))
        .select_related("agreement")
        .order_by("-active", "id")[:1000]
    )


def subscription_deactivate(*, actor: Actor, subscription_id: int) -> Subscription:
    """Stop pushing: nothing more is owed, and what is pending is not sent (the pull feed is
    still there to catch up)."""
    with transaction.atomic():
        subscription = _subscription_held(actor, subscription_id)
        if subscription.active:
            subscription.active = False
            subscription.save(update_fields=["active"])
            _audit_subscription(actor, subscription, "exchange.subscription_deactivated")
    return subscription


def subscription_rotate_secret(*, actor: Actor, subscription_id: int) -> NewSubscription:
    """A new signing secret, shown once (e.g. after the old one leaked); the old one stops
    signing at once."""
    with transaction.atomic():
        subscription = _subscription_held(actor, subscription_id)
        if not subscription.active:
            raise Conflict("the subscription is inactive", field="subscription_id")
        secret = secrets.token_urlsafe(32)
        subscription.secret = secret
        subscription.save(update_fields=["secret"])
        _audit_subscription(actor, subscription, "exchange.subscription_secret_rotated")
    return NewSubscription(subscription=subscription, secret=secret)


def _audit_subscription(actor: Actor, subscription: Subscription, action: str) -> None:
    agreement = subscription.agreement
    audit_record(
        actor=actor,
        action=action,
        permission=ExchangePermission.READ_SHARED,
        target_type="exchange.subscription",
        target_id=subscription.pk,
        area_path=agreement.consumer_area_path,
        purpose=agreement.purpose,
        detail={"agreement_id": agreement.pk},
    )
