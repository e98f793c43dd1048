"""Ingesting messages sent to candidates: from files (the CLI) and from the API, idempotently.

A message is identified by (platform, message id): reading the same export twice, or an API client
retrying a batch, stores each message once. Work goes in batches, one transaction each, so a file of
millions of rows is held one batch at a time and an interrupted run can simply be run again.
"""

from __future__ import annotations

import functools
import multiprocessing
import re
from concurrent.futures import Future, ProcessPoolExecutor
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from django.db import models, transaction
from django.utils import timezone

from ballotguard.accounts.models import Role
from ballotguard.accounts.services import Actor, audit
from ballotguard.core.matching import keyed_hash, match_key
from ballotguard.engines.abuse.scoring import score_messages
from ballotguard.engines.messages.records import MessageRecord, Platform, ReadStats, iter_messages, normalise_handle
from ballotguard.engines.common.tabular import RowError
from ballotguard.registry.models import SocialHandle
from ballotguard.registry.services import NotPermitted

from ..models import Message
from .scoring import apply_score, candidates_fingerprints, score_stored, scorer, threat_contexts, threat_scorer, threat_version

BATCH = 2_000
MAX_ERRORS_KEPT = 1_000
"""Rejected rows are all counted; the first thousand are listed (a broken 1M-row file must not fill memory)."""

INGESTERS = (Role.ADMIN,)
"""Who may feed messages in: the monitoring integration's service account (an administrator's API token)."""


@dataclass
class IngestReport:
    rows: int = 0
    created: int = 0
    duplicates: int = 0
    rejected: int = 0
    unrouted: int = 0
    flagged: int = 0
    recoded: int = 0
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    def reject(self, error: RowError) -> None:
        self.rejected += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(error)

    def as_dict(self) -> dict:
        return {
            "rows": self.rows, "created": self.created, "duplicates": self.duplicates, "rejected": self.rejected,
            "unrouted": self.unrouted, "flagged": self.flagged, "recoded_lines": self.recoded,
            "errors": [e.to_dict() for e in self.errors], "ignored_columns": self.ignored_columns,
        }


def check_ingester(actor: Actor) -> None:
    user = actor.user
    if user is not None and user.role not in INGESTERS:
        raise NotPermitted("Only the monitoring integration's administrator account can ingest messages.")


class HandleRouter:
    """Maps a platform handle to the candidacy it belongs to: the latest election's, where one person
    stood more than once. A handle claimed by two different people routes nowhere (analysts still see
    the message): guessing could send threats against one candidate to another's force. Loaded once
    per ingest run (handles number in the thousands)."""

    def __init__(self) -> None:
        best: dict[tuple[str, str], tuple] = {}
        people: dict[tuple[str, str], set[str]] = {}
        rows = SocialHandle.objects.filter(candidate__ballot__cancelled=False).values_list(
            "platform", "handle", "candidate_id", "candidate__ballot__election__date", "candidate__person_id")
        for platform, handle, candidate_id, date, person in rows:
            key = (platform, handle)
            people.setdefault(key, set()).add(person)
            if key not in best or (date, candidate_id) > best[key]:
                best[key] = (date, candidate_id)
        self._map = {k: v[1] for k, v in best.items() if len(people[k]) == 1}

    def route(self, record: MessageRecord) -> int | None:
        """The candidacy the message was sent to, or ``None``."""
        for handle in record.mentions or _mentioned_in(record.text):
            found = self._map.get((record.platform.value, handle))
            if found:
                return found
        return None


_MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9_.]{1,60})")


def _mentioned_in(text: str) -> list[str]:
    """Handles written in the text, for feeds that send no separate list of mentions."""
    return [normalise_handle(m.rstrip(".")) for m in _MENTION.findall(text[:2000])]


def _batches(items: Iterable, size: int) -> Iterator[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def ingest_records(actor: Actor, items: Iterable[MessageRecord | RowError], *, source: str, score: bool = True,
                   report: IngestReport | None = None, progress: Callable[[int], None] | None = None,
                   batch_size: int = BATCH, score_processes: int = 1) -> IngestReport:
    """Store every record not already stored; score them on the way in when ``score`` (the CLI), or
    leave them for the task worker (the API). Rejected rows go in the report with their line.

    ``score_processes`` above 1 (the ``ingest-messages`` command only: it forks, so never from a
    process running threads such as the task worker) scores each batch in a forked process while
    this one reads, routes and stores the batches around it; the scores are the same."""
    check_ingester(actor)
    report = report or IngestReport()
    router = HandleRouter()
    model = scorer() if score else None
    fingerprint_cache: dict[int, frozenset[str]] = {}
    with _Scoring(model, score_processes) as pool:
        waiting: tuple[list[Message], Future | None, int] | None = None
        for batch in _batches(items, batch_size):
            records: dict[tuple[str, str], MessageRecord] = {}
            for item in batch:
                report.rows += 1
                if isinstance(item, RowError):
                    report.reject(item)
                elif item.key in records:
                    report.duplicates += 1
                else:
                    records[item.key] = item
            messages = _messages(records, report, router, source)
            scoring = pool.submit(messages, fingerprint_cache) if model is not None and messages else None
            if waiting is not None:  # the batch before is stored while this one is scored
                _store(*waiting, report, model, progress)
            waiting = (messages, scoring, len(batch))
        if waiting is not None:
            _store(*waiting, report, model, progress)
    audit(actor, "import", "message", "", detail=f"{source}: {report.created} created, {report.duplicates} duplicates, {report.rejected} rejected")
    return report


class _Scoring:
    """Scores a batch here, at once (one process), or in a forked child while this process goes on.

    What needs the database (the candidates' fingerprints, each message's threat context) is read
    here; the child runs only the engine, on a model it inherited at the fork (never pickled)."""

    def __init__(self, model, processes: int):
        self.model = model
        self.executor = None
        if model is not None and processes > 1:
            global _CHILD_MODELS
            _CHILD_MODELS = (model, threat_scorer(), match_key())
            self.executor = ProcessPoolExecutor(max_workers=processes - 1, mp_context=multiprocessing.get_context("fork"))

    def submit(self, messages: list[Message], cache: dict[int, frozenset[str]]) -> Future:
        if self.executor is None:
            done: Future = Future()
            done.set_result(score_stored(messages, cache, self.model))
            return done
        prints = candidates_fingerprints([m.candidate_id for m in messages], cache)
        return self.executor.submit(_score_in_child, [m.text for m in messages], prints, threat_contexts(messages))

    def __enter__(self) -> _Scoring:
        return self

    def __exit__(self, *exc) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)


_CHILD_MODELS = None


def _score_in_child(texts, prints, contexts):
    model, threat_model, key = _CHILD_MODELS
    return score_messages(texts, model, key=key, fingerprints=prints, contexts=contexts, threat_model=threat_model)


def _existing(records: dict[tuple[str, str], MessageRecord]) -> set[tuple[str, str]]:
    by_platform: dict[str, list[str]] = {}
    for platform, message_id in records:
        by_platform.setdefault(platform, []).append(message_id)
    found: set[tuple[str, str]] = set()
    for platform, ids in by_platform.items():
        found.update(Message.objects.filter(platform=platform, message_id__in=ids).values_list("platform", "message_id"))
    return found


def _messages(records, report: IngestReport, router: HandleRouter, source: str) -> list[Message]:
    """The batch's messages not already stored, routed to their candidates, unsaved."""
    if not records:
        return []
    existing = _existing(records)
    report.duplicates += len(existing)
    now = timezone.now()
    messages = []
    for key, record in records.items():
        if key in existing:
            continue
        candidate_id = router.route(record)
        if candidate_id is None:
            report.unrouted += 1
        messages.append(Message(
            platform=record.platform.value, message_id=record.message_id, candidate_id=candidate_id,
            sent_at=record.sent_at, text=record.text, author_handle=record.author_handle, author_name=record.author_name,
            author_hash=keyed_hash("message-author", f"{record.platform.value}:{record.author_handle}") if record.author_handle else "",
            reply_to=record.reply_to, mentions="\n".join(record.mentions), urls="\n".join(record.urls),
            hashtags=list(record.hashtags), source=source, ingested_at=now,
        ))
    return messages


def _store(messages: list[Message], scoring: Future | None, rows: int, report: IngestReport, model,
           progress: Callable[[int], None] | None) -> None:
    if scoring is not None:
        now, threat = timezone.now(), threat_version()
        for message, score in zip(messages, scoring.result()):
            apply_score(message, score, model.version, now, threat)
            report.flagged += score.flagged
    if messages:
        with transaction.atomic():
            inserted = _insert(messages)
        report.created += inserted
        report.duplicates += len(messages) - inserted  # stored since the check (a concurrent ingest, or the batch before)
    if progress:
        progress(rows)


def _insert(messages: list[Message]) -> int:
    """``bulk_create(ignore_conflicts=True)`` without the ORM's per-value machinery, which was half
    the cost of an ingest (bench/monitoring_ingest.py): each column's value is prepared exactly as its
    field would prepare it (``get_db_prep_save``: encryption, JSON, datetimes), then one
    ``executemany``. ``ON CONFLICT DO NOTHING`` (PostgreSQL and SQLite alike) settles a concurrent
    ingest of the same message by the unique constraint, not by an error."""
    if not messages:
        return 0
    connection = transaction.get_connection()
    fields = [f for f in Message._meta.concrete_fields if not f.primary_key]
    for message in messages:
        for f in fields:  # defaults (ingested_at, review, ...) as the ORM would fill them
            if getattr(message, f.attname) is None and f.has_default():
                setattr(message, f.attname, f.get_default())
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    table = connection.ops.quote_name(Message._meta.db_table)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) ON CONFLICT (platform, message_id) DO NOTHING"
    prepare = [_preparer(f, connection) for f in fields]
    rows = [[prep(getattr(m, f.attname)) for f, prep in zip(fields, prepare)] for m in messages]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
        # Rows actually inserted (both drivers total executemany's rowcount); a conflict inserts none.
        return cursor.rowcount if cursor.rowcount >= 0 else len(rows)


# Columns whose value, when it already has one of these types, the field's own preparation returns
# unchanged (to_python/int/float of the same type, no database conversion on SQLite or PostgreSQL):
# calling it anyway for 14 of the 25 columns was a tenth of an ingest's CPU.
_UNCHANGED = {models.CharField: (str,), models.FloatField: (float,), models.BooleanField: (bool,),
              models.ForeignKey: (int,)}


def _preparer(column: models.Field, connection) -> Callable:
    """``column.get_db_prep_save``, skipped for a value it would return unchanged."""
    prepare = functools.partial(column.get_db_prep_save, connection=connection)
    kinds = _UNCHANGED.get(type(column))
    if kinds is None:
        return prepare
    if isinstance(column, models.ForeignKey) and type(column.target_field) not in (models.AutoField, models.BigAutoField):
        return prepare

    def fast(value):
        return value if value is None or type(value) in kinds else prepare(value)

    return fast


def ingest_file(actor: Actor, stream: BinaryIO, filename: str, *, score: bool = True, default_platform: Platform | None = None,
                progress: Callable[[int], None] | None = None, score_processes: int = 1) -> IngestReport:
    """Ingest a JSONL or CSV file. Raises ``TableError`` when it is not a message file at all.
    ``score_processes`` as for :func:`ingest_records`."""
    check_ingester(actor)
    stats = ReadStats()
    report = IngestReport()
    rows = iter_messages(stream, filename, stats=stats, default_platform=default_platform, now=timezone.now())
    ingest_records(actor, rows, source="file", score=score, report=report, progress=progress, score_processes=score_processes)
    report.recoded = stats.recoded
    report.ignored_columns = stats.ignored_columns
    return report
