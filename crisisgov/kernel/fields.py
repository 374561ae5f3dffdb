"""Model fields for personal data.

`EncryptedTextField` stores only ciphertext; Python sees plaintext. `BlindIndexField` holds
the keyed HMAC of another field, kept in step by `set_personal_value`.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from crisisgov.kernel import pii


class EncryptedTextField(models.TextField):
    """Authenticated encryption at rest. The column never holds plaintext.

    `mask` names how the value is shown where the reader may not see it whole
    ("national_id", "phone", "name").
    """

    def __init__(self, *args: Any, mask: str = "name", **kwargs: Any):
        self.mask = mask
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["mask"] = self.mask
        return name, path, args, kwargs

    def contribute_to_class(self, cls: Any, name: str, *args: Any, **kwargs: Any) -> None:
        super().contribute_to_class(cls, name, *args, **kwargs)
        self.crypto_context = f"{cls._meta.app_label}.{cls._meta.model_name}.{name}"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return pii.decrypt(value, context=self.crypto_context)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        if isinstance(value, pii.Sealed):
            return str(value)  # ciphertext made by the kernel itself (key rotation)
        # Any other string is data, even one that looks like ciphertext: passing those
        # through would let a user store another row's ciphertext as their own value and
        # read it back decrypted.
        return pii.encrypt(str(value), context=self.crypto_context)

    def masked(self, value: str | None) -> str:
        if not value:
            return ""
        return {
            "national_id": pii.mask_national_id,
            "phone": pii.mask_phone,
        }.get(self.mask, pii.mask_name)(value)


class BlindIndexField(models.CharField):
    """HMAC of the plaintext of `source` for exact lookups (indexed).

    `kind` names what is indexed ("national_id", "phone"): the same kind gives the same digest
    in every table, so records about one person in different apps can be matched without
    decrypting. `source` is the model attribute holding the plaintext, when there is one.
    """

    def __init__(self, *args: Any, source: str = "", kind: str = "", **kwargs: Any):
        self.source = source
        self.kind = kind or source
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("db_index", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs["kind"] = self.kind
        kwargs.setdefault("db_index", False)  # explicit: the default here is True, not Field's
        return name, path, args, kwargs

    def digest(self, plaintext: str) -> str:
        return blind_index_of_kind(self.kind, plaintext)


def blind_index_of_kind(kind: str, plaintext: str) -> str:
    """The blind index of a value of `kind` ("national_id", "phone"), the same in every table."""
    return pii.blind_index(plaintext, context=f"blind-index.{kind}")


def blind_index_for(model: type[models.Model], field_name: str, plaintext: str) -> str:
    """The blind index of `plaintext` as stored in `model.field_name`, for exact lookups."""
    field = model._meta.get_field(field_name)
    assert isinstance(field, BlindIndexField)
    return field.digest(plaintext)


def refresh_blind_indexes(instance: models.Model) -> None:
    """Recompute every blind index of `instance` from its plaintext fields (call before save)."""
    for field in instance._meta.concrete_fields:
        if isinstance(field, BlindIndexField) and field.source:
            plaintext = getattr(instance, field.source)
            setattr(instance, field.attname, field.digest(plaintext) if plaintext else "")


def encrypted_fields(model: type[models.Model]) -> list[EncryptedTextField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
