"""Data standards, datasets, their records, and imports.

A record's non-personal fields are kept as JSON; its personal fields (those the schema marks
`"personal": true`) are one encrypted JSON document, with blind indexes for the ID number and
phone so that exact lookups and record linkage work without decrypting. Every accepted change
appends a `RecordChange`, the ordered log that subscriptions read.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from crisisgov.kernel.fields import BlindIndexField, EncryptedTextField
from crisisgov.kernel.scoping import ScopedManager


class SchemaVersion(models.Model):
    """One version of a shared data standard (a Frictionless Table Schema descriptor)."""

    name = models.CharField(max_length=60)
    version = models.CharField(max_length=20)
    major = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    title_zh = models.CharField(max_length=200)
    descriptor = models.JSONField()
    published_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "-published_at"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="one_schema_version")
        ]

    def __str__(self) -> str:
        return f"{self.name}@{self.version}"


class Dataset(models.Model):
    """Records one organisation collects under one schema version, covering an area."""

    owner = models.ForeignKey("directory.Organisation", on_delete=models.PROTECT, related_name="+")
    schema = models.ForeignKey(SchemaVersion, on_delete=models.PROTECT, related_name="datasets")
    name_zh = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    area = models.ForeignKey("geo.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=21, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Open data: published as a CSV anyone may download. A dataset without personal fields
    # publishes its records; one with personal fields only counts by `open_dimensions`, with
    # every count below 10 suppressed. Empty `open_dimensions` with personal fields = records
    # are never published.
    open = models.BooleanField(default=False)
    open_dimensions = models.JSONField(default=list, blank=True)

    objects = ScopedManager()
    scope_area_path_field = "area_path"
    scope_organisation_field = "owner_id"

    class Meta:
        ordering = ["area_path", "id"]

    def __str__(self) -> str:
        return self.name_zh


class ImportMode(models.TextChoices):
    ALL_OR_NOTHING = "all_or_nothing", _("all or nothing")
    ACCEPT_VALID = "accept_valid", _("accept valid rows, hold the rest")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    REFUSED = "refused", _("refused")  # all-or-nothing with bad rows, or a bad file
    FAILED = "failed", _("failed")  # our fault: the worker crashed, see `problem`


class ImportJob(models.Model):
    """One uploaded file on its way into a dataset, with its progress and its report."""

    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="imports")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    filename = models.CharField(max_length=255)
    stored_path = models.CharField(max_length=500)  # under VAR_DIR/uploads, removed when done
    size_bytes = models.BigIntegerField(default=0)
    mode = models.CharField(max_length=20, choices=ImportMode.choices)
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    progress = models.FloatField(default=0.0)
    rows_read = models.PositiveIntegerField(default=0)
    rows_created = models.PositiveIntegerField(default=0)
    rows_updated = models.PositiveIntegerField(default=0)
    rows_unchanged = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    problem = models.TextField(blank=True)  # a file-level problem (encoding, header, size)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"import #{self.pk} {self.filename}"


class RejectedRow(models.Model):
    """A row that failed validation: the report line, and (held for correction) the raw row,
    encrypted because it may hold personal data."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rejected")
    row_number = models.PositiveIntegerField()
    errors = models.JSONField()  # [{"field", "value" (masked if personal), "reason"}]
    raw = EncryptedTextField(mask="name", blank=True)  # the row as JSON, for correction
    # Held rows corrected by the uploader land as records; the report keeps the row.
    corrected_record = models.ForeignKey(
        "Record", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    corrected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["job_id", "row_number"]

    def __str__(self) -> str:
        return f"row {self.row_number} of import #{self.job_id}"


class RecordSource(models.TextChoices):
    IMPORT = "import", _("import")
    FORM = "form", _("entry form")
    CORRECTION = "correction", _("corrected row")


class Record(models.Model):
    """One row of a dataset, identified by its natural key (the schema's primary key)."""

    # Indexes are few on purpose: each costs every import row (see Meta).
    dataset = models.ForeignKey(
        Dataset, on_delete=models.PROTECT, related_name="records", db_index=False
    )
    natural_key = models.CharField(max_length=200)
    data = models.JSONField(default=dict)  # non-personal fields
    personal = EncryptedTextField(mask="name", blank=True)  # personal fields as JSON
    id_index = BlindIndexField(kind="national_id", blank=True, db_index=False)
    phone_index = BlindIndexField(kind="phone", blank=True, db_index=False)
    content_hash = models.CharField(max_length=64)  # of the whole record: unchanged re-imports
    area_path = models.CharField(max_length=21)
    # Provenance: the last import, form or correction that wrote this record, and who.
    source = models.CharField(max_length=10, choices=RecordSource.choices, default="import")
    source_import = models.ForeignKey(ImportJob, null=True, on_delete=models.SET_NULL)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager()
    scope_area_path_field = "area_path"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dataset", "natural_key"], name="one_record_per_key")
        ]
        # Plain B-tree indexes: a field's db_index would add a second, LIKE-pattern index on
        # PostgreSQL, which exact and prefix-range lookups never use. The dataset's own index
        # is the unique key's first column.
        indexes = [
            models.Index(fields=["area_path"], name="record_area"),
            models.Index(fields=["id_index"], name="record_id_index"),
            models.Index(fields=["phone_index"], name="record_phone_index"),
        ]

    def __str__(self) -> str:
        return f"record #{self.pk} of dataset #{self.dataset_id}"


class RecordChange(models.Model):
    """The ordered, append-only log of accepted records: a subscription's cursor is an id here."""

    dataset = models.ForeignKey(
        Dataset, on_delete=models.CASCADE, related_name="changes", db_index=False
    )  # indexed by change_feed
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=10)  # created | updated
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["dataset", "id"], name="change_feed")]

    def __str__(self) -> str:
        return f"change #{self.pk}: record #{self.record_id} {self.kind}"


class Purpose(models.TextChoices):
    """Why a department reads another's data: a closed list, recorded with every read."""

    EPIDEMIC_CONTROL = "epidemic_control", _("epidemic control")
    RELIEF = "relief", _("relief")
    PUBLIC_SAFETY = "public_safety", _("public safety")
    STATISTICS = "statistics", _("statistics")


# Purposes under which personal fields may be released; statistics get pseudonyms instead.
PERSONAL_PURPOSES = frozenset({Purpose.EPIDEMIC_CONTROL, Purpose.RELIEF, Purpose.PUBLIC_SAFETY})


class AgreementStatus(models.TextChoices):
    REQUESTED = "requested", _("requested")
    APPROVED = "approved", _("approved")
    REFUSED = "refused", _("refused")
    REVOKED = "revoked", _("revoked")


class SharingAgreement(models.Model):
    """A consumer organisation's purpose-bound right to read some fields of a dataset, in some
    areas, until a date. It expires by itself: `valid_until` is checked on every read."""

    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="agreements")
    consumer = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    consumer_area_path = models.CharField(max_length=21, db_index=True)  # the consumer's area
    fields = models.JSONField()  # field names the consumer may read
    purpose = models.CharField(max_length=30, choices=Purpose.choices)
    legal_basis = models.TextField()
    area = models.ForeignKey("geo.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=21)  # records readable: under this path
    valid_until = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=AgreementStatus.choices, default=AgreementStatus.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    objects = ScopedManager()
    # Consumers see the agreements of their organisation (in their area).
    scope_area_path_field = "consumer_area_path"
    scope_organisation_field = "consumer_id"

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"agreement #{self.pk} ({self.purpose})"


class Subscription(models.Model):
    """A consumer's push channel for an agreement: new and changed records are POSTed to `url`,
    signed with `secret` (HMAC-SHA256). `cursor` is the last change id delivered."""

    agreement = models.ForeignKey(
        SharingAgreement, on_delete=models.CASCADE, related_name="subscriptions"
    )
    url = models.URLField(max_length=500)
    secret = EncryptedTextField(mask="name")  # the HMAC key, shown to the consumer once
    cursor = models.BigIntegerField(default=0)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"subscription #{self.pk} to agreement #{self.agreement_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    DELIVERED = "delivered", _("delivered")
    DEAD = "dead", _("dead")  # gave up: on the consumer's dead-letter list, replayable


class WebhookDelivery(models.Model):
    """One page of changes owed to a subscription. Only the change range is stored: the body is
    rebuilt from the records at send time, so no personal data sits in this table."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    first_change = models.BigIntegerField()
    last_change = models.BigIntegerField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)  # masked: ID and phone numbers redacted
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_due")]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "first_change", "last_change"],
                name="one_delivery_per_range",
            )
        ]

    def __str__(self) -> str:
        return f"delivery #{self.pk} of changes {self.first_change}-{self.last_change}"


# --- the master person index ------------------------------------------------------------------
# Only keys live in these tables: record ids, blind indexes and the names of comparison levels.
# Names, ID numbers and addresses stay in `Record.personal`, encrypted.


class MasterPerson(models.Model):
    """One person as the linkage knows them: the records of every dataset about them.

    `area_path` is the longest common prefix of its records' area paths, so an officer sees a
    person only when every record about them lies inside the officer's area.
    """

    area_path = models.CharField(max_length=21, db_index=True)
    id_index = BlindIndexField(kind="national_id", blank=True)  # when a record carries one
    active = models.BooleanField(default=True)  # False: absorbed by a merge, or left empty
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager()
    scope_area_path_field = "area_path"

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"master person #{self.pk}"


class PersonLink(models.Model):
    """Which master person a record about a person belongs to (one link per record)."""

    record = models.OneToOneField(Record, on_delete=models.CASCADE, related_name="person_link")
    person = models.ForeignKey(MasterPerson, on_delete=models.PROTECT, related_name="links")
    area_path = models.CharField(max_length=21, db_index=True)  # the record's
    linked_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager()
    scope_area_path_field = "area_path"

    def __str__(self) -> str:
        return f"record #{self.record_id} -> person #{self.person_id}"


class ReviewStatus(models.TextChoices):
    OPEN = "open", _("open")
    MERGED = "merged", _("merged")
    SEPARATED = "separated", _("separated")


class ReviewItem(models.Model):
    """A pair of records the linkage could not decide: an officer merges or separates them.

    A decided item outlives later linkage runs: it is the officer's rule for that pair.
    `levels` is the evidence, [[comparison, level], ...], e.g. [["name", "swapped"], ...].
    """

    left = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="+")
    right = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="+")
    area_path = models.CharField(max_length=21, db_index=True)  # common prefix of both
    kind = models.CharField(max_length=12)  # review | id_conflict | id_mismatch
    probability = models.FloatField()
    match_weight = models.FloatField()
    levels = models.JSONField(default=list)
    status = models.CharField(
        max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.OPEN
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager()
    scope_area_path_field = "area_path"

    class Meta:
        ordering = ["-probability", "id"]
        constraints = [
            models.UniqueConstraint(fields=["left", "right"], name="one_review_per_pair")
        ]

    def __str__(self) -> str:
        return f"review #{self.pk}: records #{self.left_id} and #{self.right_id}"


class PersonMerge(models.Model):
    """One officer's merge: which records moved from `absorbed` to `survivor`, so that an undo
    can move exactly those back."""

    item = models.ForeignKey(
        ReviewItem, null=True, on_delete=models.SET_NULL, related_name="merges"
    )  # None once a later run found the pair no longer in doubt
    survivor = models.ForeignKey(MasterPerson, on_delete=models.PROTECT, related_name="+")
    absorbed = models.ForeignKey(MasterPerson, on_delete=models.PROTECT, related_name="+")
    moved_records = models.JSONField(default=list)  # record ids
    area_path = models.CharField(max_length=21, db_index=True)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField()
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    undo_reason = models.TextField(blank=True)

    objects = ScopedManager()
    scope_area_path_field = "area_path"

    class Meta:
        ordering = ["-merged_at", "-id"]

    def __str__(self) -> str:
        return f"merge #{self.pk}: person #{self.absorbed_id} into #{self.survivor_id}"
