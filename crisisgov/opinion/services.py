"""Public opinion: writes other than intake (intake.py), imports (imports.py), webhooks
(webhooks.py) and alarms (alarms.py): partner sources, the audited read of a message's whole
text, and retention."""

from __future__ import annotations

import datetime as dt
import secrets

import numpy as np
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone

from crisisgov.geo.facade import area_for_actor
from crisisgov.kernel.actor import SYSTEM, Actor
from crisisgov.kernel.audit import audit_record
from crisisgov.kernel.errors import Conflict, DomainError, NotFound, PermissionDenied
from crisisgov.opinion import understanding as u
from crisisgov.opinion.models import Channel, Message, Source, Topic
from crisisgov.opinion.permissions import OpinionPermission

EXPIRE_BATCH = 1000


def source_create(*, actor: Actor, name: str, channel: str, area_id: int) -> tuple[Source, str]:
    """Register a partner platform (channel webhook: returns its new signing secret, shown
    once) or a social-media export source, in an area the actor imports for. Audited."""
    name = (name or "").strip()
    if not name or len(name) > 100 or not name.replace("-", "").replace("_", "").isalnum():
        raise DomainError(
            "the name is 1-100 letters, digits, - or _ (it is part of the webhook's URL)",
            field="name",
        )
    if channel not in (Channel.WEBHOOK, Channel.SOCIAL):
        raise DomainError("a source is a webhook or a social-media export", field="channel")
    area = area_for_actor(actor=actor, area_id=area_id, action=OpinionPermission.IMPORT_MESSAGES)
    secret = secrets.token_urlsafe(32) if channel == Channel.WEBHOOK else ""
    with transaction.atomic():
        if Source.objects.filter(name=name).exists():
            raise Conflict("a source of this name exists", field="name")
        source = Source.objects.create(
            name=name, channel=channel, area_id=area.id, area_path=area.path, webhook_secret=secret
        )
        audit_record(
            actor=actor,
            action="opinion.source_created",
            permission=OpinionPermission.IMPORT_MESSAGES,
            target_type="opinion.source",
            target_id=source.pk,
            area_path=source.area_path,
            detail={"name": name, "channel": channel},
        )
    return source, secret


def _source_managed(actor: Actor, name: str) -> Source:
    """A source of the actor's import areas, locked (NotFound for any other)."""
    source = (
        Source.objects.for_actor(actor, OpinionPermission.IMPORT_MESSAGES)
        .select_for_update()
        .filter(name=(name or "").strip())
        .first()
    )
    if source is None:
        raise NotFound("no such source", field="name")
    return source


def source_rotate_secret(*, actor: Actor, name: str) -> tuple[Source, str]:
    """A partner platform's new signing secret (shown once); the old one stops working at
    once. Audited (never the secret)."""
    with transaction.atomic():
        source = _source_managed(actor, name)
        if source.channel != Channel.WEBHOOK:
            raise DomainError("only a partner platform (webhook) has a secret", field="name")
        if not source.active:
            raise Conflict("the source is deactivated", field="name")
        secret = secrets.token_urlsafe(32)
        source.webhook_secret = secret
        source.save(update_fields=["webhook_secret"])
        audit_record(
            actor=actor,
            action="opinion.source_secret_rotated",
            permission=OpinionPermission.IMPORT_MESSAGES,
            target_type="opinion.source",
            target_id=source.pk,
            area_path=source.area_path,
            detail={"name": source.name},
        )
    return source, secret


def source_deactivate(*, actor: Actor, name: str, reason: str = "") -> Source:
    """Stop a source: its deliveries are refused (401, like a wrong secret) and its secret is
    wiped; its messages stay. Idempotent. Audited."""
    with transaction.atomic():
        source = _source_managed(actor, name)
        if not source.active:
            return source
        source.active = False
        source.webhook_secret = ""
        source.save(update_fields=["active", "webhook_secret"])
        audit_record(
            actor=actor,
            action="opinion.source_deactivated",
            permission=OpinionPermission.IMPORT_MESSAGES,
            target_type="opinion.source",
            target_id=source.pk,
            area_path=source.area_path,
            detail={"name": source.name, "reason": (reason or "").strip()[:200]},
        )
    return source


def message_whole_read(*, actor: Actor, message_id: int, purpose: str) -> str:
    """The message's whole text (personal data not redacted), for the handler of its ticket
    only (the tickets sub-app's `is_handler`: the assigned department's officers, or those it
    was escalated to). Anyone else, and every message without a ticket, gets NotFound: the
    answer about a message that does not exist. Every read is audited."""
    from crisisgov.opinion.tickets.models import Ticket
    from crisisgov.opinion.tickets.services import is_handler

    purpose = (purpose or "").strip()
    if not purpose:
        raise DomainError("say why you read the whole text", field="purpose")
    tickets = Ticket.objects.select_related("message", "escalated_to")
    ticket = tickets.filter(message_id=message_id).first()
    if ticket is None or not is_handler(actor, ticket):
        raise NotFound("no such message", field="message_id")
    message = ticket.message
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="opinion.message_whole_read",
            permission=OpinionPermission.HANDLE_TICKETS,
            target_type="opinion.message",
            target_id=message.pk,
            area_path=message.area_path,
            purpose=purpose[:200],
            fields_read=["text_sealed"],
        )
    return message.text_sealed


def messages_expire(*, today: dt.date | None = None) -> int:
    """Delete the messages whose retention ended before `today`, in batches; one audit entry
    per run that deleted any. A message another record still protects stays until it is
    released. Returns how many were deleted."""
    today = today or timezone.localdate()
    deleted, protected = 0, set()
    while True:
        ids = list(
            Message.objects.filter(keep_until__lt=today)
            .exclude(pk__in=protected)
            .values_list("pk", flat=True)[:EXPIRE_BATCH]
        )
        if not ids:
            break
        try:
            with transaction.atomic():
                Message.objects.filter(pk__in=ids).delete()
            deleted += len(ids)
        except ProtectedError:
            for pk in ids:  # one by one: keep only those still protected
                try:
                    with transaction.atomic():
                        Message.objects.filter(pk=pk).delete()
                    deleted += 1
                except ProtectedError:
                    protected.add(pk)
    if deleted:
        with transaction.atomic():
            audit_record(
                actor=SYSTEM,
                action="opinion.messages_expired",
                target_type="opinion.message",
                detail={"deleted": deleted, "kept_protected": len(protected), "before": str(today)},
            )
    return deleted


def topics_relabel(*, now: dt.datetime | None = None, per_topic: int = 50, limit: int = 200) -> int:
    """Label the topics seen in the last day by class-based TF-IDF over their newest redacted
    texts, against each other (a topic is labelled by what sets it apart). Returns how many
    labels changed."""
    now = now or timezone.now()
    recent = list(
        Topic.objects.filter(last_seen_at__gte=now - dt.timedelta(days=1))
        .order_by("-last_seen_at")
        .values_list("id", flat=True)[:limit]
    )
    texts = {
        topic_id: list(
            Message.objects.filter(topic_id=topic_id, duplicate_of__isnull=True)
            .order_by("-posted_at")
            .values_list("text", flat=True)[:per_topic]
        )
        for topic_id in recent
    }
    texts = {k: v for k, v in texts.items() if v}
    if len(texts) < 2:
        return 0  # one topic has nothing to be set apart from
    changed = 0
    named = set(Topic.objects.filter(pk__in=texts, labels_fixed=True).values_list("pk", flat=True))
    for topic_id, label in u.topic_labels(texts).items():
        fields = {
            "label_zh": label.label_zh[:200],
            "label_en": label.label_en[:200],
            "keywords": label.keywords,
        }
        if topic_id in named:
            fields = {"keywords": label.keywords}  # an analyst's name stays
        changed += Topic.objects.filter(pk=topic_id).exclude(**fields).update(**fields)
    return changed


# --- curating topics ---------------------------------------------------------------------------

MAX_LABEL = 200
P = OpinionPermission


def curator_required(actor: Actor) -> Actor:
    """Topics are the city's (one stream, one set of topics): curated from a city-level scope."""
    from crisisgov.geo.facade import PATH_DIGITS, Level

    city = PATH_DIGITS[Level.CITY]
    if actor.is_system or any(
        len(scope.area_path) <= city for scope in actor.scopes_for(P.CURATE_TOPICS)
    ):
        return actor
    raise PermissionDenied(f"this needs the {P.CURATE_TOPICS} permission at the city")


def can_curate(actor: Actor) -> bool:
    try:
        curator_required(actor)
    except PermissionDenied:
        return False
    return True


def topic_confirm(*, actor: Actor, topic_id: int, label_zh: str = "", label_en: str = "") -> Topic:
    """A candidate topic becomes a confirmed one, optionally under the analyst's own name (kept
    from then on; the periodic relabelling updates only its keywords). Audited."""
    curator_required(actor)
    labels = {}
    for field, value in (("label_zh", label_zh), ("label_en", label_en)):
        value = (value or "").strip()
        if len(value) > MAX_LABEL:
            raise DomainError(f"at most {MAX_LABEL} characters", field=field)
        if value:
            labels[field] = value
    with transaction.atomic():
        topic = Topic.objects.select_for_update().filter(pk=topic_id).first()
        if topic is None:
            raise NotFound("no such topic", field="topic_id")
        for field, value in labels.items():
            setattr(topic, field, value)
        topic.candidate = False
        topic.labels_fixed = topic.labels_fixed or bool(labels)
        topic.save(update_fields=["candidate", "labels_fixed", "label_zh", "label_en"])
        audit_record(
            actor=actor, action="opinion.topic_confirmed", permission=P.CURATE_TOPICS,
            target_type="opinion.topic", target_id=topic.pk, detail={"renamed": sorted(labels)},
        )  # fmt: skip
    return topic


def topic_merge(*, actor: Actor, topic_id: int, into_id: int, reason: str) -> Topic:
    """Two topics found online are one subject: the first's messages, hot-spot counts and
    alarms move to the second, whose centroid becomes the size-weighted mean of both, and the
    first is deleted. Every analyser picks the change up with its next batch (the topics'
    version moves). Audited with the reason."""
    curator_required(actor)
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise DomainError("give a reason (a few words at least)", field="reason")
    if topic_id == into_id:
        raise DomainError("a topic cannot be merged into itself", field="into")
    with transaction.atomic():
        topics = Topic.objects.select_for_update().in_bulk([topic_id, into_id])
        source, target = topics.get(topic_id), topics.get(into_id)
        if source is None:
            raise NotFound("no such topic", field="topic_id")
        if target is None:
            raise NotFound("no such topic", field="into")
        moved = Message.objects.filter(topic=source).update(topic=target)
        _bins_move(source, target)
        source.alarms.update(topic=target)
        weights = np.array([source.size, target.size], dtype=np.float32).clip(min=1)
        both = np.vstack([np.frombuffer(bytes(t.centroid), np.float32) for t in (source, target)])
        target.centroid = u.unit(weights @ both).astype(np.float32).tobytes()
        target.size += source.size
        target.candidate = False
        target.last_seen_at = max(
            filter(None, [source.last_seen_at, target.last_seen_at]), default=None
        )
        target.save(update_fields=["centroid", "size", "candidate", "last_seen_at"])
        source.delete()
        audit_record(
            actor=actor, action="opinion.topics_merged", permission=P.CURATE_TOPICS,
            target_type="opinion.topic", target_id=target.pk,
            detail={"merged": topic_id, "messages": moved, "reason": reason[:500]},
        )  # fmt: skip
    return target


def _bins_move(source: Topic, target: Topic) -> None:
    """The source's 15-minute counts added to the target's (same area, same bin)."""
    from crisisgov.opinion.analyser import bin_add
    from crisisgov.opinion.models import HotspotBin

    bins = HotspotBin.objects.filter(topic=source)
    for path, start, count in bins.values_list("area_path", "start", "count"):
        bin_add(target.pk, path, start, count)
    bins.delete()
