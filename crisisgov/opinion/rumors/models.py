"""Rumors and clarifications: the knowledge base of known rumors (canonical statements in zh
and en, verdict, owner department), the messages matched against it, candidate rumors found
in the stream for fact-checkers to review, and the official clarifications they publish."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from crisisgov.kernel.scoping import ScopedManager


class Verdict(models.TextChoices):
    FALSE = "false", _("false")
    MISLEADING = "misleading", _("misleading")
    UNPROVEN = "unproven", _("unproven")
    TRUE = "true", _("true")


class RumorState(models.TextChoices):
    CANDIDATE = "candidate", _("candidate (to review)")
    CONFIRMED = "confirmed", _("confirmed rumor")
    RETIRED = "retired", _("retired")
    DISMISSED = "dismissed", _("dismissed (not a rumor)")
    MERGED = "merged", _("merged into another rumor")


class Rumor(models.Model):
    """A claim going round. Known rumors are `confirmed` and matched against every message; a
    `candidate` was opened from messages that look like claims and waits in the fact-checkers'
    queue. Scoped by area: the city for the knowledge base, the district where it spreads for a
    candidate."""

    code = models.CharField(max_length=40, unique=True)
    hazard = models.CharField(max_length=40, blank=True)  # epidemic, flood, supply, ...
    department = models.CharField(max_length=20, blank=True)  # dataset/departments.json code
    verdict = models.CharField(max_length=12, choices=Verdict.choices, blank=True)
    state = models.CharField(max_length=10, choices=RumorState.choices)
    area = models.ForeignKey("geo.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=21)
    fingerprint = models.BigIntegerField(default=0)  # SimHash of a candidate's first message
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged"
    )
    decision_reason = models.CharField(max_length=500, blank=True)  # why dismissed / retired
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedManager()
    scope_area_path_field = "area_path"

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "fingerprint"], name="rumor_state_fp")]

    def __str__(self) -> str:
        return self.code

    def canonical(self, language: str) -> str:
        for statement in self.statements.all():
            if statement.kind == StatementKind.CANONICAL and statement.language == language:
                return statement.text
        return ""


class StatementKind(models.TextChoices):
    CANONICAL = "canonical", _("canonical")
    PARAPHRASE = "paraphrase", _("paraphrase")


class RumorStatement(models.Model):
    """One wording of a rumor that messages are matched against."""

    rumor = models.ForeignKey(Rumor, on_delete=models.CASCADE, related_name="statements")
    language = models.CharField(max_length=5)  # zh | en
    text = models.TextField()
    kind = models.CharField(max_length=10, choices=StatementKind.choices)
    embedding = models.BinaryField(null=True, blank=True)  # float16, L2-normalised

    class Meta:
        ordering = ["rumor_id", "kind", "language", "id"]

    def __str__(self) -> str:
        return f"{self.rumor_id} {self.language}: {self.text[:40]}"


class Clarification(models.Model):
    """The official answer to a rumor. A draft until published; once published it goes to the
    public "rumor vs fact" page, the Atom feed, the bulletins, and as CAP when urgent."""

    rumor = models.ForeignKey(Rumor, on_delete=models.PROTECT, related_name="clarifications")
    area_path = models.CharField(max_length=21)  # the rumor's (scoping)
    text_zh = models.TextField()
    text_en = models.TextField()
    source_title = models.CharField(max_length=300, blank=True)
    source_url = models.URLField(max_length=500, blank=True)
    urgent = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    bulletin_note_id = models.BigIntegerField(null=True, blank=True)  # citizen bulletins' note
    # CAP for urgent ones: "" not urgent, "pending" no channel to send it yet, "sent".
    cap_status = models.CharField(max_length=10, blank=True)
    cap_identifier = models.CharField(max_length=200, blank=True)

    objects = ScopedManager()
    scope_area_path_field = "area_path"

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [models.Index(fields=["published_at"], name="rumor_clar_published")]

    def __str__(self) -> str:
        return f"clarification {self.pk} of {self.rumor_id}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def text(self, language: str) -> str:
        return self.text_en if language == "en" else self.text_zh


class Stance(models.TextChoices):
    SPREADS = "spreads", _("spreads it")
    DEBUNKS = "debunks", _("debunks it")


class MatchMethod(models.TextChoices):
    SIMILARITY = "similarity", _("similar to a known rumor")
    CLAIM = "claim", _("looks like a claim (candidate)")


class RumorMatch(models.Model):
    """A message found to carry (or debunk) a rumor. Area and time are copied from the message
    so that reach is counted from this table alone."""

    message = models.OneToOneField(
        "opinion.Message", on_delete=models.CASCADE, related_name="rumor_match"
    )
    rumor = models.ForeignKey(Rumor, on_delete=models.CASCADE, related_name="matches")
    score = models.FloatField()
    stance = models.CharField(max_length=8, choices=Stance.choices)
    method = models.CharField(max_length=10, choices=MatchMethod.choices)
    clarification = models.ForeignKey(  # the one attached when matched (published then)
        Clarification, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    area_path = models.CharField(max_length=21, blank=True)
    posted_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()
    scope_area_path_field = "area_path"

    class Meta:
        ordering = ["-posted_at", "-id"]
        indexes = [
            models.Index(fields=["rumor", "stance", "posted_at"], name="rumor_match_reach"),
        ]

    def __str__(self) -> str:
        return f"message {self.message_id} {self.stance} {self.rumor_id}"


class KnowledgeBaseVersion(models.Model):
    """One row: bumped whenever the statements matched against change, so that every process
    rebuilds its in-memory index on its next message."""

    version = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"knowledge base version {self.version}"
