"""The retention mechanism itself (``ballotguard.core.retention``): rules an app registers are run by
``apply-retention`` without the registry knowing the app, holds keep what a rule would take, and the
order is defined. The rules' effects are proved in ``registry/tests/test_retention.py``."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Q

from ballotguard.accounts.models import AuditEvent
from ballotguard.accounts.services import Actor
from ballotguard.core import retention as core
from ballotguard.incidents import services as incidents
from ballotguard.incidents.tests.conftest import report_input
from ballotguard.registry import retention
from ballotguard.registry.models import Candidate

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.timezone.utc)  # the 2024 general election is long past


@pytest.fixture
def rules(monkeypatch):
    """The registered rules and holds, restored after the test (apps register theirs once, in ready)."""
    monkeypatch.setattr(core.registry, "rules", dict(core.registry.rules))
    monkeypatch.setattr(core.registry, "holds", list(core.registry.holds))
    return core.registry


@pytest.fixture
def carol(world):
    """Handed over for the 2024 general election, not elected: the contact rule erases her details."""
    Candidate.objects.filter(pk=world.candidates.yardley_1.pk).update(elected=False)
    return Candidate.objects.get(pk=world.candidates.yardley_1.pk)


def _probe_rule(calls: list, *, name="probe_rows", after=(), period="probe_rows_days", default_days=3) -> core.Rule:
    def apply(run: core.Run, days):
        calls.append({"name": name, "days": days, "dry_run": run.dry_run, "now": run.now,
                      "after_contact": retention.CONTACT_DETAILS in run.selected})
        run.report.add(f"{name}_erased", 4 if run.dry_run else 5)

    return core.Rule(name=name, covers="rows of an app the registry has never heard of", action=core.DELETE, apply=apply,
                     period=period, default_days=default_days if period else None,
                     period_text=f"{name} {{days}} after creation" if period else "",
                     after=after, counts=(core.Count(f"{name}_erased", name[:8], f"Probe: {name} erased"),),
                     audit_fields=(name,))


def test_an_apps_rule_is_run_by_apply_retention_without_the_registry_knowing_the_app(carol, rules, settings, monkeypatch, capsys):
    calls: list = []
    core.register("probe", (_probe_rule(calls),))
    settings.BALLOTGUARD_RETENTION = {**settings.BALLOTGUARD_RETENTION, "probe_rows_days": 11}
    monkeypatch.setattr(retention.timezone, "now", lambda: NOW)

    call_command("apply_retention", "--dry-run", "--json")
    dry = json.loads(capsys.readouterr().out)
    assert dry["probe_rows_erased"] == 4 and dry["contact_details_erased"] == 1
    assert calls == [{"name": "probe_rows", "days": 11, "dry_run": True, "now": NOW, "after_contact": True}]
    assert not AuditEvent.objects.filter(object_type="retention").exists()

    call_command("apply_retention")
    out = capsys.readouterr().out
    assert "Probe: probe_rows erased" in out and "probe_rows 11 after creation" in out
    assert calls[-1]["dry_run"] is False
    event = AuditEvent.objects.get(object_type="retention")
    counts = json.loads(event.detail.removeprefix("apply-retention "))
    assert counts["probe_ro"] == 5 and counts["contact"] == 1
    assert "probe_rows" in event.fields and "contact_details" in event.fields
    # The period is the app's own setting, checked like every other.
    settings.BALLOTGUARD_RETENTION = {"probe_rows_days": "soon"}
    with pytest.raises(CommandError, match=r"probe_rows_days.*whole number"):
        call_command("apply_retention", "--json")


def test_list_rules_shows_what_each_rule_covers_and_does_and_changes_nothing(carol, rules, settings, capsys):
    core.register("probe", (_probe_rule([], after=(retention.CONTACT_DETAILS,), period=None),))
    call_command("apply_retention", "--list-rules", "--json")
    listed = {rule["name"]: rule for rule in json.loads(capsys.readouterr().out)}
    assert listed["probe_rows"] == {"name": "probe_rows", "app": "probe", "covers": "rows of an app the registry has never heard of",
                                    "action": "delete", "period": None, "days": None, "after": ["contact_details"]}
    assert listed["contact_details"]["action"] == "erase" and listed["contact_details"]["days"] == 90
    assert listed["checkin_locations"]["covers"] == "where people went on a check-in, and their buddy's e-mail and phone"
    assert list(listed).index("probe_rows") > list(listed).index("contact_details")  # the order a run applies them

    call_command("apply_retention", "--list-rules")
    out = capsys.readouterr().out
    assert "Retention rules, in the order they run" in out and "probe_rows" in out  # the covers column wraps
    assert "with contact_details" in out and "delete" in out and "erase" in out
    assert Candidate.objects.get(pk=carol.pk).email and not AuditEvent.objects.filter(object_type="retention").exists()

    settings.BALLOTGUARD_RETENTION = {"contact_details_after_election_days": 20}
    with pytest.raises(CommandError, match="at least 21"):
        call_command("apply_retention", "--list-rules")


def test_a_hold_keeps_what_the_contact_rule_would_erase_and_is_counted(carol, rules):
    core.register("probe", holds=(core.Hold(rule=retention.CONTACT_DETAILS, keeps=lambda: Q(person_id=carol.person_id),
                                            count=core.Count("kept_by_probe", "k_probe", "Kept: the probe says so")),))
    dry = retention.apply(now=NOW, dry_run=True)
    report = retention.apply(now=NOW)
    assert (dry.kept_by_probe, dry.contact_details_erased) == (1, 0)
    assert {**dry.as_dict(), "dry_run": False} == report.as_dict()
    assert Candidate.objects.get(pk=carol.pk).email == "carol@example.org"


def test_the_open_incident_exception_is_the_incidents_apps_hold(carol, rules, world):
    incidents.report(Actor(user=world.users.candidate), report_input(carol, description="Still open"))
    assert [(h.app, h.count.name) for h in core.holds_on(retention.CONTACT_DETAILS)] == [("incidents", "kept_open_incident")]
    assert retention.apply(now=NOW, dry_run=True).kept_open_incident == 1
    # Without the hold the registry's rule knows nothing of incidents: the details go.
    rules.holds = [h for h in rules.holds if h.app != "incidents"]
    report = retention.apply(now=NOW)
    assert report.contact_details_erased == 1 and not hasattr(report, "kept_open_incident")
    assert Candidate.objects.get(pk=carol.pk).email == ""


def test_rules_run_in_installed_apps_order_and_never_before_those_they_follow(carol, rules):
    assert [(r.app, r.name) for r in core.ordered()] == [
        ("registry", "contact_details"),
        ("incidents", "closed_incidents"),
        ("monitoring", "monitoring_messages"),
        ("monitoring", "promoted_messages"),  # after closed_incidents
        ("safety", "safety_plans"),  # after contact_details
        ("safety", "safety_plan_revisions"),  # after safety_plans: a revision is counted once
        ("checkins", "checkin_locations"),
        ("outreach", "outreach_notes"),  # after contact_details
    ]
    # Registered first, but it follows the contact rule: it runs after it, and a rule that follows it
    # after that, whatever the order they were registered in.
    calls: list = []
    rules.rules = {"second": _probe_rule(calls, name="second", after=("first",), period=None),
                   "first": _probe_rule(calls, name="first", after=(retention.CONTACT_DETAILS,), period=None),
                   **rules.rules}
    names = [r.name for r in core.ordered()]
    assert names.index("contact_details") < names.index("first") < names.index("second")
    retention.apply(now=NOW)
    assert [(c["name"], c["after_contact"]) for c in calls] == [("first", True), ("second", True)]


def test_rules_that_cannot_be_ordered_are_refused_before_anything_changes(carol, rules):
    calls: list = []
    core.register("probe", (_probe_rule(calls, name="orphan", after=("no_such_rule",)),))
    with pytest.raises(CommandError, match="'orphan' must run after 'no_such_rule'"):
        call_command("apply_retention")
    rules.rules.pop("orphan")
    core.register("probe", (_probe_rule(calls, name="a", after=("b",)), _probe_rule(calls, name="b", after=("a",))))
    with pytest.raises(core.RetentionConfigError, match="wait for each other: a, b"):
        retention.apply(now=NOW)
    assert calls == [] and not AuditEvent.objects.filter(object_type="retention").exists()
    assert Candidate.objects.get(pk=carol.pk).email == "carol@example.org"


def test_two_rules_under_one_name_are_refused_and_registering_again_is_harmless(rules):
    rule = _probe_rule([])
    core.register("probe", (rule,))
    core.register("probe", (rule,))
    assert list(rules.rules).count("probe_rows") == 1
    with pytest.raises(core.RetentionConfigError, match="two retention rules are named 'probe_rows'"):
        core.register("other", (_probe_rule([]),))
    with pytest.raises(ValueError, match="action"):
        core.Rule(name="x", covers="x", action="shred", apply=lambda run, days: None, counts=())
