"""The figures the insights tests share: incidents against the shared test world, refreshed."""

from __future__ import annotations

import pytest

from ballotguard.incidents.models import Incident
from ballotguard.insights import services
from ballotguard.insights.models import RefreshRun

from .test_insights import add_incidents


@pytest.fixture
def figures(world):
    """Twelve incidents against a Westminster candidate (Met and City), three against a Yardley one
    (West Midlands: a small number, suppressed), one draft that must not count."""
    add_incidents(world.candidates.clw_1, 12, forces=[world.forces.met, world.forces.city], reporter=world.users.candidate, issue_tags=["immigration"])
    add_incidents(world.candidates.yardley_1, 3, forces=[world.forces.wmp], reporter=world.users.candidate, risk="high")
    add_incidents(world.candidates.yardley_2, 1, forces=[world.forces.wmp], reporter=world.users.candidate, status=Incident.Status.DRAFT)
    run = services.refresh_snapshots(trigger="test")
    assert run.status == RefreshRun.Status.DONE
    return run
