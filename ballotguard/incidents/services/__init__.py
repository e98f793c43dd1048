"""Incident operations: reporting, evidence, the FEOA's workflow, links between incidents, access requests.

Pages, the API and commands call these functions; they own scope, transactions and the audit log.
Scope in one sentence: a candidate sees their own incidents, staff those of candidates who delegated
to them, a FEOA those in their force(s) (and any another force granted them), nobody else any.
Outside scope is ``Incident.DoesNotExist`` (answered 404); a role that may never do something is
``NotPermitted`` (403).
"""

# The operations the pages, the API, packs, tasks and tests use; the modules hold the rest.
from .checklists import (
    UNCHANGED, can_edit_templates, can_read_templates, current_templates, ensure_checklist, progress_for, progress_of, read_checklist,
    save_template, task_of, tasks_of, template_version, template_versions, update_task,
)
from .errors import IdempotencyConflict, ReportInvalid
from .events import add_event, record_event
from .evidence import add_evidence, custody, evidence_of, open_evidence
from .guidance import facts_for, guidance_for
from .links import decide_access, linked_incidents, pending_requests_for, profile, relink, request_access
from .referrals import EvidenceFile, refer
from .reporting import (
    MAX_DESCRIPTION, MAX_PERPETRATOR, ReportInput, observables_as_text, report, save_draft, submit, submit_check,
)
from .scope import (
    can_act_as_adviser, can_add_evidence, can_report, get_incident, incidents_visible_to, read_incident, reportable_candidates,
)
from .workflow import (
    MAX_NOTE, QUEUE_SORT, QueueFilter, add_note, advisers_for_incident, allowed_transitions, assign, change_status, my_incidents,
    override_risk, queue, queue_summary, timeline,
)

__all__ = [
    "UNCHANGED", "can_edit_templates", "can_read_templates", "current_templates", "ensure_checklist", "progress_for", "progress_of",
    "read_checklist", "save_template", "task_of", "tasks_of", "template_version", "template_versions", "update_task",
    "EvidenceFile", "IdempotencyConflict", "MAX_DESCRIPTION", "MAX_NOTE", "MAX_PERPETRATOR", "QUEUE_SORT", "QueueFilter", "ReportInput", "ReportInvalid",
    "add_event", "add_evidence", "add_note", "advisers_for_incident", "allowed_transitions", "assign", "can_act_as_adviser",
    "can_add_evidence", "can_report", "change_status", "custody", "decide_access", "evidence_of", "facts_for", "get_incident",
    "guidance_for", "incidents_visible_to", "linked_incidents", "my_incidents", "observables_as_text", "open_evidence",
    "override_risk", "pending_requests_for", "profile", "queue", "queue_summary", "read_incident", "record_event", "refer", "relink", "report",
    "reportable_candidates", "request_access", "save_draft", "submit", "submit_check", "timeline",
]
