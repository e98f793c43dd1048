import base64
import os

from django.core.management import call_command
from django.db import connection

from ballotguard.core.crypto import key_ring
from ballotguard.registry.models import Candidate


def _raw(candidate_id: int, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM registry_candidate WHERE id = %s", [candidate_id])
        return cursor.fetchone()[0]


def test_rotation_reseals_with_the_new_key_and_old_values_still_open(world, settings):
    carol = world.candidates.yardley_1
    old_primary = key_ring(settings.FIELD_ENCRYPTION_KEYS).primary
    assert _raw(carol.pk, "email").split(":")[1] == old_primary
    assert "carol@example.org" not in _raw(carol.pk, "email")  # ciphertext at rest

    new_key = base64.b64encode(os.urandom(32)).decode()
    settings.FIELD_ENCRYPTION_KEYS = f"k9:{new_key},{settings.FIELD_ENCRYPTION_KEYS}"
    assert Candidate.objects.get(pk=carol.pk).email == "carol@example.org"  # old key still opens it
    call_command("rotate_keys")
    assert _raw(carol.pk, "email").split(":")[1] == "k9"
    assert Candidate.objects.get(pk=carol.pk).phone == "+447700900123"


def test_rotation_covers_incidents_and_evidence(world, settings):
    import hashlib

    from ballotguard.accounts.services import Actor
    from ballotguard.core import blobs
    from ballotguard.incidents import services
    from ballotguard.incidents.models import Evidence, Incident
    from ballotguard.incidents.tests.conftest import PNG, report_input

    incident, _ = services.report(Actor(user=world.users.candidate), report_input(world.candidates.yardley_1))
    evidence = services.add_evidence(Actor(user=world.users.candidate), incident, "a.png", [PNG], len(PNG))
    new_key = base64.b64encode(os.urandom(32)).decode()
    settings.FIELD_ENCRYPTION_KEYS = f"k9:{new_key},{settings.FIELD_ENCRYPTION_KEYS}"
    call_command("rotate_keys")
    with connection.cursor() as cursor:
        cursor.execute("SELECT description FROM incidents_incident WHERE id = %s", [incident.pk])
        assert cursor.fetchone()[0].split(":")[1] == "k9"
    settings.FIELD_ENCRYPTION_KEYS = f"k9:{new_key}"  # the old keys are gone: everything must still open
    assert Incident.objects.get(pk=incident.pk).description == incident.description
    moved = Evidence.objects.get(pk=evidence.pk)
    assert moved.blob_name != evidence.blob_name
    assert hashlib.sha256(blobs.read_all(moved.blob_name)).hexdigest() == evidence.sha256
