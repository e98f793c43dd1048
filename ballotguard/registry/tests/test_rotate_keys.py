import base64
import os

from django.core.management import call_command
from django.db import connection

from ballotguard.core import erasure
from ballotguard.core.crypto import key_ring
from ballotguard.registry.models import Candidate


def _raw(candidate_id: int, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM registry_candidate WHERE id = %s", [candidate_id])
        return cursor.fetchone()[0]


def _wrapped_by(kid: str) -> str:
    """The master key id a data key's file is wrapped with."""
    return erasure._path(kid).read_text("ascii").split("\n")[1].split(":")[1]


def test_rotation_reseals_with_the_new_key_and_old_values_still_open(world, settings):
    # Contact details are sealed under the candidate's data key (bg2), whose file is wrapped with the
    # primary master key: rotation re-wraps the key file. A value written before the fields became
    # erasable (bg1, under a master key) is re-sealed under the record's data key.
    carol = world.candidates.yardley_1
    old_primary = key_ring(settings.FIELD_ENCRYPTION_KEYS).primary
    assert _raw(carol.pk, "email").split(":")[:2] == ["bg2", carol.data_key]
    assert _wrapped_by(carol.data_key) == old_primary
    assert "carol@example.org" not in _raw(carol.pk, "email")  # ciphertext at rest
    legacy = world.candidates.clw_1
    with connection.cursor() as cursor:
        sealed = key_ring(settings.FIELD_ENCRYPTION_KEYS).seal("alice@example.org", "registry.candidate.email")
        cursor.execute("UPDATE registry_candidate SET email = %s WHERE id = %s", [sealed, legacy.pk])
    assert Candidate.objects.get(pk=legacy.pk).email == "alice@example.org"  # bg1 still opens

    new_key = base64.b64encode(os.urandom(32)).decode()
    settings.FIELD_ENCRYPTION_KEYS = f"k9:{new_key},{settings.FIELD_ENCRYPTION_KEYS}"
    assert Candidate.objects.get(pk=carol.pk).email == "carol@example.org"  # old key still opens it
    call_command("rotate_keys")
    assert _wrapped_by(carol.data_key) == "k9"
    legacy.refresh_from_db()
    assert legacy.data_key and _raw(legacy.pk, "email").split(":")[:2] == ["bg2", legacy.data_key]
    assert _wrapped_by(legacy.data_key) == "k9"
    settings.FIELD_ENCRYPTION_KEYS = f"k9:{new_key}"  # the old keys are gone: everything must still open
    erasure._cache.clear()
    assert Candidate.objects.get(pk=carol.pk).phone == "+447700900123"
    assert Candidate.objects.get(pk=legacy.pk).email == "alice@example.org"


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
    incident.refresh_from_db()
    with connection.cursor() as cursor:
        cursor.execute("SELECT description FROM incidents_incident WHERE id = %s", [incident.pk])
        assert cursor.fetchone()[0].split(":")[:2] == ["bg2", incident.data_key]
        cursor.execute("SELECT display FROM incidents_observable WHERE incident_id = %s", [incident.pk])
        assert all(row[0].startswith("bg2:") for row in cursor.fetchall())
    assert _wrapped_by(incident.data_key) == "k9"
    settings.FIELD_ENCRYPTION_KEYS = f"k9:{new_key}"  # the old keys are gone: everything must still open
    erasure._cache.clear()
    assert Incident.objects.get(pk=incident.pk).description == incident.description
    moved = Evidence.objects.get(pk=evidence.pk)
    assert moved.blob_name != evidence.blob_name
    assert hashlib.sha256(blobs.read_all(moved.blob_name)).hexdigest() == evidence.sha256


def test_rotation_reseals_master_key_fields_beside_erasable_ones(world, settings):
    import datetime as dt

    from django.utils import timezone

    from ballotguard.checkins.models import CheckIn

    now = timezone.now()
    checkin = CheckIn.objects.create(user=world.users.candidate, where="Yardley high street", buddy_name="Bea",
                                     buddy_email="bea@example.org", started_at=now, expected_end=now + dt.timedelta(hours=1))
    new_key = base64.b64encode(os.urandom(32)).decode()
    settings.FIELD_ENCRYPTION_KEYS = f"k9:{new_key},{settings.FIELD_ENCRYPTION_KEYS}"
    call_command("rotate_keys")
    with connection.cursor() as cursor:
        cursor.execute("SELECT buddy_name, \"where\" FROM checkins_checkin WHERE id = %s", [checkin.pk])
        buddy_name, where = cursor.fetchone()
    assert buddy_name.split(":")[:2] == ["bg1", "k9"]  # not erasable: sealed under the new master key
    assert where.split(":")[:2] == ["bg2", checkin.data_key]  # erasable: under the check-in's own key
    assert _wrapped_by(checkin.data_key) == "k9"
    settings.FIELD_ENCRYPTION_KEYS = f"k9:{new_key}"
    erasure._cache.clear()
    again = CheckIn.objects.get(pk=checkin.pk)
    assert (again.where, again.buddy_name, again.buddy_email) == ("Yardley high street", "Bea", "bea@example.org")
