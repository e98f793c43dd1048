"""Helpers for the incident tests: a second candidate with an account in another force, and a way to
report an incident in one call."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ballotguard.accounts.services import Actor
from ballotguard.incidents import services
from conftest import make_user

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 200


@pytest.fixture
def alice(world):
    """Alice Archer, candidate in Cities of London and Westminster (Met and City of London Police)."""
    user = make_user("candidate-alice", "candidate")
    world.candidates.clw_1.user = user
    world.candidates.clw_1.save(update_fields=["user"])
    return user


def report_input(candidate, **overrides) -> services.ReportInput:
    data = dict(
        candidate_id=candidate.pk,
        occurred_at=timezone.now() - dt.timedelta(hours=2),
        place="online",
        platform="X",
        behaviours=["abusive_or_hateful_message"],
        description="A reply calling me a traitor.",
        observables={"handle": "@Troll_123"},
    )
    data.update(overrides)
    return services.ReportInput(**data)


@pytest.fixture
def file_report():
    def _file(user, candidate, **overrides):
        incident, _ = services.report(Actor(user=user), report_input(candidate, **overrides))
        return incident

    return _file
