"""`crisisgov pii`: operations on the personal-data keys.

    crisisgov pii rotate [--batch-size N] [--limit N]
    crisisgov pii status
    crisisgov pii new-key

To rotate: put a new key first in the key ring (CRISISGOV_PII_KEYS="new:...,old:..."), restart
every process so that all of them write under the new key, then run `rotate`. It re-encrypts
every value still sealed under an older key, one batch per transaction; stopping it loses
nothing and a re-run continues where it stopped. Once `status` shows no value under the old
key, the old key can leave the ring. Blind indexes have their own key and do not change.
"""

from __future__ import annotations

import base64
import secrets
from argparse import ArgumentParser, ArgumentTypeError
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction
from django.db.models import Count, Q
from django.db.models.functions import Cast

from crisisgov.kernel import pii
from crisisgov.kernel.actor import SYSTEM
from crisisgov.kernel.audit import audit_record
from crisisgov.kernel.fields import EncryptedTextField, encrypted_fields


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ArgumentTypeError("must be at least 1")
    return value


def encrypted_models() -> list[tuple[type[models.Model], list[EncryptedTextField]]]:
    """Every installed model with encrypted columns, and those columns."""
    found = []
    for model in apps.get_models():
        fields = encrypted_fields(model)
        if fields:
            found.append((model, fields))
    return found


def label(model: type[models.Model]) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


def sealed_under(field: EncryptedTextField, key_id: str) -> Q:
    return Q(**{f"{field.attname}__startswith": f"{pii.PREFIX}:{key_id}:"})


def has_value(field: EncryptedTextField) -> Q:
    return Q(**{f"{field.attname}__isnull": False}) & ~Q(**{field.attname: ""})


def stale(fields: list[EncryptedTextField], key_id: str) -> Q:
    """Rows where some column holds a value not sealed under `key_id`."""
    condition = Q()
    for field in fields:
        condition |= has_value(field) & ~sealed_under(field, key_id)
    return condition


@dataclass
class Progress:
    """What a rotation run has re-encrypted (committed batches only)."""

    rows: int = 0
    values: int = 0
    changed_meanwhile: int = 0

    def add(self, other: Progress) -> None:
        self.rows += other.rows
        self.values += other.values
        self.changed_meanwhile += other.changed_meanwhile


class Command(BaseCommand):
    help = "Rotate personal-data encryption keys, show what each key seals, make a new key."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        rotate = actions.add_parser(
            "rotate", help="re-encrypt every value under the newest key (resumable)"
        )
        rotate.add_argument("--batch-size", type=positive_int, default=500)
        rotate.add_argument(
            "--limit", type=positive_int, default=None, help="stop after this many rows"
        )
        actions.add_parser("status", help="how many values each key id seals, per column")
        actions.add_parser("new-key", help="print a fresh base64 32-byte key")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "new-key":
            self.stdout.write(base64.b64encode(secrets.token_bytes(32)).decode())
        elif action == "status":
            self.status()
        else:
            self.rotate(batch_size=options["batch_size"], limit=options["limit"])

    def status(self) -> None:
        ring = pii.key_ring()
        for model, fields in encrypted_models():
            for field in fields:
                counts = model._base_manager.aggregate(
                    total=Count("pk", filter=has_value(field)),
                    **{
                        f"key_{kid}": Count("pk", filter=sealed_under(field, kid))
                        for kid, _ in ring.keys
                    },
                )
                known = ", ".join(f"{kid} {counts[f'key_{kid}']}" for kid, _ in ring.keys)
                unknown = counts["total"] - sum(counts[f"key_{kid}"] for kid, _ in ring.keys)
                line = f"{label(model)}.{field.name}: {known}"
                if unknown:
                    line += f", not in the key ring {unknown}"
                self.stdout.write(line)

    def rotate(self, *, batch_size: int, limit: int | None) -> None:
        ring = pii.key_ring()
        progress = Progress()
        error = ""
        try:
            for model, fields in encrypted_models():
                self.rotate_model(model, fields, ring, batch_size, limit, progress)
        except pii.PIIKeyError as exc:
            error = str(exc)
        except BaseException as exc:  # Ctrl-C, a lost connection: the run is still recorded
            error = f"interrupted by {type(exc).__name__}"
            raise
        finally:
            audit_record(
                actor=SYSTEM,
                action="pii.rotate",
                target_type="kernel.keyring",
                target_id=ring.current_id,
                purpose="key_rotation",
                detail={
                    "key_id": ring.current_id,
                    "rows": progress.rows,
                    "values": progress.values,
                    "changed_meanwhile": progress.changed_meanwhile,
                    "error": error,
                },
            )
        if error:
            raise CommandError(f"rotation stopped: {error}")
        done = (
            f"re-encrypted {progress.values} values in {progress.rows} rows"
            f" under key {ring.current_id}"
        )
        if progress.changed_meanwhile:
            done += f"; {progress.changed_meanwhile} rows changed meanwhile, run again to finish"
        self.stdout.write(done)

    def rotate_model(
        self,
        model: type[models.Model],
        fields: list[EncryptedTextField],
        ring: pii.KeyRing,
        batch_size: int,
        limit: int | None,
        progress: Progress,
    ) -> None:
        current = ring.current_id
        # The raw column (a cast drops the field's decrypting converter).
        raw = [Cast(field.attname, output_field=models.TextField()) for field in fields]
        todo = model._base_manager.filter(stale(fields, current)).order_by("pk")
        last_pk = None
        while limit is None or progress.rows < limit:
            size = batch_size if limit is None else min(batch_size, limit - progress.rows)
            page = todo if last_pk is None else todo.filter(pk__gt=last_pk)
            with transaction.atomic():
                batch = list(page.values_list("pk", *raw)[:size])
                if not batch:
                    return
                done = Progress()
                for pk, *ciphertexts in batch:
                    written = self.rotate_row(model, fields, pk, ciphertexts, ring)
                    if written is None:
                        done.changed_meanwhile += 1
                    elif written:
                        done.rows, done.values = done.rows + 1, done.values + written
                last_pk = batch[-1][0]
            progress.add(done)  # counted once committed
            self.stdout.write(
                f"{label(model)}: re-encrypted up to #{last_pk} ({progress.rows} rows so far)"
            )

    def rotate_row(
        self,
        model: type[models.Model],
        fields: list[EncryptedTextField],
        pk: Any,
        ciphertexts: list[str | None],
        ring: pii.KeyRing,
    ) -> int | None:
        """Re-encrypt one row's stale values: how many, or None if the row changed meanwhile."""
        unchanged: dict[str, str] = {}
        resealed: dict[str, str] = {}
        for field, ciphertext in zip(fields, ciphertexts, strict=True):
            if not ciphertext:
                continue
            try:
                if pii.key_id_of(ciphertext) == ring.current_id:
                    continue
                plain = pii.decrypt(ciphertext, context=field.crypto_context, ring=ring)
            except pii.PIIKeyError as exc:
                raise pii.PIIKeyError(f"{label(model)} #{pk} {field.name}: {exc}") from None
            unchanged[field.attname] = pii.Sealed(ciphertext)
            resealed[field.attname] = pii.Sealed(
                pii.encrypt(plain, context=field.crypto_context, ring=ring)
            )
        if not resealed:
            return 0
        # Only if no one changed the row since it was read; update() leaves blind indexes and
        # auto_now timestamps alone.
        written = model._base_manager.filter(pk=pk, **unchanged).update(**resealed)
        return len(resealed) if written else None
