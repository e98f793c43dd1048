"""Checklists per kind of incident: versioned templates per behaviour, and each incident's tasks.

Templates are not police data (they hold no incident's content): administrators edit them, FEOAs
may read them. Every edit saves the next version, audited; a behaviour never edited uses the shipped
default (``engines.incidents.checklists.DEFAULT_TEMPLATES``), stored as version 1 the first time it is needed.

Tasks are police data: only a FEOA of the incident's force(s) (``can_act_as_adviser``) sees and
changes them; a FEOA who may merely read the incident through a granted access request does not.
Every change is a line of the incident's timeline (for FEOAs only) and an audit event.

An incident gets its tasks when it is sent (``_send``), from the current template of each behaviour
it reports, each task once; triage adds any task its behaviours' templates hold that it lacks (an
incident sent before checklists existed), never changing tasks it already has.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from ballotguard.accounts.models import Role, User
from ballotguard.accounts.services import Actor, audit
from ballotguard.engines.incidents import checklists as engine
from ballotguard.engines.incidents.checklists import Progress, TaskInput, TaskSpec, TaskState
from ballotguard.engines.incidents.facts import Behaviour
from ballotguard.registry.services import NotPermitted

from ..models import ChecklistTemplate, ChecklistTemplateTask, Incident, IncidentEvent, IncidentTask
from .errors import ReportInvalid
from .events import SYSTEM, add_event
from .scope import can_act_as_adviser, locked

MAX_NOTE = 300
UNCHANGED = object()  # an update that leaves this part of the task as it is


# ---------------------------------------------------------------------------------------------------
# Templates


def can_edit_templates(user: User) -> bool:
    return user.is_authenticated and user.role == Role.ADMIN


def can_read_templates(user: User) -> bool:
    return user.is_authenticated and user.role in {Role.ADMIN, Role.FEOA}


def _seed(behaviour: Behaviour) -> ChecklistTemplate:
    """Store the shipped default as version 1 (once: a second caller at the same moment finds it)."""
    try:
        with transaction.atomic():
            template = ChecklistTemplate.objects.create(behaviour=behaviour.value, version=1, note="Shipped default")
            _store_tasks(template, engine.DEFAULT_TEMPLATES.get(behaviour, ()))
    except IntegrityError:
        return ChecklistTemplate.objects.get(behaviour=behaviour.value, version=1)
    audit(SYSTEM, "create", "checklist_template", template.pk, detail=f"{behaviour.value} v1 (shipped default)")
    return template


def _store_tasks(template: ChecklistTemplate, specs: Sequence[TaskSpec]) -> None:
    ChecklistTemplateTask.objects.bulk_create([
        ChecklistTemplateTask(template=template, position=n, key=s.key, title=s.title, guidance=s.guidance,
                              due_hours=s.due_hours, due_hours_high=s.due_hours_high)
        for n, s in enumerate(specs)
    ])


def current_templates(behaviours: Iterable[Behaviour] | None = None) -> dict[Behaviour, ChecklistTemplate]:
    """The newest version of each behaviour's template (all behaviours when none are named), with
    its tasks prefetched; the shipped default is stored first where there is none."""
    wanted = [b for b in Behaviour if behaviours is None or b in set(behaviours)]
    found: dict[Behaviour, ChecklistTemplate] = {}
    for template in ChecklistTemplate.objects.filter(behaviour__in=[b.value for b in wanted]).order_by("behaviour", "-version"):
        found.setdefault(Behaviour(template.behaviour), template)
    for behaviour in wanted:
        if behaviour not in found:
            found[behaviour] = _seed(behaviour)
    ids = [t.pk for t in found.values()]
    tasks: dict[int, list[ChecklistTemplateTask]] = {}
    for task in ChecklistTemplateTask.objects.filter(template_id__in=ids).order_by("position"):
        tasks.setdefault(task.template_id, []).append(task)
    for template in found.values():
        template.task_list = tasks.get(template.pk, [])
    return {b: found[b] for b in wanted}


def spec_of(task: ChecklistTemplateTask) -> TaskSpec:
    return TaskSpec(key=task.key, title=task.title, guidance=task.guidance, due_hours=task.due_hours, due_hours_high=task.due_hours_high)


def template_versions(behaviour: Behaviour) -> QuerySet[ChecklistTemplate]:
    current_templates([behaviour])
    return ChecklistTemplate.objects.filter(behaviour=behaviour.value).select_related("created_by").order_by("-version")


def template_version(behaviour: Behaviour, version: int) -> ChecklistTemplate:
    template = ChecklistTemplate.objects.select_related("created_by").get(behaviour=behaviour.value, version=version)
    template.task_list = list(template.tasks.order_by("position"))
    return template


def save_template(actor: Actor, behaviour: Behaviour, items: Sequence[TaskInput], note: str = "") -> ChecklistTemplate:
    """An administrator's edit: saved as the next version (audited). Incidents given an earlier
    version keep their tasks; incidents sent from now on get this one."""
    user = actor.user
    if user is None or not can_edit_templates(user):
        raise NotPermitted("Only an administrator can change checklist templates.")
    specs, errors = engine.validate_tasks(items)
    note = note.strip()
    if len(note) > MAX_NOTE:
        errors["note"] = f"The note must be {MAX_NOTE} characters or fewer"
    if errors:
        raise ReportInvalid(errors)
    with transaction.atomic():
        current = current_templates([behaviour])[behaviour]
        # The row of the newest version, locked: two administrators saving at once make two versions
        # in turn, never the same number twice (the unique constraint is the last word).
        current = ChecklistTemplate.objects.select_for_update().get(pk=current.pk)
        newest = ChecklistTemplate.objects.filter(behaviour=behaviour.value).order_by("-version").first()
        if tuple(spec_of(t) for t in newest.tasks.order_by("position")) == tuple(specs):
            raise ReportInvalid({"tasks": "Nothing has changed: change a task, add one or remove one before saving"})
        template = ChecklistTemplate.objects.create(behaviour=behaviour.value, version=newest.version + 1, note=note, created_by=user)
        _store_tasks(template, specs)
        audit(actor, "create", "checklist_template", template.pk, fields=["tasks"],
              detail=f"{behaviour.value} v{template.version} ({len(specs)} tasks, was v{newest.version})")
    template.task_list = list(template.tasks.order_by("position"))
    return template


# ---------------------------------------------------------------------------------------------------
# An incident's tasks


def ensure_checklist(actor: Actor, incident: Incident) -> list[IncidentTask]:
    """Give the incident the tasks its behaviours' current templates hold and it does not have yet.
    Returns the tasks added (none when it has them all)."""
    behaviours = incident.behaviour_set
    if not behaviours or incident.status == Incident.Status.DRAFT:
        return []
    templates = current_templates(behaviours)
    rows = {(b, t.key): t for b, template in templates.items() for t in template.task_list}
    start = incident.submitted_at or timezone.now()
    planned = engine.plan({b: [spec_of(t) for t in template.task_list] for b, template in templates.items()},
                          behaviours, incident.effective_risk, start)
    have = set(incident.tasks.values_list("key", flat=True))
    owner = incident.assigned_to if incident.assigned_to_id else None
    new = [
        IncidentTask(incident=incident, template_task=rows[(p.source, p.key)], key=p.key, title=p.spec.title, guidance=p.spec.guidance,
                     behaviours=[b.value for b in p.behaviours], position=n, due_at=p.due_at, owner=owner)
        for n, p in enumerate(planned) if p.key not in have
    ]
    if new:
        IncidentTask.objects.bulk_create(new)
        versions = ", ".join(f"{Behaviour(b).label.split(':')[0].lower()} v{t.version}" for b, t in sorted(
            ((b.value, t) for b, t in templates.items()), key=lambda x: x[0]))
        add_event(actor, incident, IncidentEvent.Kind.TASK, f"{len(new)} task{'s' if len(new) != 1 else ''} added from the checklists for {versions}",
                  internal=True)
    return new


def tasks_of(user: User, incident: Incident) -> QuerySet[IncidentTask]:
    """The incident's checklist, for a FEOA of its force(s) only."""
    if not can_act_as_adviser(user, incident):
        raise NotPermitted("Only a FEOA of the incident's force can see its checklist.")
    return incident.tasks.select_related("owner", "completed_by", "template_task__template")


def read_checklist(actor: Actor, incident: Incident) -> None:
    """Record that the actor was shown the checklist (a reason a task does not apply can name people).
    The case page's own audited read covers the checklist it shows."""
    audit(actor, "read", "incident", incident.pk, fields=["checklist"])


def task_of(user: User, incident: Incident, task_id: int) -> IncidentTask:
    return tasks_of(user, incident).get(pk=task_id)


def progress_of(tasks: Iterable[IncidentTask], now: dt.datetime | None = None) -> Progress:
    return engine.progress(((t.state, t.due_at) for t in tasks), now or timezone.now())


def progress_for(incident_ids: Iterable[int], now: dt.datetime | None = None) -> dict[int, Progress]:
    """Progress of many incidents' checklists in one query (a page of the queue)."""
    rows: dict[int, list[tuple[str, dt.datetime]]] = {}
    for incident_id, state, due_at in IncidentTask.objects.filter(incident_id__in=list(incident_ids)).values_list("incident_id", "state", "due_at"):
        rows.setdefault(incident_id, []).append((state, due_at))
    now = now or timezone.now()
    return {pk: engine.progress(pairs, now) for pk, pairs in rows.items()}


def update_task(actor: Actor, incident: Incident, task_id: int, *, state: str | object = UNCHANGED, reason: str = "",
                owner_id: int | None | object = UNCHANGED, due_at: dt.datetime | None | object = UNCHANGED) -> IncidentTask:
    """Mark a task done, not applicable (with a reason) or to do again; give it an owner (a FEOA of
    the incident's force, or nobody) or a new due time. What is not given stays as it is."""
    user = actor.user
    if user is None or not can_act_as_adviser(user, incident):
        raise NotPermitted("Only a FEOA of the incident's force can change its checklist.")
    errors: dict[str, str] = {}
    reason = reason.strip()
    if state is not UNCHANGED:
        errors.update(engine.check_reason(str(state), reason))
    elif reason:
        errors["state"] = "Select not applicable to give a reason"
    owner = None
    if owner_id is not UNCHANGED and owner_id is not None:
        from .workflow import advisers_for_incident

        owner = advisers_for_incident(incident).filter(pk=owner_id).first()
        if owner is None:
            errors["owner"] = "Select a FEOA of this incident's force"
    if due_at is not UNCHANGED:
        if due_at is None:
            errors["due_at"] = "Enter when the task is due"
        elif due_at.tzinfo is None:
            errors["due_at"] = "Give the due time with a time zone offset, like 2026-05-01T17:00:00+01:00"
        elif incident.submitted_at and due_at < incident.submitted_at:
            errors["due_at"] = "The task cannot be due before the report was sent"
    with transaction.atomic():
        incident = locked(incident)
        task = IncidentTask.objects.select_for_update().get(incident=incident, pk=task_id)
        if incident.status == Incident.Status.CLOSED and not errors:
            errors["state"] = "The incident is closed: re-open it to change its checklist"
        if errors:
            raise ReportInvalid(errors)
        changes, fields = _apply(user, task, state, reason, owner_id, owner, due_at)
        if not changes:
            return task
        task.save()
        add_event(actor, incident, IncidentEvent.Kind.TASK, f"“{task.title}”: {'; '.join(changes)}", internal=True)
        audit(actor, "update", "incident_task", task.pk, fields=fields, detail=f"incident {incident.pk}")
    return task


def _apply(user: User, task: IncidentTask, state, reason: str, owner_id, owner, due_at) -> tuple[list[str], list[str]]:
    changes: list[str] = []
    fields: list[str] = []
    if state is not UNCHANGED and (state != task.state or (state == TaskState.NOT_APPLICABLE.value and reason != task.reason)):
        task.state = str(state)
        fields.append("state")
        if state == TaskState.OPEN.value:
            task.reason, task.completed_by, task.completed_at = "", None, None
            changes.append("to do again")
        else:
            task.reason = reason if state == TaskState.NOT_APPLICABLE.value else ""
            task.completed_by, task.completed_at = user, timezone.now()
            changes.append(f"not applicable: {reason}" if state == TaskState.NOT_APPLICABLE.value else "done")
            if state == TaskState.NOT_APPLICABLE.value:
                fields.append("reason")
    if owner_id is not UNCHANGED and owner_id != task.owner_id:
        task.owner = owner
        fields.append("owner")
        changes.append(f"owner {owner}" if owner else "no owner")
    if due_at is not UNCHANGED and due_at != task.due_at:
        task.due_at = due_at
        fields.append("due_at")
        changes.append(f"due {timezone.localtime(due_at):%-d %b %Y, %H:%M}")
    return changes, fields
