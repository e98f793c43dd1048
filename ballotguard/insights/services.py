"""Insights operations: refresh the snapshots, read them within the user's scope, export tables,
list pseudonymised records and reveal one with a recorded reason.

Who sees what:

* **Taskforce analysts**: national figures and every force's; incident records only under
  pseudonyms; revealing whose incident a pseudonym is needs a reason and is audited.
* **FEOAs**: the figures of their own force(s) only. They already see their force's incidents by
  name on the case pages, so the records page is for analysts.
* Everyone else: nothing here (403).

The arithmetic and the disclosure control live in :mod:`ballotguard.engines.insights.figures`; this module
only gathers rows from the database and stores what the engine returns.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from ballotguard.accounts.models import AuditEvent, Role, User
from ballotguard.accounts.services import Actor, audit
from ballotguard.core import jobs
from ballotguard.core.background import task
from ballotguard.core.matching import INCIDENT_PSEUDONYM_DIGITS, candidate_pseudonym, incident_pseudonym, record_keys
from ballotguard.core.sorting import Column, SortSpec, Sorting
from ballotguard.engines.insights import clocks as case_clocks
from ballotguard.engines.insights import figures as engine
from ballotguard.engines.incidents.facts import BEHAVIOUR_LABELS, CHARACTERISTIC_LABELS, ISSUE_TAG_LABELS, Behaviour
from ballotguard.engines.incidents.risk import RiskLevel
from ballotguard.incidents.models import Incident
from ballotguard.incidents.services import clocks as clock_services
from ballotguard.engines.insights.outreach import coverage_by
from ballotguard.outreach.services import outreach_records
from ballotguard.registry.models import Area, AreaForce, Candidate, Election, PoliceForce
from ballotguard.registry.services import NotPermitted

from .models import NATIONAL, ClockBreaches, RefreshRun, RevealReason, Snapshot

ANALYST_ROLES = (Role.ANALYST,)
MIN_REASON = 20  # characters: a reason a reviewer can judge, not "x"


def threshold() -> int:
    return int(getattr(settings, "BALLOTGUARD_SUPPRESSION_THRESHOLD", engine.DEFAULT_THRESHOLD))


# ---------------------------------------------------------------------------------------------------
# Scope


def scopes_for(user: User) -> list[str]:
    """The scopes a user may read, national first. Raises NotPermitted for any other role."""
    if getattr(user, "role", None) == Role.ANALYST:
        return [NATIONAL, *PoliceForce.objects.order_by("name").values_list("code", flat=True)]
    if getattr(user, "role", None) == Role.FEOA:
        return list(user.police_forces.order_by("name").values_list("code", flat=True))
    raise NotPermitted("Insights are for Taskforce analysts and police FEOAs.")


def sees_records(user: User) -> bool:
    return getattr(user, "role", None) == Role.ANALYST


def elections_available(scope: str | None = None) -> list[Election]:
    """Elections with figures, for one scope when given (a force has none for an election it had
    no candidates in)."""
    snapshots = Snapshot.objects.all() if scope is None else Snapshot.objects.filter(scope=scope)
    ids = snapshots.values_list("election_id", flat=True).distinct()
    return list(Election.objects.filter(pk__in=ids).order_by("-date", "name"))


def snapshot_for(user: User, *, election_id: str | None = None, scope: str | None = None) -> Snapshot:
    """The snapshot the user asked for, within their scope. ``None`` means the latest election and
    the user's first scope. Raises NotPermitted for a scope outside theirs (the caller answers 404
    for a force, so a FEOA cannot probe others) and Snapshot.DoesNotExist before the first refresh."""
    scopes = scopes_for(user)
    if not scopes:
        raise NotPermitted("Your account is not attached to a police force.")
    scope = scope or scopes[0]
    if scope not in scopes:
        raise NotPermitted("That police force is outside your scope.")
    qs = Snapshot.objects.select_related("election").filter(scope=scope)
    if election_id:
        return qs.get(election__election_id=election_id)
    # Open on the latest election that has something to show: a small local election with no
    # incidents yet would otherwise greet the analyst with "nothing to compare with" everywhere.
    latest_first = qs.order_by("-election__date", "election__name")
    found = latest_first.filter(incidents__gt=0).first() or latest_first.first()
    if found is None:
        raise Snapshot.DoesNotExist
    return found


def last_refresh() -> RefreshRun | None:
    return RefreshRun.objects.filter(status=RefreshRun.Status.DONE).first()


REFRESH_LOCK = 7_140_001  # any fixed number unique to this use of pg_advisory_xact_lock


def refresh_running() -> bool:
    """Whether a refresh is running now. One left "running" by a worker that died is first marked
    failed (``core.jobs``), so it neither shows as running nor holds back the next refresh."""
    fail_dead_refreshes()
    return RefreshRun.objects.filter(status=RefreshRun.Status.RUNNING).exists()


def fail_dead_refreshes(now: dt.datetime | None = None) -> int:
    return RefreshRun.objects.filter(status=RefreshRun.Status.RUNNING, started_at__lt=jobs.stale_before(now)).update(
        status=RefreshRun.Status.FAILED, error=jobs.died_reason()[:300], finished_at=now or timezone.now())


def request_refresh(user: User) -> None:
    """Queue a refresh for the task worker (the page's button and the API)."""
    scopes_for(user)  # raises NotPermitted for anyone without insights
    task("ballotguard.insights.tasks.refresh_insights").enqueue(trigger="on_demand", requested_by_id=user.pk)


# ---------------------------------------------------------------------------------------------------
# Gathering rows


def _week_of(moment: dt.datetime) -> dt.date:
    return engine.week_start(timezone.localtime(moment).date())


@dataclass
class Frames:
    candidates: pl.DataFrame
    incidents: pl.DataFrame
    elections: list[engine.ElectionRef]
    force_names: dict[str, str]
    coverage: dict[str, list[engine.ForceCoverage]]  # per election id
    now: float = 0.0  # epoch seconds: where running case clocks stand
    clock_targets: dict | None = None  # forces with their own clock targets, by code
    adviser_names: dict | None = None  # FEOA id -> name, for the clocks by assigned adviser


def load_frames(today: dt.date | None = None) -> Frames:
    """Everything the engine needs, as two tables. No personal data leaves this function: names,
    contact details and free text are never read."""
    forces = {f.pk: f for f in PoliceForce.objects.all()}
    area_forces: dict[int, list[str]] = {}
    primary_nation: dict[int, str] = {}
    for area_id, force_id, primary in AreaForce.objects.values_list("area_id", "force_id", "is_primary").order_by("area_id", "-is_primary"):
        area_forces.setdefault(area_id, []).append(forces[force_id].code)
        if primary or area_id not in primary_nation:
            primary_nation.setdefault(area_id, forces[force_id].nation)
    outreach = outreach_records()
    contacted = {r.candidate_id for r in outreach if r.first_contact_at is not None}
    rows = Candidate.objects.values_list(
        "pk", "ballot__election__election_id", "gender", "party__name", "ballot__area_id", "ballot__area__code",
        "ballot__area__area_type", "ballot__area__region__name", "ballot__council__name",
    )
    candidate_rows = [
        {"id": pk, "election": election, "gender": gender or "", "party": party or "Independent", "nation": primary_nation.get(area_id, "Not known"),
         "region": region or "Not known", "constituency": code if area_type == "constituency" else "", "council": council or "",
         "forces": area_forces.get(area_id, []), "contacted": pk in contacted}
        for pk, election, gender, party, area_id, code, area_type, region, council in rows.iterator(chunk_size=5000)
    ]
    for row, key in zip(candidate_rows, record_keys("candidate", (r["id"] for r in candidate_rows)), strict=True):
        row["record_key"] = key
    candidates = engine.candidate_frame(candidate_rows)
    incidents = _incident_frame()
    elections = [engine.ElectionRef(e.election_id, e.name, e.date, e.election_type) for e in Election.objects.order_by("date")]
    # Coverage per election: a FEOA's outreach for one election says nothing about another's.
    election_of = dict(zip(candidates["id"].to_list(), candidates["election"].to_list(), strict=True))
    by_election: dict[str, list] = {}
    for record in outreach:
        for force_id in record.force_ids:
            by_election.setdefault(election_of.get(record.candidate_id), []).append((force_id, record.for_stats()))
    today = today or timezone.localdate()
    coverage = {
        e.election_id: [
            engine.ForceCoverage(code=forces[force_id].code, name=forces[force_id].name, handed_over=c.handed_over, contacted=c.contacted,
                                 briefed=c.briefed, median_days_to_first_contact=c.median_days_to_first_contact, waiting_days=c.waiting_days)
            for force_id, c in sorted(coverage_by(by_election.get(e.election_id, []), keys=forces, today=today).items(),
                                      key=lambda kv: forces[kv[0]].name)
        ]
        for e in elections
    }
    advisers = {pk: (f"{first} {last}".strip() or username)
                for pk, first, last, username in User.objects.filter(role=Role.FEOA).values_list("pk", "first_name", "last_name", "username")}
    return Frames(candidates, incidents, elections, {f.code: f.name for f in forces.values()}, coverage,
                  now=timezone.now().timestamp(), clock_targets=clock_services.targets_by_force(), adviser_names=advisers)


def _incident_frame() -> pl.DataFrame:
    """Submitted incidents as the engine's table, read with one plain SQL query.

    Why not the ORM: at a million incidents, building a Python object per JSON list and per
    timestamp took most of the refresh (``bench/insights.py``). Here the database returns the time as
    epoch seconds and the lists as JSON text, and Polars decodes both in bulk. Only the fixed
    vocabulary columns are read: never a description, name or other personal field.
    """
    table = connection.ops.quote_name(Incident._meta.db_table)
    if connection.vendor == "postgresql":
        epoch = "EXTRACT(EPOCH FROM COALESCE(occurred_at, submitted_at, created_at))::float8"
        as_text = "{}::text"
    else:  # SQLite keeps datetimes as UTC text and JSON as text
        epoch = "(julianday(COALESCE(occurred_at, submitted_at, created_at)) - 2440587.5) * 86400.0"
        as_text = "{}"
    def seconds(column: str) -> str:
        return epoch.replace("COALESCE(occurred_at, submitted_at, created_at)", column)

    closed = "CASE WHEN status = 'closed' THEN closed_at END"
    sql = (f"SELECT id, candidate_id, {epoch}, place, {as_text.format('behaviours')}, {as_text.format('characteristics')}, "
           f"{as_text.format('issue_tags')}, COALESCE(NULLIF(risk_override_level, ''), risk_level), crime_reference <> '', status, "
           f"{seconds('submitted_at')}, {seconds('first_contact_at')}, {seconds('triaged_at')}, {seconds('referred_at')}, "
           f"{seconds(closed)}, assigned_to_id "
           f"FROM {table} WHERE status <> %s")
    names = ["id", "candidate_id", "moment", "channel", "behaviours", "characteristics", "issue_tags", "risk", "police", "status",
             "submitted", "first_contact", "triaged", "referred", "closed", "adviser"]
    columns: list[list] = [[] for _ in names]
    with connection.cursor() as cursor:
        cursor.execute(sql, [Incident.Status.DRAFT.value])
        while chunk := cursor.fetchmany(20000):
            for column, values in zip(columns, zip(*chunk, strict=True), strict=True):
                column.extend(values)
    raw = pl.DataFrame(dict(zip(names, columns, strict=True)), schema={
        "id": pl.Int64, "candidate_id": pl.Int64, "moment": pl.Float64, "channel": pl.Utf8, "behaviours": pl.Utf8,
        "characteristics": pl.Utf8, "issue_tags": pl.Utf8, "risk": pl.Utf8, "police": pl.Boolean, "status": pl.Utf8,
        "submitted": pl.Float64, "first_contact": pl.Float64, "triaged": pl.Float64, "referred": pl.Float64, "closed": pl.Float64,
        "adviser": pl.Int64},
        strict=False)  # SQLite answers the comparison as 0 or 1
    local_day = (pl.from_epoch((pl.col("moment") * 1_000_000).cast(pl.Int64), time_unit="us")
                 .dt.replace_time_zone("UTC").dt.convert_time_zone(settings.TIME_ZONE).dt.date())
    as_list = pl.List(pl.Utf8)
    keys = pl.Series("record_key", record_keys("incident", raw["id"].to_list()), dtype=pl.Int64)
    return raw.with_columns(keys).select(
        "id", "candidate_id",
        week=local_day - pl.duration(days=local_day.dt.weekday() - 1),  # Monday of the UK week
        channel=pl.col("channel").fill_null(""),
        behaviours=pl.col("behaviours").fill_null("[]").str.json_decode(as_list),
        characteristics=pl.col("characteristics").fill_null("[]").str.json_decode(as_list),
        issue_tags=pl.col("issue_tags").fill_null("[]").str.json_decode(as_list),
        serious=pl.col("risk") == RiskLevel.HIGH.value,
        reported_to_police=pl.col("police").fill_null(False),
        awaiting_triage=pl.col("status") == Incident.Status.NEW.value,
        risk=pl.col("risk").fill_null(""),
        submitted="submitted", first_contact="first_contact", triaged="triaged", referred="referred", closed="closed", adviser="adviser",
        record_key="record_key",
    ).cast(engine.INCIDENT_SCHEMA)


# ---------------------------------------------------------------------------------------------------
# Refreshing


# Bump when what engine.dashboard computes changes (a new table, another method), so that every
# snapshot is recomputed once rather than kept because its inputs did not change.
PAYLOAD_VERSION = "4"  # 3: cell-key perturbation instead of suppression; 4: the case clocks


def _election_digests(frames: Frames) -> dict:
    """Per election, a digest of every row its figures are computed from: its candidates, the incidents
    against them, its coverage rows, and every election's name and date (the comparisons). Row hashes
    are sorted, so the order rows come back from the database in does not matter."""
    everywhere = repr((PAYLOAD_VERSION, threshold(), frames.elections, sorted(frames.force_names.items()),
                       sorted((code, sorted((c.value, sorted(v.items())) for c, v in t.items())) for code, t in (frames.clock_targets or {}).items()),
                       sorted((frames.adviser_names or {}).items()))).encode()
    # Running case clocks change the figures as time passes, not only as rows change: each incident's
    # count of targets passed (per force and national) joins its row, so a clock passing one is a change.
    targets = case_clocks.targets_frame(frames.clock_targets or {})
    digests = {}
    for election in frames.elections:
        cands = frames.candidates.filter(pl.col("election") == election.election_id)
        incs = frames.incidents.join(cands.select(pl.col("id").alias("candidate_id"), "forces"), on="candidate_id", how="inner")
        if incs.height:
            incs = incs.join(case_clocks.overdue_marks(incs, targets, frames.now), on="id", how="left")
        digest = hashlib.sha256(everywhere)
        for frame in (cands, incs):
            digest.update(f"|{frame.height}|".encode())
            if frame.height:
                digest.update(frame.hash_rows(seed=0).sort().to_numpy().tobytes())
        digest.update(repr(sorted(map(repr, frames.coverage.get(election.election_id, [])))).encode())
        digests[election.election_id] = digest
    return digests


def refresh_snapshots(*, today: dt.date | None = None, trigger: str = "command", requested_by: User | None = None,
                      progress: Callable[[int, int], None] | None = None, force_all: bool = False) -> RefreshRun:
    """Recompute the snapshots (each election × national and each force with candidates in it) whose
    inputs changed since they were computed, and replace them in one transaction, so a page never
    shows half old, half new figures. A snapshot whose inputs are unchanged (same fingerprint) is
    kept and marked as current: a refresh every few minutes costs a table read, not a core, until
    something changes. ``force_all`` recomputes everything."""
    run = RefreshRun.objects.create(trigger=trigger, requested_by=requested_by)
    started = time.perf_counter()
    try:
        frames = load_frames(today)
        cands = frames.candidates
        jobs: list[tuple[engine.ElectionRef, str | None]] = []
        for election in frames.elections:
            in_election = cands.filter(pl.col("election") == election.election_id)
            if not in_election.height:
                continue
            jobs.append((election, None))
            codes = sorted(set(in_election.select(pl.col("forces").explode()).drop_nulls().to_series().to_list()))
            jobs.extend((election, code) for code in codes)
        totals_by_scope: dict[str | None, dict[str, tuple[int, int]]] = {}
        snapshots = []
        now = timezone.now()
        by_id = {e.election_id: e for e in Election.objects.all()}
        digests = _election_digests(frames)
        stored = {} if force_all else {
            (election_id, scope): fingerprint
            for election_id, scope, fingerprint in Snapshot.objects.values_list("election__election_id", "scope", "fingerprint")
        }
        unchanged: set[tuple[str, str]] = set()
        for done, (election, force) in enumerate(jobs, start=1):
            if force not in totals_by_scope:
                totals_by_scope[force] = _totals(frames, force)
            fingerprint = digests[election.election_id].copy()
            # The comparisons read this scope's totals of earlier elections of the same kind: those too.
            compared = {e.election_id for e in frames.elections if e.election_type == election.election_type and e.date <= election.date}
            fingerprint.update(repr((force, sorted(kv for kv in totals_by_scope[force].items() if kv[0] in compared))).encode())
            fingerprint = fingerprint.hexdigest()
            key = (election.election_id, force or NATIONAL)
            if stored.get(key) == fingerprint:
                unchanged.add(key)
            else:
                payload = engine.dashboard(
                    frames.candidates, frames.incidents, election=election, elections=frames.elections, force=force,
                    force_names=frames.force_names, coverage_rows=frames.coverage.get(election.election_id, []), threshold=threshold(),
                    totals=totals_by_scope[force], now=frames.now, clock_targets=frames.clock_targets,
                    adviser_names=frames.adviser_names,
                )
                x, n = totals_by_scope[force].get(election.election_id, (engine.EMPTY, 0))
                x = x.count  # the true count, for the snapshot's own bookkeeping (which election to open on); never shown
                snapshots.append(Snapshot(election=by_id[election.election_id], scope=force or NATIONAL, payload=payload,
                                          candidates=n, incidents=x, computed_at=now, fingerprint=fingerprint))
            if progress:
                progress(done, len(jobs))
        breach_lists = _breach_lists(frames, now)
        with transaction.atomic():
            # Two refreshes at once (the schedule and a button) must not both delete and insert: on
            # PostgreSQL the second would not see the first's new rows and hit the unique constraint.
            # A transaction-scoped advisory lock queues them; SQLite's write lock already does.
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REFRESH_LOCK])
            # Unchanged inputs: the same figures, now known to be current as of this run.
            kept = [pk for pk, election_id, scope in Snapshot.objects.values_list("pk", "election__election_id", "scope")
                    if (election_id, scope) in unchanged]
            Snapshot.objects.filter(pk__in=kept).update(computed_at=now)
            Snapshot.objects.exclude(pk__in=kept).delete()
            Snapshot.objects.bulk_create(snapshots, batch_size=100)
            ClockBreaches.objects.all().delete()
            ClockBreaches.objects.bulk_create(breach_lists, batch_size=20)
        from .survey import refresh_survey_figures  # the candidates' survey (issue 17): small, so always recomputed

        refresh_survey_figures()
        run.status = RefreshRun.Status.DONE
        run.snapshots, run.unchanged = len(snapshots) + len(unchanged), len(unchanged)
        run.incidents, run.candidates = frames.incidents.height, frames.candidates.height
    except Exception as exc:
        run.status, run.error = RefreshRun.Status.FAILED, type(exc).__name__
        raise
    finally:
        run.finished_at = timezone.now()
        run.seconds = round(time.perf_counter() - started, 3)
        run.save()
    return run


def _force_links() -> pl.DataFrame:
    """(incident id, force code) for every incident's police forces: the forces whose lead FEOAs see it."""
    through = Incident.forces.through
    sql = (f"SELECT t.incident_id, f.code FROM {connection.ops.quote_name(through._meta.db_table)} t "
           f"JOIN {connection.ops.quote_name(PoliceForce._meta.db_table)} f ON f.id = t.policeforce_id")
    ids, codes = [], []
    with connection.cursor() as cursor:
        cursor.execute(sql)
        while chunk := cursor.fetchmany(50000):
            for incident_id, code in chunk:
                ids.append(incident_id)
                codes.append(code)
    return pl.DataFrame({"id": ids, "force": codes}, schema={"id": pl.Int64, "force": pl.Utf8})


def _breach_lists(frames: Frames, now: dt.datetime) -> list[ClockBreaches]:
    """Each force's breach list, worst first (engines.insights.clocks.breach_ranking), for its lead FEOA:
    the worst ``BREACH_KEEP`` of them, and how many in all."""
    linked = frames.incidents.select("id", *case_clocks.CLOCK_COLUMNS).join(_force_links(), on="id", how="inner")
    ranked = case_clocks.breach_ranking(linked, frames.clock_targets or {}, frames.now)
    forces = dict(PoliceForce.objects.values_list("code", "pk"))
    out = []
    for (code,), part in ranked.partition_by("force", as_dict=True, maintain_order=True).items():
        rows = [list(r) for r in part.head(BREACH_KEEP).select("id", "stopped_over", "running_over").iter_rows()]
        out.append(ClockBreaches(force_id=forces[code], computed_at=now, total=part.height, rows=rows))
    return out


@dataclass(frozen=True)
class BreachRow:
    incident: Incident
    breach: case_clocks.Breach

    @property
    def worst_label(self) -> str:
        return self.breach.worst.clock.label

    @property
    def over(self) -> str:
        return case_clocks.fmt_duration(self.breach.over_seconds)

    @property
    def missed(self) -> list[dict]:
        return [{"clock": m.clock.value, "label": m.clock.label, "state": m.state.value, "took": case_clocks.fmt_duration(m.seconds),
                 "target": case_clocks.fmt_duration(m.target_seconds), "over": case_clocks.fmt_duration(m.over_seconds),
                 "over_hours": round(m.over_seconds / case_clocks.HOUR, 2)} for m in self.breach.measures]


BREACH_PAGE = 50
# The worst this many per force are kept (40 pages): reading and re-ranking a force's every breach at a
# million incidents (40,816 for one force) cost 90 ms a page; nobody reads past the first pages, and
# the total is still counted in full.
BREACH_KEEP = 2_000


def breaches(actor: Actor, force: PoliceForce, *, page: int = 1) -> tuple[list[BreachRow], int, dt.datetime | None]:
    """One page of the force's breach list, worst first, the number in all and when it was ranked.

    The ranking is the refresh's (``ClockBreaches``), kept exact for clocks still running by adding the
    time since; each row on the page is then measured live against the force's current targets
    (status, times), and one that no longer misses any (its target was raised) is left out. The
    caller has checked that the actor leads the force (``incidents.services.clocks.lead_forces``).
    Audited as a read of the list."""
    stored = ClockBreaches.objects.filter(force=force).first()
    page = max(1, page)
    if stored is None:
        audit(actor, AuditEvent.Action.READ, "incident.breaches", force.code, detail=f"page={page} rows=0 (not ranked yet)")
        return [], 0, None
    now = timezone.now()
    since = max(0.0, (now - stored.computed_at).total_seconds())
    NONE = float("-inf")

    def key(entry):
        _, stopped, running = entry
        return max(NONE if stopped is None else stopped, NONE if running is None else running + since)

    ordered = sorted(stored.rows, key=key, reverse=True)  # stable: the refresh's tie-break stands
    chosen = [entry[0] for entry in ordered[(page - 1) * BREACH_PAGE: page * BREACH_PAGE]]
    found = Incident.objects.in_bulk(chosen)
    targets = clock_services.targets_for(force)
    out = []
    for pk in chosen:
        incident = found.get(pk)
        if incident is None:
            continue
        breach = case_clocks.breaches_of(incident.reference, incident.effective_risk, clock_services.measures_of(incident, targets, now))
        if breach is not None:
            out.append(BreachRow(incident, breach))
    audit(actor, AuditEvent.Action.READ, "incident.breaches", force.code, detail=f"page={page} rows={len(out)} of {stored.total}")
    return out, stored.total, stored.computed_at


def _totals(frames: Frames, force: str | None) -> dict[str, tuple[int, int]]:
    """(incidents, candidates) per election in one scope, for the comparisons between elections."""
def _totals(frames: Frames, force: str | None) -> dict[str, tuple[engine.Keyed, int]]:
    """(incidents as a keyed cell, candidates) per election in one scope, for the comparisons
    between elections (the incidents are perturbed there, as in the headline)."""
    cands = frames.candidates if force is None else frames.candidates.filter(pl.col("forces").list.contains(force))
    n = {r["election"]: r["len"] for r in cands.group_by("election").len().iter_rows(named=True)}
    joined = frames.incidents.join(cands.select(pl.col("id").alias("candidate_id"), "election"), on="candidate_id", how="inner")
    x = engine.keyed_by(joined, "election")
    return {e: (x.get(e, engine.EMPTY), n[e]) for e in n}


# ---------------------------------------------------------------------------------------------------
# Tables out


def find_table(payload: dict, name: str) -> dict | None:
    """A table of a snapshot by name: weekly, comparisons, coverage, a breakdown, a disparity, or
    ``areas`` (the map's table)."""
    if name == "areas":
        return area_table(payload)
    tables = [payload["weekly"], payload["comparisons"], payload["coverage"], *payload["breakdowns"], *payload["disparities"],
              *case_clocks.tables_of(payload.get("clocks"))]
    return next((t for t in tables if t["name"] == name), None)


def area_table(payload: dict, names: dict[str, str] | None = None) -> dict:
    """The map's figures as a table, highest rate first (suppressed last): what the Map page lists."""
    kind = payload["map"]["kind"]
    if names is None and kind == "constituency":
        names = dict(Area.objects.filter(area_type=Area.Type.CONSTITUENCY).values_list("code", "name"))
    names = names or {}
    areas = sorted(payload["map"]["areas"].items(),
                   key=lambda kv: (kv[1]["rate"] is None, -(kv[1]["rate"] or 0), names.get(kv[0], kv[0])))
    rows = [{"area": names.get(code, code), "candidates": f"{a['candidates']:,}", "incidents": a["display"], "rate": a["rate_display"],
             "_values": {"area": names.get(code, code), "code": code, **a}} for code, a in areas]
    label = "Constituency" if kind == "constituency" else "Council"
    plural = "Constituencies" if kind == "constituency" else "Councils"
    return engine.table("areas", f"{plural}, highest rate first", [("area", label), ("candidates", "Candidates"), ("incidents", "Incidents"),
                                                                    ("rate", "Per 100 candidates (95% CI)")], rows)


# ---------------------------------------------------------------------------------------------------
# Sorting a figures table (issue 17). The tables are small (a few hundred rows at most: the map's
# constituencies), so they are sorted in Python, on the numbers behind the display strings.

_NUMBER = re.compile(r"^(-?\d[\d,]*(?:\.\d+)?)(?=$|[\s%(])")
_NOT_SHOWN = {engine.MARKER, "–", "-", ""}


def _sort_value(key: str) -> Callable[[dict], object]:
    """A cell's value for sorting. A suppressed cell ([c]) or an empty one ("–") is None, and None
    sorts last in either direction: ranking a hidden count among the shown ones would tell how big
    it is (the same rule the engine's own order keeps)."""

    def pick(row: dict):
        shown = row.get(key)
        if shown is None or str(shown).strip() in _NOT_SHOWN:
            return None
        raw = row.get("_values", {}).get(key)
        if isinstance(raw, dict):
            raw = raw.get("estimate", raw.get("ratio"))
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            return raw
        match = _NUMBER.match(str(shown))
        return float(match.group(1).replace(",", "")) if match else str(shown)

    return pick


def table_sort_spec(table: dict, prefix: str = "") -> SortSpec:
    """Every column of a figures table is sortable; keys are ``prefix`` + the column's key."""
    return SortSpec(*[Column(prefix + c["key"], value=_sort_value(c["key"])) for c in table["columns"]])


def table_sorting(table: dict, params, *, several: bool = True) -> Sorting:
    """The sorting a page asked for this table. A page with several tables carries one ``sort``
    (``<table>.<column>``): only one table is sorted at a time, and a value for another table (or
    for none) leaves this one in the engine's order."""
    prefix = f"{table['name']}." if several else ""
    spec = table_sort_spec(table, prefix)
    sort, order = params.get("sort"), params.get("order")
    try:
        sorting = spec.parse(sort, order, params) if sort in spec.columns else spec.parse(None, None, params)
    except ValueError:
        sorting = spec.parse(None, None, params)
    return sorting


def sort_table(table: dict, sorting: Sorting) -> dict:
    """The table with its rows in the sorting's order (the stored payload is not changed)."""
    return {**table, "rows": sorting.sort_rows(table["rows"])}


def _csv_safe(value: str) -> str:
    # A cell that starts like a formula would run in a spreadsheet (CSV injection): quote it.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def csv_of(table: dict, provenance: str) -> str:
    """A table as CSV, exactly as displayed (suppressed cells as the marker), after a provenance line."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([provenance])
    writer.writerow([c["label"] for c in table["columns"]])
    for row in table["rows"]:
        writer.writerow([_csv_safe(str(row[c["key"]])) for c in table["columns"]])
    return out.getvalue()


def table_csv(snapshot: Snapshot, table: dict) -> str:
    return csv_of(table, f"# {table['title']}. {snapshot.election.name}; "
                         f"{'national' if snapshot.scope == NATIONAL else snapshot.payload.get('force_name')}; "
                         f"figures as of {timezone.localtime(snapshot.computed_at):%Y-%m-%d %H:%M}; "
                         f"{_method_line(snapshot.payload)} OFFICIAL-SENSITIVE")


def _method_line(payload: dict) -> str:
    """What the CSV and pages say about the disclosure control, for a snapshot's method."""
    method = payload.get("method")
    if not method:  # a snapshot computed before perturbation (it is recomputed on the next refresh)
        return f"{engine.MARKER} = fewer than {payload['threshold']}, or suppressed so a total cannot reveal one."
    return (f"{method['note']} Counts are moved by up to {method['max_noise']} (cell-key method); none from 1 to "
            f"{method['threshold'] - 1} is shown. See docs/insights.md, 'Disclosure control'.")


def record_export(actor: Actor, snapshot: Snapshot, table_name: str) -> None:
    audit(actor, AuditEvent.Action.EXPORT, "insights.table", snapshot.pk, detail=f"table={table_name} scope={snapshot.scope}")


# ---------------------------------------------------------------------------------------------------
# Pseudonymised records


# One home for pseudonym formats: ballotguard.core.matching (monitoring and campaigns use it too).
pseudonym = incident_pseudonym
PSEUDONYM_HEX = INCIDENT_PSEUDONYM_DIGITS


@dataclass(frozen=True)
class PseudonymisedRecord:
    pseudonym: str
    candidate: str
    election: str
    week: dt.date
    forces: tuple[str, ...]
    region: str
    channel: str
    behaviours: tuple[str, ...]
    characteristics: tuple[str, ...]
    issues: tuple[str, ...]
    risk: str
    status: str


PAGE_SIZE = 50


def records(user: User, *, election_id: str | None = None, page: int = 1) -> tuple[list[PseudonymisedRecord], bool]:
    """Submitted incidents, newest first, under pseudonyms: no names, references, text or observables.
    Analysts only. Returns one page and whether there is a next one. No total: counting a million
    rows through the joins would cost more than the page itself (``bench/insights.py``); the
    snapshots carry the counts."""
    if not sees_records(user):
        raise NotPermitted("Pseudonymised records are for Taskforce analysts.")
    qs = Incident.objects.exclude(status=Incident.Status.DRAFT).select_related("candidate__ballot__election", "candidate__ballot__area__region")
    if election_id:
        qs = qs.filter(candidate__ballot__election__election_id=election_id)
    page = max(1, page)
    rows = list(qs.order_by("-submitted_at", "-pk").prefetch_related("forces")[(page - 1) * PAGE_SIZE: page * PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    out = [
        PseudonymisedRecord(
            pseudonym=pseudonym(i.reference), candidate=candidate_pseudonym(i.candidate_id), election=i.candidate.ballot.election.name,
            week=_week_of(i.occurred_at or i.submitted_at or i.created_at),
            forces=tuple(sorted(f.name for f in i.forces.all())),
            region=i.candidate.ballot.area.region.name if i.candidate.ballot.area.region_id else "",
            channel=i.place_label, behaviours=tuple(BEHAVIOUR_LABELS[Behaviour(b)] for b in i.behaviours),
            characteristics=tuple(label for c, label in CHARACTERISTIC_LABELS.items() if c.value in i.characteristics),
            issues=tuple(label for t, label in ISSUE_TAG_LABELS.items() if t.value in i.issue_tags),
            risk=i.effective_risk or "", status=i.get_status_display(),
        )
        for i in rows[:PAGE_SIZE]
    ]
    audit(Actor(user=user), AuditEvent.Action.READ, "insights.records", "", detail=f"pseudonymised page={page} rows={len(out)}")
    return out, more


@dataclass(frozen=True)
class Revealed:
    pseudonym: str
    reference: str
    candidate_name: str
    election: str
    forces: tuple[str, ...]


class RevealError(ValueError):
    """A reveal request that cannot be granted as asked; ``field`` names the input at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def reveal(actor: Actor, pseudonym_text: str, reason: str) -> Revealed:
    """Who is behind a pseudonym: only for an analyst, only with a reason of at least MIN_REASON
    characters, and always audited with the reason's length (not its text, which may name people)."""
    user = actor.user
    if not sees_records(user):
        raise NotPermitted("Only a Taskforce analyst can reveal a pseudonymised record.")
    reason = (reason or "").strip()
    wanted = (pseudonym_text or "").strip().upper()
    if not re.fullmatch(rf"P-[0-9A-F]{{{PSEUDONYM_HEX}}}", wanted):
        raise RevealError("pseudonym", "Enter a record pseudonym like P-1A2B3C4D5E6F7A8B")
    if len(reason) < MIN_REASON:
        raise RevealError("reason", f"Give the reason you need to see who this is, in at least {MIN_REASON} characters")
    # The pseudonym is a keyed hash, so it is found by hashing every reference (about a second at a
    # million incidents; a reveal is rare and deliberate). Two matches would mean a collision: refuse
    # rather than show someone who may be the wrong person.
    matches = [pk for ref, pk in Incident.objects.exclude(status=Incident.Status.DRAFT).values_list("reference", "pk").iterator(chunk_size=5000)
               if pseudonym(ref) == wanted]
    if len(matches) > 1:
        raise RevealError("pseudonym", "That pseudonym matches more than one record: ask an administrator to check it")
    if matches:
        incident = Incident.objects.select_related("candidate__ballot__election").prefetch_related("forces").get(pk=matches[0])
        audit(actor, AuditEvent.Action.READ, "incident", incident.reference, fields=["candidate.name"],
              detail=f"insights reveal of {wanted}; reason given ({len(reason)} characters)")
        _store_reason(actor, wanted, reason)
        return Revealed(wanted, incident.reference, incident.candidate.name, incident.candidate.ballot.election.name,
                        tuple(sorted(f.name for f in incident.forces.all())))
    raise RevealError("pseudonym", "No record has that pseudonym")


def _store_reason(actor: Actor, wanted: str, reason: str) -> None:
    RevealReason.objects.create(user=actor.user, pseudonym=wanted, reason=reason)


def reveal_history(user: User) -> list[RevealReason]:
    return list(RevealReason.objects.filter(user=user).order_by("-at")[:20])
