"""Monitoring operations: ingest, scoring, the review queue, promotion to incidents, timelines.

Pages, the API, commands and tasks call these functions; they own scope, transactions and audit.
Coordinated campaigns live in ``services.campaigns`` (detection runs, decisions, scope).
Scope: a FEOA reviews messages to candidates in their force(s), in full; an analyst reviews every
force's, pseudonymised; nobody else sees the queue. Outside scope is ``Message.DoesNotExist`` (404);
a role that may never do something is ``NotPermitted`` (403).
"""

from . import campaigns
from .ingest import IngestReport, check_ingester, ingest_file, ingest_records
from .review import (
    IDENTITY_COLUMNS, MESSAGE_SORT, QueueFilter, ReviewConflict, decide, evidence_text, feedback_rows, promote, pseudonymise_text, queue, read_message,
    read_messages, view_of,
)
from .scope import can_review, get_message, messages_visible_to, sees_identities
from .scoring import score_pending, score_texts
from .timeline import timeline_candidates, timeline_chart, weekly_counts

__all__ = [
    "campaigns", "IDENTITY_COLUMNS", "IngestReport", "MESSAGE_SORT", "QueueFilter", "ReviewConflict", "can_review", "check_ingester", "decide", "evidence_text", "feedback_rows",
    "get_message", "ingest_file", "ingest_records", "messages_visible_to", "promote", "pseudonymise_text", "queue",
    "read_message", "read_messages", "score_pending", "score_texts", "sees_identities", "timeline_candidates",
    "timeline_chart", "view_of", "weekly_counts",
]
