"""Model fields whose values are encrypted at rest with the configured key ring."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .crypto import key_ring


def current_key_ring():
    return key_ring(settings.FIELD_ENCRYPTION_KEYS)


class EncryptedTextField(models.TextField):
    """A text field stored as AES-GCM ciphertext; the empty string is stored as empty.

    It cannot be filtered or ordered on (the database only sees ciphertext): look-ups by content need a
    keyed hash column beside it.
    """

    description = "Text encrypted at rest"

    def contribute_to_class(self, cls, name, private_only=False):
        super().contribute_to_class(cls, name, private_only)
        # Associated data: binds the ciphertext to this model and column.
        self._context = f"{cls._meta.label_lower}.{name}"

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return current_key_ring().open(value, self._context)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return current_key_ring().seal(str(value), self._context)

    def get_lookup(self, lookup_name):
        if lookup_name not in {"isnull", "exact"}:
            raise TypeError(f"{self.__class__.__name__} cannot be searched with {lookup_name!r}")
        return super().get_lookup(lookup_name)
