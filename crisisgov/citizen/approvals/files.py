"""Attachment storage: under VAR_DIR/approvals (outside static and media, never served
publicly); the type is sniffed from the first bytes, the browser's Content-Type is ignored."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from crisisgov.kernel.errors import DomainError, TooLarge

# Magic numbers of the allowed types (what the file is, whatever its name claims).
SIGNATURES = {
    "pdf": (b"%PDF-",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpeg": (b"\xff\xd8\xff",),
}
CONTENT_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg"}


def sniff(head: bytes) -> str | None:
    """ "pdf", "png", "jpeg" or None, from a file's first bytes."""
    for kind, magics in SIGNATURES.items():
        if any(head.startswith(magic) for magic in magics):
            return kind
    return None


def storage_root() -> Path:
    return Path(settings.VAR_DIR) / "approvals"


@dataclass(frozen=True)
class StoredFile:
    filename: str
    stored_as: str
    content_type: str
    size: int
    sha256: str


def check(upload: UploadedFile, spec: dict) -> str:
    """The sniffed kind of an upload, or an error naming the attachment."""
    field = f"attachments.{spec['name']}"
    if upload.size is None or upload.size == 0:
        raise DomainError("the file is empty", field=field)
    if upload.size > spec["max_bytes"]:
        raise TooLarge(
            f"the file has {upload.size} bytes; at most {spec['max_bytes']} are allowed",
            field=field,
        )
    upload.seek(0)
    kind = sniff(upload.read(16))
    upload.seek(0)
    if kind not in spec["types"]:
        raise DomainError(
            f"the file is not of an allowed type ({', '.join(spec['types'])})",
            field=field,
            code="wrong_type",
        )
    return kind


def store(upload: UploadedFile, kind: str, *, application_id: int) -> StoredFile:
    """Write the upload to a random name in the application's folder."""
    folder = storage_root() / str(application_id)
    folder.mkdir(parents=True, exist_ok=True)
    relative = f"{application_id}/{secrets.token_hex(16)}.{kind}"
    digest = hashlib.sha256()
    size = 0
    with (storage_root() / relative).open("xb") as out:
        for chunk in upload.chunks():
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    name = Path(upload.name or "file").name[:200]
    return StoredFile(name, relative, CONTENT_TYPES[kind], size, digest.hexdigest())


def path_of(stored_as: str) -> Path:
    return storage_root() / stored_as
