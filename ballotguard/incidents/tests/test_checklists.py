"""Checklists per kind of incident (issue 17): templates per behaviour, versioned; tasks on each
incident, from services, pages and the API; who may see and change what."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ballotguard.accounts.models import AuditEvent
from ballotguard.accounts.services import Actor
from ballotguard.engines.incidents.checklists import DEFAULT_TEMPLATES, TaskInput, plan
from ballotguard.engines.incidents.facts import Behaviour
from ballotguard.incidents import services
from ballotguard.incidents.models import ChecklistTemplate, IncidentEvent, IncidentTask
from ballotguard.registry.services import NotPermitted

pytestmark = pytest.mark.django_db

DOORSTEP = ["turning_up_at_home", "threat_to_kill_or_harm"]


@pytest.fixture
def doorstep(world, file_report):
    """Carol's high-risk report in Yardley (West Midlands): a man at her door threatening her."""
    return file_report(world.users.candidate, world.candidates.yardley_1, place="home", behaviours=DOORSTEP, home_address_known=True,
                       description="A man at my door said he would kill me.")


def _keys(incident) -> list[str]:
    return list(incident.tasks.values_list("key", flat=True))


# ---------------------------------------------------------------------------------------------------
# Services


def test_a_sent_report_gets_each_task_of_its_behaviours_once_due_from_when_it_was_sent(doorstep):
    assert doorstep.effective_risk == "high"
    expected = plan(DEFAULT_TEMPLATES, [Behaviour(b) for b in DOORSTEP], "high", doorstep.submitted_at)
    tasks = list(doorstep.tasks.all())
    assert [t.key for t in tasks] == [p.key for p in expected]
    assert len(tasks) == len({t.key for t in tasks}) < sum(len(DEFAULT_TEMPLATES[Behaviour(b)]) for b in DOORSTEP)
    contact = doorstep.tasks.get(key="contact_candidate")
    assert contact.due_at == doorstep.submitted_at + dt.timedelta(hours=1)  # high risk: within the hour
    assert contact.behaviours == ["threat_to_kill_or_harm", "turning_up_at_home"]
    assert {t.state for t in tasks} == {"open"} and all(t.template_version == 1 for t in tasks)
    line = doorstep.events.get(kind=IncidentEvent.Kind.TASK)
    assert line.internal and line.text.startswith(f"{len(tasks)} tasks added")
    # The shipped defaults were stored as version 1 of the two behaviours' templates, and audited.
    assert set(ChecklistTemplate.objects.values_list("behaviour", "version")) == {(b, 1) for b in DOORSTEP}
    assert AuditEvent.objects.filter(object_type="checklist_template").count() == 2


def test_drafts_get_no_checklist_and_triage_adds_what_is_missing(world, doorstep):
    feoa = Actor(user=world.users.feoa_wmp)
    count = doorstep.tasks.count()
    doorstep.tasks.filter(key__in=["home_address_check", "victim_updated"]).delete()  # as if sent before checklists
    services.change_status(feoa, doorstep, "triaged")
    assert doorstep.tasks.count() == count
    draft = services.save_draft(Actor(user=world.users.candidate), services.ReportInput(candidate_id=world.candidates.yardley_1.pk, behaviours=["assault"]))
    assert services.ensure_checklist(feoa, draft) == [] and not draft.tasks.exists()


def test_an_edited_template_is_a_new_version_and_incidents_keep_theirs(world, doorstep, file_report):
    admin = Actor(user=world.users.admin)
    specs = DEFAULT_TEMPLATES[Behaviour.TURNING_UP_AT_HOME]
    items = [TaskInput(s.title, s.key, s.guidance, s.due_hours, s.due_hours_high or "") for s in specs]
    items.append(TaskInput(title="Arrange a home security survey", due_hours="72", due_hours_high="24"))
    saved = services.save_template(admin, Behaviour.TURNING_UP_AT_HOME, items, "Security surveys are now offered")
    assert saved.version == 2 and saved.created_by == world.users.admin
    assert AuditEvent.objects.filter(object_type="checklist_template", object_id=str(saved.pk), actor=world.users.admin).exists()
    assert "arrange_a_home_security_survey" not in _keys(doorstep)  # the incident keeps version 1
    later = file_report(world.users.candidate, world.candidates.yardley_1, place="home", behaviours=["turning_up_at_home"])
    assert "arrange_a_home_security_survey" in _keys(later)
    assert later.tasks.get(key="arrange_a_home_security_survey").template_version == 2
    # Nothing changed, or a bad edit: refused, and no version is made.
    with pytest.raises(services.ReportInvalid) as nothing:
        services.save_template(admin, Behaviour.TURNING_UP_AT_HOME, items)
    assert "Nothing has changed" in nothing.value.errors["tasks"]
    with pytest.raises(services.ReportInvalid) as bad:
        services.save_template(admin, Behaviour.TURNING_UP_AT_HOME, [TaskInput(title="A", due_hours="soon")])
    assert set(bad.value.errors) == {"tasks.0.due_hours"}
    assert ChecklistTemplate.objects.filter(behaviour="turning_up_at_home").count() == 2
    with pytest.raises(NotPermitted):
        services.save_template(Actor(user=world.users.feoa_wmp), Behaviour.TURNING_UP_AT_HOME, items[:1])


def test_a_feoa_marks_tasks_done_or_not_applicable_with_a_reason(world, doorstep):
    feoa = Actor(user=world.users.feoa_wmp)
    task = doorstep.tasks.get(key="threat_to_life")
    with pytest.raises(services.ReportInvalid) as missing:
        services.update_task(feoa, doorstep, task.pk, state="not_applicable", reason="  ")
    assert missing.value.errors == {"reason": "Enter why this task does not apply"}
    task.refresh_from_db()
    assert task.state == "open" and task.reason == ""  # nothing stored
    services.update_task(feoa, doorstep, task.pk, state="not_applicable", reason="Reviewed with the threat-to-life lead: below threshold")
    task.refresh_from_db()
    assert (task.state, task.completed_by) == ("not_applicable", world.users.feoa_wmp)
    assert task.reason.startswith("Reviewed")
    contact = doorstep.tasks.get(key="contact_candidate")
    services.update_task(feoa, doorstep, contact.pk, state="done", owner_id=world.users.feoa_wmp.pk)
    contact.refresh_from_db()
    assert (contact.state, contact.owner) == ("done", world.users.feoa_wmp)
    lines = list(doorstep.events.filter(kind=IncidentEvent.Kind.TASK).values_list("text", "internal"))
    assert (f"“Contact the candidate and check they are safe now”: done; owner {world.users.feoa_wmp}", True) in lines
    assert any(text.startswith("“Consider the force's threat-to-life procedure”: not applicable: Reviewed") for text, _ in lines)
    assert AuditEvent.objects.filter(object_type="incident_task", object_id=str(contact.pk), fields=["owner", "state"]).exists()
    progress = services.progress_of(doorstep.tasks.all())
    assert (progress.done, progress.not_applicable) == (1, 1)
    # Back to do: the completion and reason go.
    services.update_task(feoa, doorstep, task.pk, state="open")
    task.refresh_from_db()
    assert (task.state, task.reason, task.completed_by) == ("open", "", None)


def test_assigning_the_incident_gives_its_unowned_open_tasks_to_the_assignee(world, doorstep):
    feoa = Actor(user=world.users.feoa_wmp)
    first, second = doorstep.tasks.all()[:2]
    services.update_task(feoa, doorstep, first.pk, state="done")
    services.assign(feoa, doorstep, world.users.feoa_wmp.pk)
    owners = dict(doorstep.tasks.values_list("pk", "owner_id"))
    assert owners[first.pk] is None and owners[second.pk] == world.users.feoa_wmp.pk
    assert list(owners.values()).count(None) == 1
    assert doorstep.events.filter(kind=IncidentEvent.Kind.ASSIGNED).last().text.endswith(f"with {len(owners) - 1} open checklist tasks nobody owned")


def test_owner_due_time_and_scope_are_checked(world, doorstep):
    feoa = Actor(user=world.users.feoa_wmp)
    task = doorstep.tasks.first()
    with pytest.raises(services.ReportInvalid) as wrong:
        services.update_task(feoa, doorstep, task.pk, owner_id=world.users.feoa_met.pk,
                             due_at=doorstep.submitted_at - dt.timedelta(days=1))
    assert set(wrong.value.errors) == {"owner", "due_at"}
    new_due = timezone.now() + dt.timedelta(days=3)
    services.update_task(feoa, doorstep, task.pk, due_at=new_due)
    task.refresh_from_db()
    assert task.due_at == new_due and task.state == "open"
    # Another force's FEOA, the candidate, and a FEOA merely granted read access: no checklist.
    for user in (world.users.feoa_met, world.users.candidate):
        with pytest.raises(NotPermitted):
            services.tasks_of(user, doorstep)
        with pytest.raises(NotPermitted):
            services.update_task(Actor(user=user), doorstep, task.pk, state="done")
    # A closed incident's checklist is kept as it was.
    services.change_status(feoa, doorstep, "triaged")
    services.change_status(feoa, doorstep, "closed", reason="Resolved")
    with pytest.raises(services.ReportInvalid) as closed:
        services.update_task(feoa, doorstep, task.pk, state="done")
    assert "re-open" in closed.value.errors["state"]


def test_progress_for_a_page_of_the_queue_is_one_query(world, doorstep, file_report, django_assert_num_queries):
    other = file_report(world.users.candidate, world.candidates.yardley_1, behaviours=["abusive_or_hateful_message"])
    IncidentTask.objects.filter(incident=other).update(due_at=timezone.now() - dt.timedelta(hours=1))
    with django_assert_num_queries(1):
        progress = services.progress_for([doorstep.pk, other.pk])
    assert progress[other.pk].overdue == progress[other.pk].total == other.tasks.count()
    assert progress[doorstep.pk].overdue == 0


# ---------------------------------------------------------------------------------------------------
# Pages


def test_the_case_page_and_the_queue_show_the_checklist_to_the_force_only(world, doorstep, client_as):
    feoa = client_as(world.users.feoa_wmp)
    page = feoa.get(f"/incidents/{doorstep.reference}/").content.decode()
    total = doorstep.tasks.count()
    assert 'id="checklist"' in page and f"0 of {total} done" in page and "Consider the force&#x27;s threat-to-life procedure" in page
    queue = feoa.get("/incidents/").content.decode()
    assert f"0 of {total} done" in queue
    candidate_page = client_as(world.users.candidate).get(f"/incidents/{doorstep.reference}/").content.decode()
    assert 'id="checklist"' not in candidate_page and "threat-to-life" not in candidate_page


def test_the_task_page_refuses_not_applicable_without_a_reason_and_keeps_what_was_typed(world, doorstep, client_as):
    feoa = client_as(world.users.feoa_wmp)
    task = doorstep.tasks.get(key="home_address_check")
    url = f"/incidents/{doorstep.reference}/tasks/{task.pk}/"
    assert feoa.get(url).status_code == 200
    # A day after the task's own due time, so that 17:00 is never before the report was sent (a task
    # due today, with the report sent after 17:00, made this test fail in the evening).
    due = timezone.localtime(task.due_at) + dt.timedelta(days=1)
    form = {"state": "not_applicable", "reason": "", "owner": str(world.users.feoa_wmp.pk),
            "day": due.day, "month": due.month, "year": due.year, "time": "17:00"}
    response = feoa.post(url, form)
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body and "Enter why this task does not apply" in body and 'href="#id_reason"' in body
    task.refresh_from_db()
    assert task.state == "open" and task.owner is None
    response = feoa.post(url, {**form, "day": "31", "month": "2"})
    assert response.status_code == 400 and "Due date must be a real date" in response.content.decode()
    response = feoa.post(url, {**form, "reason": "Address is not public: checked the register"})
    assert response.status_code == 302 and response["Location"].endswith("#checklist")
    task.refresh_from_db()
    assert (task.state, task.owner, timezone.localtime(task.due_at).hour) == ("not_applicable", world.users.feoa_wmp, 17)
    # "Mark as done" on the case page.
    contact = doorstep.tasks.get(key="contact_candidate")
    assert feoa.post(f"/incidents/{doorstep.reference}/tasks/{contact.pk}/", {"action": "done"}).status_code == 302
    contact.refresh_from_db()
    assert contact.state == "done"
    assert "2 of" in feoa.get(f"/incidents/{doorstep.reference}/").content.decode()
    # Someone else's task id on this incident's address: not found.
    assert feoa.get(f"/incidents/{doorstep.reference}/tasks/999999/").status_code == 404


def test_an_administrator_edits_a_template_through_the_pages(world, client_as):
    admin = client_as(world.users.admin)
    listing = admin.get("/checklists/").content.decode()
    assert "15 checklists" in listing and "Turning up at your home" in listing
    edit = "/checklists/damage_to_property/edit/"
    assert admin.get(edit).status_code == 200
    current = services.current_templates([Behaviour.DAMAGE_TO_PROPERTY])[Behaviour.DAMAGE_TO_PROPERTY].task_list
    n = len(current)
    form = {"tasks-TOTAL_FORMS": str(n + 3), "tasks-INITIAL_FORMS": str(n), "tasks-MIN_NUM_FORMS": "0", "tasks-MAX_NUM_FORMS": "33",
            "note": "Ask about posters"}
    for i, t in enumerate(current):
        form.update({f"tasks-{i}-title": t.title, f"tasks-{i}-key": t.key, f"tasks-{i}-guidance": t.guidance,
                     f"tasks-{i}-due_hours": str(t.due_hours), f"tasks-{i}-due_hours_high": str(t.due_hours_high or "")})
    form[f"tasks-{n}-title"] = "Ask the party for photographs of damaged posters"
    form[f"tasks-{n}-due_hours"] = "a week"
    response = admin.post(edit, form)
    assert response.status_code == 400
    body = response.content.decode()
    assert f"Enter when task {n + 1} is due as a whole number of hours" in body and f'href="#id_tasks-{n}-due_hours"' in body
    assert ChecklistTemplate.objects.filter(behaviour="damage_to_property").count() == 1
    form[f"tasks-{n}-due_hours"] = "168"
    form["tasks-0-remove"] = "on"
    response = admin.post(edit, form)
    assert response.status_code == 302
    saved = ChecklistTemplate.objects.get(behaviour="damage_to_property", version=2)
    keys = list(saved.tasks.values_list("key", flat=True))
    assert keys[-1] == "ask_the_party_for_photographs_of_damaged_posters" and current[0].key not in keys and saved.note == "Ask about posters"
    page = admin.get("/checklists/damage_to_property/?version=1").content.decode()
    assert "not the current version" in page
    assert admin.get("/checklists/damage_to_property/?version=9").status_code == 404
    assert admin.get("/checklists/no_such_thing/").status_code == 404
    feoa = client_as(world.users.feoa_wmp)
    assert feoa.get("/checklists/damage_to_property/").status_code == 200
    assert feoa.post(edit, form).status_code == 403


# ---------------------------------------------------------------------------------------------------
# API


def test_the_api_lists_and_changes_tasks(world, doorstep, client_as):
    feoa = client_as(world.users.feoa_wmp)
    base = f"/api/v1/incidents/{doorstep.reference}/tasks"
    data = feoa.get(base).json()
    assert AuditEvent.objects.filter(action="read", object_type="incident", object_id=str(doorstep.pk), fields=["checklist"]).exists()
    assert data["total"] == doorstep.tasks.count() and data["summary"] == f"0 of {data['total']} done"
    task = data["tasks"][0]
    assert task["state"] == "open" and task["template_version"] == 1
    url = f"{base}/{task['id']}"
    response = feoa.patch(url, {"state": "not_applicable"}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"][0] == {"field": "reason", "message": "Enter why this task does not apply", "loc": ["body", "reason"]}
    response = feoa.patch(url, {"due_at": "2030-01-01T10:00:00"}, content_type="application/json")
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "due_at"
    response = feoa.patch(url, {"state": "done", "owner_id": world.users.feoa_wmp.pk}, content_type="application/json")
    assert response.status_code == 200
    done = next(t for t in response.json()["tasks"] if t["id"] == task["id"])
    assert done["state"] == "done" and done["owner"] == str(world.users.feoa_wmp) and response.json()["done"] == 1
    response = feoa.patch(url, {"owner_id": None}, content_type="application/json")
    assert next(t for t in response.json()["tasks"] if t["id"] == task["id"])["owner_id"] is None
    assert IncidentTask.objects.get(pk=task["id"]).state == "done"  # only what was sent changed
    # The queue and the incident say how far the checklist has gone, to the force's FEOAs only.
    queue = feoa.get("/api/v1/incidents").json()["items"]
    assert queue[0]["checklist"]["done"] == 1 and queue[0]["checklist"]["summary"].startswith("1 of")
    assert feoa.get(f"/api/v1/incidents/{doorstep.reference}").json()["checklist"]["done"] == 1
    assert client_as(world.users.candidate).get(f"/api/v1/incidents/{doorstep.reference}").json()["checklist"] is None
    assert client_as(world.users.candidate).get("/api/v1/incidents").json()["items"][0]["checklist"] is None
    # Other forces: not found; candidates: forbidden.
    assert client_as(world.users.feoa_met).get(base).status_code == 404
    assert client_as(world.users.candidate).get(base).status_code == 403
    assert feoa.patch(f"{base}/999999", {"state": "done"}, content_type="application/json").status_code == 404


def test_the_api_reads_and_versions_templates(world, client_as):
    admin = client_as(world.users.admin)
    listed = admin.get("/api/v1/checklist-templates").json()
    assert len(listed) == 15 and {t["version"] for t in listed} == {1}
    one = admin.get("/api/v1/checklist-templates/abusive_or_hateful_message").json()
    assert "platform_report" in [t["key"] for t in one["tasks"]]
    body = {"tasks": [{"title": "Keep the evidence", "due_hours": 24}, {"title": "Keep the evidence", "due_hours": 48}], "note": "x"}
    response = admin.post("/api/v1/checklist-templates/abusive_or_hateful_message/versions", body, content_type="application/json")
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "tasks.1.key"
    body["tasks"][1]["title"] = "Report it to the platform"
    response = admin.post("/api/v1/checklist-templates/abusive_or_hateful_message/versions", body, content_type="application/json")
    assert response.status_code == 201 and response.json()["version"] == 2
    old = admin.get("/api/v1/checklist-templates/abusive_or_hateful_message?version=1").json()
    assert old["version"] == 1 and old["latest_version"] == 2 and len(old["tasks"]) == len(one["tasks"])
    assert admin.get("/api/v1/checklist-templates/abusive_or_hateful_message?version=7").status_code == 404
    assert admin.get("/api/v1/checklist-templates/nope").status_code == 404
    feoa = client_as(world.users.feoa_wmp)
    assert feoa.get("/api/v1/checklist-templates").status_code == 200
    assert feoa.post("/api/v1/checklist-templates/abusive_or_hateful_message/versions", body, content_type="application/json").status_code == 403
