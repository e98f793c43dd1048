import pytest
from django.core.management import CommandError, call_command

from ballotguard.accounts.services import Actor
from ballotguard.core import blobs
from ballotguard.incidents import services

from .conftest import PNG

pytestmark = pytest.mark.django_db


def test_verify_evidence_passes_then_names_a_tampered_file(world, file_report, capsys):
    incident = file_report(world.users.candidate, world.candidates.yardley_1)
    good = services.add_evidence(Actor(user=world.users.candidate), incident, "a.png", [PNG], len(PNG))
    bad = services.add_evidence(Actor(user=world.users.candidate), incident, "b.png", [PNG + b"x"], len(PNG) + 1)
    call_command("verify_evidence")
    assert "All 2 evidence files match" in capsys.readouterr().out
    path = blobs._path(bad.blob_name)
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CommandError, match="1 of 2"):
        call_command("verify_evidence")
    assert f"evidence {bad.pk}" in capsys.readouterr().err and good.pk != bad.pk
