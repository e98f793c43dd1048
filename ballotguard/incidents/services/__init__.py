"""Incident operations: reporting, evidence, the FEOA's workflow, links between incidents, access requests.

Pages, the API and commands call these functions; they own scope, transactions and the audit log.
Scope in one sentence: a candidate sees their own incidents, staff those of candidates who delegated
to them, a FEOA those in their force(s) (and any another force granted them), nobody else any.
Outside scope is ``Incident.DoesNotExist`` (answered 404); a role that may never do something is
``NotPermitted`` (403).
"""

from .errors import IdempotencyConflict, ReportInvalid
from .events import add_event, record_event
from .evidence import add_evidence, custody, evidence_of, open_evidence
from .guidance import Guidance, course_of_conduct_ids, facts_for, guidance_for, linked_ids, reassess_risk
from .links import (
    LinkedIncident, decide_access, link_observables, linked_incidents, pending_requests_for, profile, relink, request_access,
)
from .reporting import (
    MAX_DESCRIPTION, MAX_PERPETRATOR, ReportInput, input_from, observables_as_text, report, save_draft, submit, submit_check,
)
from .scope import (
    can_act_as_adviser, can_add_evidence, can_report, get_incident, incidents_in_force_of, incidents_visible_to, is_adviser,
    read_incident, reportable_candidates,
)
from .workflow import (
    MAX_NOTE, TRANSITIONS, QueueFilter, add_note, advisers_for_incident, allowed_transitions, assign, change_status, my_incidents,
    override_risk, queue, timeline,
)

__all__ = [
    "Guidance", "IdempotencyConflict", "LinkedIncident", "MAX_DESCRIPTION", "MAX_NOTE", "MAX_PERPETRATOR", "QueueFilter",
    "ReportInput", "ReportInvalid", "TRANSITIONS", "add_event", "add_evidence", "add_note", "advisers_for_incident",
    "allowed_transitions", "assign", "can_act_as_adviser", "can_add_evidence", "can_report", "change_status",
    "course_of_conduct_ids", "custody", "decide_access", "evidence_of", "facts_for", "get_incident", "guidance_for",
    "incidents_in_force_of", "incidents_visible_to", "input_from", "is_adviser", "link_observables", "linked_ids",
    "linked_incidents", "my_incidents", "observables_as_text", "open_evidence", "override_risk", "pending_requests_for",
    "profile", "queue", "read_incident", "reassess_risk", "record_event", "relink", "report", "reportable_candidates", "request_access",
    "save_draft", "submit", "submit_check", "timeline",
]
