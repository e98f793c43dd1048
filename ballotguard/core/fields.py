"""Model fields whose values are encrypted at rest with the configured key ring.

Two sealed formats:

``bg1:<master kid>:<nonce>:<ct>``
    Under the master key ring (``BALLOTGUARD_FIELD_KEYS``). Most encrypted fields.
``bg2:<data key id>:<nonce>:<ct>``
    Under a data key of the record's own (``ballotguard.core.erasure``), for fields declared
    ``EncryptedTextField(erasable_by="data_key")``: destroying that key erases the value in the
    database and in every backup of it. ``erasable_by`` names the :class:`DataKeyField` holding the
    key id, on the model itself (``"data_key"``) or on a related record (``"incident.data_key"``,
    so an incident's observables, evidence names and timeline go with it).

Erasable values are sealed in ``pre_save``, where the record is known. Paths that skip ``pre_save``
(``QuerySet.update()``, ``bulk_update()``, raw inserts through ``get_db_prep_save``) may write only
the empty string to an erasable field; anything else raises :class:`ErasableWriteError` rather than
store plaintext, or a ``bg1`` value that destroying the record's key would not erase. Values written
as ``bg1`` before a field became erasable still open; ``rotate-keys`` re-seals them as ``bg2``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from . import erasure
from .crypto import key_ring


def current_key_ring():
    return key_ring(settings.FIELD_ENCRYPTION_KEYS)


class ErasableWriteError(ValueError):
    """A value was written to an erasable field by a path that cannot seal it under the record's key."""


class Sealed(str):
    """A value already sealed by ``pre_save``: ``get_prep_value`` passes it through as it is.

    A marker type, not a prefix test, so that text a user typed which happens to start with ``bg2:``
    is never mistaken for ciphertext and stored in clear.
    """


class EncryptedTextField(models.TextField):
    """A text field stored as AES-GCM ciphertext; the empty string is stored as empty.

    It cannot be filtered or ordered on (the database only sees ciphertext): look-ups by content need a
    keyed hash column beside it.
    """

    description = "Text encrypted at rest"

    def __init__(self, *args, erasable_by: str | None = None, **kwargs):
        self.erasable_by = erasable_by
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.erasable_by:
            kwargs["erasable_by"] = self.erasable_by
        return name, path, args, kwargs

    def contribute_to_class(self, cls, name, private_only=False):
        super().contribute_to_class(cls, name, private_only)
        # Associated data: binds the ciphertext to this model and column.
        self._context = f"{cls._meta.label_lower}.{name}"

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        if value.startswith(erasure.PREFIX + ":"):
            opened = erasure.open_value(value, self._context)
            return "" if opened is None else opened  # None: the record's key was destroyed (erased)
        return current_key_ring().open(value, self._context)

    def pre_save(self, model_instance, add):
        value = super().pre_save(model_instance, add)
        if not self.erasable_by or value in (None, "") or isinstance(value, Sealed):
            return value
        kid = erasure.ensure_key(model_instance, self.erasable_by, adding=add)
        return Sealed(erasure.seal(kid, str(value), self._context))

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        if isinstance(value, Sealed):
            return str(value)
        if self.erasable_by:
            raise ErasableWriteError(
                f"{self._context} is erasable (sealed under its record's own key): write it with save() "
                "(or bulk_create), not update(), bulk_update() or a raw insert; those may only blank it"
            )
        return current_key_ring().seal(str(value), self._context)

    def get_lookup(self, lookup_name):
        if lookup_name not in {"isnull", "exact"}:
            raise TypeError(f"{self.__class__.__name__} cannot be searched with {lookup_name!r}")
        return super().get_lookup(lookup_name)


class DataKeyField(models.CharField):
    """The id of a record's data key (``ballotguard.core.erasure``); empty until something needs it.

    Its ``pre_save`` makes sure the column written is the key the record's erasable values are sealed
    under, whichever of the fields Django prepares first, and never blanks a key recorded meanwhile.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def _bound_values(self, instance):
        for f in instance._meta.concrete_fields:
            if isinstance(f, EncryptedTextField) and f.erasable_by == self.name and f.attname in instance.__dict__:
                yield getattr(instance, f.attname)

    def pre_save(self, model_instance, add):
        if any(v not in (None, "") and not isinstance(v, Sealed) for v in self._bound_values(model_instance)):
            return erasure.ensure_key(model_instance, self.name, adding=add)
        kid = getattr(model_instance, self.attname) or ""
        if not kid and not add and model_instance.pk is not None:
            # A stale instance must not blank a key recorded since it was loaded (by a related record's save).
            kid = type(model_instance)._base_manager.filter(pk=model_instance.pk).values_list(self.attname, flat=True).first() or ""
            setattr(model_instance, self.attname, kid)
        return kid
