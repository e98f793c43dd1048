"""``ballotguard rotate-keys``: re-seal every encrypted contact detail under the newest key."""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Q
from rich.progress import track

from ballotguard.accounts.services import Actor, audit
from ballotguard.core.fields import current_key_ring
from ballotguard.registry.models import Candidate


class Command(BaseCommand):
    help = (
        "Re-encrypt candidates' contact details with the first key in BALLOTGUARD_FIELD_KEYS. Run it after "
        "putting a new key first; once it has finished, older keys can be removed from the list."
    )

    def handle(self, *args, **opts):
        fields = list(Candidate.PERSONAL_FIELDS)
        has_details = Q()
        for field in fields:
            has_details |= ~Q(**{field: ""})
        ids = list(Candidate.objects.filter(has_details).values_list("pk", flat=True))
        batch_size = 500
        with transaction.atomic():
            for start in track(range(0, len(ids), batch_size), description="Re-encrypting", disable=not ids):
                # Loading decrypts with whichever key sealed each value; saving seals with the primary key.
                batch = list(Candidate.objects.filter(pk__in=ids[start:start + batch_size]).only("pk", *fields))
                Candidate.objects.bulk_update(batch, fields)
            audit(Actor.cli(), "update", "candidate", "", fields=fields, detail=f"rotate-keys: {len(ids)} candidates re-encrypted")
        self.stdout.write(f"Re-encrypted the contact details of {len(ids)} candidates with key {current_key_ring().primary!r}.")
