"""Public opinion: the messages of every channel, once normalised, redacted and understood, and
the topics they fall into. Rumors (`opinion.rumors`) and tickets (`opinion.tickets`) hang
their own records on a message."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crisisgov.kernel.fields import EncryptedTextField
from crisisgov.kernel.scoping import ScopedManager


class Channel(models.TextChoices):
    POST = "post", _("citizen post")
    COMMENT = "comment", _("comment")
    HOTLINE = "hotline", _("hotline ticket")
    SOCIAL = "social", _("social media export")
    WEBHOOK = "webhook", _("partner platform")


class Language(models.TextChoices):
    ZH = "zh", _("Chinese")
    EN = "en", _("English")
    OTHER = "other", _("other language (kept, not analysed)")
    UNKNOWN = "und", _("no language (empty, numbers or symbols only)")


class Sentiment(models.TextChoices):
    NEGATIVE = "negative", _("negative")
    NEUTRAL = "neutral", _("neutral")
    POSITIVE = "positive", _("positive")


class Source(models.Model):
    """Where messages come from besides the public form and the hotline: a partner platform's
    webhook (with its signing secret) or a social-media export imported as CSV."""

    name = models.CharField(max_length=100, unique=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    area = models.ForeignKey("geo.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=21)
    webhook_secret = EncryptedTextField(blank=True)  # HMAC-SHA256 key of signed deliveries
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()
    scope_area_path_field = "area_path"

    def __str__(self) -> str:
        return self.name


class Topic(models.Model):
    """A topic found online: nearest centroid of the messages' embeddings; a new one opens as a
    candidate when nothing fits. Labels from class-based TF-IDF (zh tokens by jieba)."""

    label_zh = models.CharField(max_length=200, blank=True)
    label_en = models.CharField(max_length=200, blank=True)
    keywords = models.JSONField(default=list)
    centroid = models.BinaryField()  # float32, L2-normalised
    size = models.PositiveIntegerField(default=0)
    candidate = models.BooleanField(default=True)  # opened automatically, not yet confirmed
    # An analyst named it: the periodic relabelling leaves its labels alone (keywords move on).
    labels_fixed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen_at", "-id"]

    def __str__(self) -> str:
        return self.label_en or self.label_zh or f"topic {self.pk}"


class Message(models.Model):
    """One message of any channel. `text` is the normalised text with personal data redacted
    (phones, ID numbers, addresses): what the board and analysts see. The whole text is kept
    encrypted for the handler of its ticket only (`text_sealed`, read audited)."""

    channel = models.CharField(max_length=10, choices=Channel.choices)
    source = models.ForeignKey(Source, null=True, blank=True, on_delete=models.PROTECT)
    external_id = models.CharField(max_length=100, blank=True)  # the source's id: idempotent
    area = models.ForeignKey(
        "geo.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    area_path = models.CharField(max_length=21, blank=True)  # "" = not resolved (city level)
    posted_at = models.DateTimeField()  # when the author wrote it (the source's clock)
    received_at = models.DateTimeField(auto_now_add=True)
    language = models.CharField(max_length=5, choices=Language.choices)
    text = models.TextField()  # normalised and redacted
    text_sealed = EncryptedTextField(blank=True)  # normalised, not redacted
    pii_kinds = models.CharField(max_length=100, blank=True)  # "phone,id_number,address"
    fingerprint = models.BigIntegerField(default=0)  # SimHash of the normalised text
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    duplicate_count = models.PositiveIntegerField(default=0)  # near-duplicates collapsed here
    parent = models.ForeignKey(  # a comment's post
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="comments"
    )
    embedding = models.BinaryField(null=True, blank=True)  # float16, L2-normalised
    topic = models.ForeignKey(Topic, null=True, blank=True, on_delete=models.SET_NULL)
    sentiment = models.CharField(max_length=10, choices=Sentiment.choices, blank=True)
    # The analysis stage (analyser.py) fills embedding, topic and sentiment in micro-batches:
    # None until then. `claim` and `claimed_at` mark a batch an analyser is working on.
    analysed_at = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=16, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    keep_until = models.DateField()  # retention: deleted by the nightly sweep after this day

    objects = ScopedManager()
    scope_area_path_field = "area_path"

    class Meta:
        ordering = ["-posted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~models.Q(external_id=""),
                name="opinion_message_once_per_source",
            )
        ]
        indexes = [
            models.Index(fields=["area_path", "posted_at"], name="opinion_msg_area_time"),
            models.Index(fields=["topic", "posted_at"], name="opinion_msg_topic_time"),
            models.Index(fields=["fingerprint"], name="opinion_msg_fingerprint"),
            models.Index(fields=["keep_until"], name="opinion_msg_retention"),
            models.Index(
                fields=["id"], condition=models.Q(analysed_at=None), name="opinion_msg_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} message {self.pk}"


class FingerprintBand(models.Model):
    """One of the five bands (13 or 12 bits) of a message's SimHash. Two fingerprints within
    the near-duplicate distance (8) differ by at most 1 bit in one band (pigeonhole), so the
    candidates of a new message are found by one indexed lookup of each band's value and its
    neighbours within 1 bit (understanding.band_probes), within the time window: not a scan.
    Only originals are indexed: a duplicate points at the original."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    band = models.PositiveSmallIntegerField()
    value = models.PositiveIntegerField()
    posted_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["band", "value", "posted_at"], name="opinion_band_lookup"),
        ]

    def __str__(self) -> str:
        return f"message {self.message_id} band {self.band} = {self.value}"


class HotspotBin(models.Model):
    """How many messages of a topic arrived in an area (a district, or the city when the
    message named no district) in one 15-minute bin. Near-duplicates count: a repost is
    volume. Kept as counters, written on intake, so the board and the detector read a few
    hundred rows instead of counting messages."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="bins")
    area_path = models.CharField(max_length=21)
    start = models.DateTimeField()  # the bin's start, on a 15-minute boundary
    count = models.PositiveIntegerField(default=0)

    objects = ScopedManager()
    scope_area_path_field = "area_path"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["topic", "area_path", "start"], name="opinion_bin_once")
        ]
        indexes = [
            models.Index(fields=["start", "area_path"], name="opinion_bin_time"),
        ]

    def __str__(self) -> str:
        return f"bin {self.topic_id} {self.area_path} {self.start:%Y-%m-%d %H:%M} = {self.count}"


class AlarmState(models.TextChoices):
    OPEN = "open", pgettext_lazy("hot-spot alarm", "open")
    ACKNOWLEDGED = "acknowledged", pgettext_lazy("hot-spot alarm", "acknowledged")
    CLOSED = "closed", pgettext_lazy("hot-spot alarm", "closed")


class HotspotAlarm(models.Model):
    """A topic growing far beyond its same-hour baseline in an area: one alarm per topic and
    area while it is not closed (a later bin that still fires updates it)."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="alarms")
    area = models.ForeignKey("geo.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=21)
    bin_start = models.DateTimeField()  # the bin that fired (the latest one, once updated)
    observed = models.PositiveIntegerField()
    expected = models.FloatField()
    p_value = models.FloatField()
    new_topic = models.BooleanField(default=False)  # the topic had no baseline at all
    evidence = models.JSONField(default=list)  # message ids, newest first
    department = models.CharField(max_length=30, blank=True)  # responsible department code
    state = models.CharField(max_length=12, choices=AlarmState.choices, default=AlarmState.OPEN)
    raised_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)

    objects = ScopedManager()
    scope_area_path_field = "area_path"

    class Meta:
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["topic", "area_path"],
                condition=~models.Q(state="closed"),
                name="opinion_alarm_one_live_per_topic_area",
            )
        ]
        indexes = [models.Index(fields=["state", "area_path"], name="opinion_alarm_state")]

    def __str__(self) -> str:
        return f"alarm {self.pk} topic {self.topic_id} {self.area_path} ({self.state})"
