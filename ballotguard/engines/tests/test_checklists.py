"""The checklist engine: shipped defaults, planning (each key once, the soonest due wins), progress, validation."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from ballotguard.engines.incidents import checklists as c
from ballotguard.engines.incidents.checklists import TaskInput, TaskSpec, TaskState
from ballotguard.engines.incidents.facts import Behaviour

T0 = dt.datetime(2026, 5, 1, 9, 0, tzinfo=dt.timezone.utc)


def test_every_behaviour_ships_a_checklist_with_unique_keys_and_sane_times():
    assert set(c.DEFAULT_TEMPLATES) == set(Behaviour)
    for behaviour, specs in c.DEFAULT_TEMPLATES.items():
        keys = [s.key for s in specs]
        assert len(keys) == len(set(keys)), behaviour
        assert "contact_candidate" in keys and "victim_updated" in keys, behaviour
        for s in specs:
            assert 1 <= s.due_hours <= c.MAX_HOURS and (s.due_hours_high is None or s.due_hours_high <= s.due_hours)
        # The shipped defaults pass the same validation as an administrator's edit.
        _, errors = c.validate_tasks([TaskInput(s.title, s.key, s.guidance, s.due_hours, s.due_hours_high or "") for s in specs])
        assert errors == {}, behaviour


def test_shipped_guidance_follows_the_projects_rules():
    fraud = {s.key for s in c.DEFAULT_TEMPLATES[Behaviour.BRIBERY_OR_ELECTORAL_FRAUD]}
    assert {"election_spoc", "report_fraud"} <= fraud
    assert "0300 123 2040" in c.TASKS["report_fraud"].guidance and "Action Fraud" in c.TASKS["report_fraud"].guidance
    online = {s.key for s in c.DEFAULT_TEMPLATES[Behaviour.ABUSIVE_OR_HATEFUL_MESSAGE]}
    assert {"platform_report", "evidence_secured"} <= online
    assert "not a way to report a crime" in c.TASKS["crime_report"].guidance
    doorstep = {s.key for s in c.DEFAULT_TEMPLATES[Behaviour.TURNING_UP_AT_HOME]}
    assert {"home_address_check", "link_incidents", "crime_report"} <= doorstep
    assert "threat_to_life" in {s.key for s in c.DEFAULT_TEMPLATES[Behaviour.THREAT_TO_KILL_OR_HARM]}


def test_plan_takes_each_key_once_and_the_soonest_due():
    templates = {
        Behaviour.ABUSIVE_OR_HATEFUL_MESSAGE: [TaskSpec("evidence", "Keep the evidence", due_hours=48), TaskSpec("platform", "Platform", due_hours=72)],
        Behaviour.TURNING_UP_AT_HOME: [TaskSpec("evidence", "Get the doorbell footage", due_hours=12), TaskSpec("home", "Home check", due_hours=24)],
    }
    planned = c.plan(templates, [Behaviour.TURNING_UP_AT_HOME, Behaviour.ABUSIVE_OR_HATEFUL_MESSAGE], "medium", T0)
    assert [p.key for p in planned] == ["evidence", "home", "platform"]
    evidence = planned[0]
    assert evidence.spec.title == "Get the doorbell footage" and evidence.source == Behaviour.TURNING_UP_AT_HOME
    assert evidence.due_at == T0 + dt.timedelta(hours=12)
    assert evidence.behaviours == (Behaviour.TURNING_UP_AT_HOME, Behaviour.ABUSIVE_OR_HATEFUL_MESSAGE)  # the vocabulary's order


def test_high_risk_brings_the_due_times_forward():
    spec = TaskSpec("contact", "Contact", due_hours=24, due_hours_high=1)
    templates = {Behaviour.THREAT_TO_KILL_OR_HARM: [spec]}
    assert c.plan(templates, [Behaviour.THREAT_TO_KILL_OR_HARM], "high", T0)[0].due_at == T0 + dt.timedelta(hours=1)
    assert c.plan(templates, [Behaviour.THREAT_TO_KILL_OR_HARM], "low", T0)[0].due_at == T0 + dt.timedelta(hours=24)
    assert c.plan(templates, [Behaviour.ASSAULT], "high", T0) == []


@given(st.lists(st.sampled_from(list(Behaviour)), max_size=6), st.sampled_from(["low", "medium", "high", ""]))
def test_defaults_planned_are_unique_ordered_and_independent_of_tick_order(behaviours, risk):
    planned = c.plan(c.DEFAULT_TEMPLATES, behaviours, risk, T0)
    keys = [p.key for p in planned]
    assert len(keys) == len(set(keys))
    assert [p.due_at for p in planned] == sorted(p.due_at for p in planned)
    assert [p.key for p in c.plan(c.DEFAULT_TEMPLATES, list(reversed(behaviours)), risk, T0)] == keys
    expected = {s.key for b in behaviours for s in c.DEFAULT_TEMPLATES[b]}
    assert set(keys) == expected


def test_progress_counts_not_applicable_as_done_and_only_open_tasks_as_overdue():
    now = T0 + dt.timedelta(hours=30)
    late, soon = T0 + dt.timedelta(hours=1), T0 + dt.timedelta(hours=48)
    p = c.progress([("done", late), ("not_applicable", late), ("open", late), ("open", soon), ("done", soon)], now)
    assert (p.total, p.done, p.not_applicable, p.overdue, p.complete, p.open) == (5, 2, 1, 1, 3, 2)
    assert p.summary == "3 of 5 done (1 not applicable), 1 overdue"
    assert c.progress([], now).summary == "No checklist"
    assert c.progress([("done", late)], now).finished


def test_validation_names_each_field_of_each_task():
    specs, errors = c.validate_tasks([
        TaskInput(title="Safety advice", due_hours="24", due_hours_high="2"),
        TaskInput(),  # a blank row is skipped
        TaskInput(title="", key="x", due_hours="ten"),
        TaskInput(title="Safety advice", due_hours="0"),
        TaskInput(title="Later when high", due_hours="4", due_hours_high="8"),
        TaskInput(title="Bad key", key="9lives", due_hours="4"),
    ])
    assert specs == ()
    assert errors == {
        "tasks.2.title": "Enter the task's title (task 3)",
        "tasks.2.due_hours": "Enter when task 3 is due as a whole number of hours, like 24",
        "tasks.3.key": "Task 4 has the same key as task 1: each task of a checklist needs its own key",
        "tasks.3.due_hours": "When task 4 is due must be between 1 and 8,760 hours",
        "tasks.4.due_hours_high": "A high-risk incident's task cannot be due later than another's (task 5)",
        "tasks.5.key": "The key must start with a letter and hold only lower-case letters, numbers and underscores, 50 characters at most (task 6)",
    }
    specs, errors = c.validate_tasks([TaskInput(title="Home address check!", due_hours=24)])
    assert errors == {} and specs == (TaskSpec("home_address_check", "Home address check!", "", 24, None),)
    assert c.validate_tasks([TaskInput(title=f"T{n}", due_hours=1) for n in range(c.MAX_TASKS + 1)])[1] == {"tasks": "A checklist can have 30 tasks at most"}


def test_not_applicable_needs_a_reason():
    assert c.check_reason("not_applicable", "  ") == {"reason": "Enter why this task does not apply"}
    assert c.check_reason("not_applicable", "No platform involved") == {}
    assert c.check_reason("finished", "") == {"state": "Select to do, done or not applicable"}
    assert c.check_reason(TaskState.DONE.value, "") == {}
    assert c.key_from_title("2nd check") == "task_2nd_check"
