"""``ballotguard rotate-keys``: re-seal every encrypted field and evidence file under the newest key."""

import hashlib

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rich.progress import track

from ballotguard.accounts.services import Actor, audit
from ballotguard.core import blobs, erasure
from ballotguard.core.fields import EncryptedTextField, current_key_ring


def encrypted_fields():
    """Every (model, [field names]) with an ``EncryptedTextField``, across all apps."""
    for model in apps.get_models():
        names = [f.name for f in model._meta.get_fields() if isinstance(f, EncryptedTextField)]
        if names:
            yield model, names


class Command(BaseCommand):
    help = (
        "Re-encrypt every personal field (contact details, incidents, observables, notes, file names) and every "
        "sealed evidence file with the first key in BALLOTGUARD_FIELD_KEYS. Run it after putting a new key first; "
        "once it has finished, older keys can be removed from the list. Evidence is checked against its SHA-256 "
        "before the old copy is removed. Data keys (the key store) are re-wrapped under the new key too, and values "
        "of erasable fields still sealed under a master key are re-sealed under their record's data key."
    )

    def handle(self, *args, **opts):
        primary = current_key_ring().primary
        batch_size = 500
        total = 0
        # Data keys first: re-wrapping is atomic per key file, and every key opens under the old or new master key.
        rewrapped = erasure.rewrap_all()
        with transaction.atomic():
            for model, fields in encrypted_fields():
                ids = list(model.objects.values_list("pk", flat=True))
                label = model._meta.verbose_name_plural
                erasable = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField) and f.erasable_by]
                # Erasable values are sealed by pre_save, which needs the record's data key id loaded.
                keys = {f.erasable_by.replace(".", "__") for f in erasable}
                related = sorted({f.erasable_by.split(".")[0] for f in erasable if "." in f.erasable_by})
                for start in track(range(0, len(ids), batch_size), description=f"Re-encrypting {label}", disable=not ids):
                    # Loading decrypts with whichever key sealed each value; saving seals with the primary key
                    # (bg1) or, for erasable fields, under the record's data key (bg2).
                    qs = model.objects.filter(pk__in=ids[start:start + batch_size])
                    if related:
                        qs = qs.select_related(*related)
                    batch = list(qs.only("pk", *fields, *related, *keys))
                    for obj in batch:
                        for f in erasable:
                            setattr(obj, f.attname, f.pre_save(obj, False))
                    model.objects.bulk_update(batch, fields)
                total += len(ids)
                if ids:
                    audit(Actor.cli(), "update", model._meta.label_lower, "", fields=fields, detail=f"rotate-keys: {len(ids)} re-encrypted")
            if rewrapped:
                audit(Actor.cli(), "update", "datakey", "", detail=f"rotate-keys: {rewrapped} data keys re-wrapped")
        files = self._evidence()
        self.stdout.write(
            f"Re-encrypted {total} records and {files} evidence files, and re-wrapped {rewrapped} data keys, with key {primary!r}."
        )

    def _evidence(self) -> int:
        try:
            evidence_model = apps.get_model("incidents", "Evidence")
        except LookupError:
            return 0
        # Evidence erased by retention has no file left: its row keeps the SHA-256 only.
        rows = list(evidence_model.objects.filter(erased_at__isnull=True).only("pk", "blob_name", "sha256"))
        for row in track(rows, description="Re-sealing evidence", disable=not rows):
            new_name = f"{row.blob_name[:32]}r{current_key_ring().primary}"[:100]
            if new_name == row.blob_name:
                continue
            digest = hashlib.sha256()

            def checked():
                for chunk in blobs.open_chunks(row.blob_name):
                    digest.update(chunk)
                    yield chunk

            blobs.delete(new_name)  # a leftover from an interrupted run
            blobs.seal_chunks(new_name, checked())
            if digest.hexdigest() != row.sha256:
                blobs.delete(new_name)
                raise CommandError(f"Evidence {row.pk} does not match its SHA-256: left as it was. Investigate before rotating.")
            evidence_model.objects.filter(pk=row.pk).update(blob_name=new_name)
            blobs.delete(row.blob_name)
            audit(Actor.cli(), "update", "evidence", row.pk, detail="rotate-keys: re-sealed, SHA-256 verified")
        return len(rows)
