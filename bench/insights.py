"""Insights dashboards with 1,000,000 incidents on PostgreSQL: each view's p50 / p95 / max, against a
live GROUP BY peer in the same run.

Issue 7's target: with 1,000,000 incidents on PostgreSQL each dashboard view answers in under 300 ms
at p95 (pre-aggregated tables refreshed by the task worker are fine).

What it does, on a throwaway PostgreSQL database (created and dropped; ``--keep`` keeps it):

1. migrates it and builds the national demo (``ballotguard.demo.national``: the real geography,
   4,515 fake GE2024 and 3,320 fake GE2019 candidates, outreach, about 6,000 incidents);
2. loads synthetic incidents over those candidates up to ``--incidents`` (default 1,000,000) with
   PostgreSQL ``COPY`` (``psycopg``'s ``cursor.copy``) into the incidents table and its police force
   links. The rows keep the invariants the app relies on: a unique reference, a submitted status with
   ``submitted_at``, the risk level, score, factors and rank ``engines.incidents.risk`` gives their facts, the
   forces of the candidate's constituency, triage and closing times in order, a crime reference on
   about a fifth. Their encrypted fields (description, perpetrator, advice) are empty strings, which
   is what ``EncryptedTextField`` stores for empty, so no data key is needed (``data_key`` empty);
3. times ``ballotguard.insights.services.refresh_snapshots()`` (what the task worker runs);
4. requests every insights page (``/insights/``, ``trends``, ``disparities``, ``coverage``, ``map``,
   ``records``, ``clocks``) and the JSON figures (``/api/v1/insights/figures`` and ``.../clocks``)
   ``--rounds`` times each, signed in as a Taskforce analyst (national figures) and as a FEOA (their
   force, and its lead: also the case clock breach list, page and API), through Django's test client
   (server time without the network), and prints p50 / p95 / max per view. The loaded incidents have
   case clock times too: first contact for nine in ten triaged, referral for those with a crime
   reference, and an assigned FEOA where the force has one;
5. the **peer**, same data, same run: the headline figures of a dashboard computed live from the raw
   tables with SQL ``GROUP BY`` (incidents per week; candidates, affected candidates and incidents by
   gender; by behaviour; by police force; share reporting and share serious), which is what a
   dashboard without pre-aggregation would run on every view, nationally and for the FEOA's force;
   and for the case clocks, the median and 90th percentile of each clock by risk level with the share
   of triage within target, by live ``percentile_cont`` / ``percentile_disc`` (one query).
6. the candidates' survey (issue 17): ``ballotguard.demo.survey`` adds the anonymous responses of
   about 45% of the national demo's GE2024 candidates; the survey page and its API are timed with the
   rest (analysts only), and beside them their own peer: the same figures computed live per request
   (``insights.survey.compute``: the responses read and the per-force baseline of candidates with an
   incident counted over every incident), which is what the page would cost without the stored row.

Run:
    .venv/bin/python bench/insights.py                                   # PostgreSQL at 127.0.0.1:5432, 1,000,000 incidents
    .venv/bin/python bench/insights.py --incidents 100000 --rounds 20    # quicker
    .venv/bin/python bench/insights.py --keep                            # keep the database (and its key store) afterwards

Skips (exit 0, saying why) when PostgreSQL is not reachable or ``../shared/data/uk`` is absent.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres"
DATA = ROOT.parent / "shared" / "data" / "uk"
TARGET_MS = 300.0
PAGES = ["/insights/", "/insights/trends/", "/insights/disparities/", "/insights/coverage/", "/insights/map/", "/insights/records/",
         "/insights/survey/", "/insights/clocks/"]
API = "/api/v1/insights/figures"
SURVEY_API = "/api/v1/insights/survey"
CLOCKS_API = "/api/v1/insights/clocks"
ANALYSTS_ONLY = ("/insights/records/", "/insights/survey/", SURVEY_API)
LEAD_ONLY = ["/insights/clocks/breaches/", "/api/v1/insights/clocks/breaches"]  # the lead FEOA's breach list
FEOA_FORCE = "E23000014"  # West Midlands Police, the demo FEOA's force


# ---------------------------------------------------------------------------------------------------
# Database


def pg_problem(database_url: str) -> str | None:
    try:
        import psycopg

        with psycopg.connect(database_url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable" here
        return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
    return None


@contextlib.contextmanager
def throwaway_database(database_url: str, keep: bool):
    """A new PostgreSQL database and var folder (key store) for the run, dropped afterwards unless ``keep``."""
    import psycopg

    parsed = urlparse(database_url)
    name = f"bg_bench_insights_{uuid.uuid4().hex[:8]}"
    admin_url = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = urlunparse(parsed._replace(path=f"/{name}"))
    var = Path(tempfile.mkdtemp(prefix=f"{name}-"))
    os.environ["DATABASE_URL"] = url
    os.environ["BALLOTGUARD_VAR_DIR"] = str(var)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ballotguard.test_settings")
    warnings.filterwarnings("ignore", message="No directory at")  # collectstatic is not run for a bench
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    settings.ALLOWED_HOSTS = ["*"]
    # As in production (ballotguard.settings): keep the connection between requests.
    connections["default"].settings_dict["CONN_MAX_AGE"] = 60
    call_command("migrate", verbosity=0)
    try:
        yield url, var
    finally:
        connections.close_all()
        if keep:
            print(f"Kept: DATABASE_URL={url} BALLOTGUARD_VAR_DIR={var}")
        else:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            import shutil

            shutil.rmtree(var, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------
# Loading a million incidents with COPY

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _copy_text(value: str) -> str:
    """Escape a value for COPY's text format."""
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]


def _bench_reference(i: int) -> str:
    """``BG-Zxxx-xxxx``: unique per i (< 32**7); the demo's random references are skipped if one collides."""
    body = "Z" + _ALPHABET[(i >> 30) & 31] + _PAIRS[(i >> 20) & 1023] + _PAIRS[(i >> 10) & 1023] + _PAIRS[i & 1023]
    return f"BG-{body[:4]}-{body[4:]}"


@contextlib.contextmanager
def bulk_load(cur, tables: list[str]):
    """Drop the plain (non-unique) indexes of the tables and skip foreign-key triggers while loading,
    then build the indexes again: the usual bulk-load recipe, several times faster than keeping them.
    The rows loaded refer only to rows that exist, so skipping the FK checks loses nothing."""
    cur.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) AND indexdef NOT LIKE 'CREATE UNIQUE%%'",
        [tables],
    )
    indexes = cur.fetchall()
    for name, _ in indexes:
        cur.execute(f'DROP INDEX "{name}"')
    try:
        cur.execute("SET session_replication_role = replica")
        replica = True
    except Exception:  # noqa: BLE001 - not a superuser: keep the checks, just slower
        replica = False
    try:
        yield
    finally:
        if replica:
            cur.execute("SET session_replication_role = DEFAULT")
        for _, definition in indexes:
            cur.execute(definition)


COLUMNS = (
    "id", "reference", "candidate_id", "reported_by_id", "status", "occurred_at", "place", "area_id", "platform",
    "behaviours", "characteristics", "issue_tags", "in_danger_now", "weapon_mentioned", "home_address_known",
    "perpetrator_known", "description", "perpetrator", "risk_score", "risk_level", "risk_factors", "risk_override_level",
    "risk_override_reason", "risk_rank", "crime_reference", "advice", "data_key", "closure_reason", "submitted_at",
    "triaged_at", "closed_at", "created_at", "updated_at", "request_fingerprint", "first_contact_at", "referred_at", "assigned_to_id",
)


def _kinds() -> list[tuple[float, str, bool]]:
    """(weight, the COPY text of the columns from place to risk_rank but area, is_high) for every kind of
    incident the national demo makes, with and without hostility on a protected characteristic."""
    from ballotguard.demo import national
    from ballotguard.engines.incidents.facts import Behaviour, IssueTag

    out = []
    platforms = [p for p, _ in national.PLATFORMS]
    tags = [t.value for t in IssueTag]
    n = 0
    for templates, scale in ((national.EVERYDAY, 1.0), (national.SERIOUS, 0.5)):
        for t in templates:
            for characteristic in ([None, "sex", "race", "religion"] if t.hostility_chance else [None]):
                behaviours = [b.value for b in t.behaviours]
                chars = [characteristic] if characteristic else []
                if characteristic:
                    behaviours.append(Behaviour.PROTECTED_CHARACTERISTIC_HOSTILITY.value)
                behaviours = [b.value for b in Behaviour if b.value in behaviours]
                risk = national._risk(t, chars, behaviours)
                weight = t.weight * scale * (t.hostility_chance / 3 if characteristic else 1 - t.hostility_chance)
                platform = platforms[n % len(platforms)] if t.place.value == "online" else ""
                issue = [tags[n % len(tags)]] if n % 5 < 3 else []
                n += 1
                factors = json.dumps([{"code": f.code, "points": f.points, "why": f.why} for f in risk.factors])
                cells = [t.place.value, None, platform, json.dumps(behaviours), json.dumps(chars), json.dumps(issue),
                         "f", "t" if t.weapon_mentioned else "f", "t" if t.home_address_known else "f", "f", "", "",
                         str(risk.score), risk.level.value, factors, "", "", str({"low": 1, "medium": 2, "high": 3}[risk.level.value])]
                out.append((weight, [_copy_text(c) if isinstance(c, str) else c for c in cells], risk.level.value == "high"))
    return out


def load_incidents(target: int, seed: int = 7) -> dict:
    """Top the incidents up to ``target`` with COPY. Returns timings and counts."""
    import numpy as np
    from django.db import connection
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from ballotguard.accounts.models import Role, User
    from ballotguard.demo import national
    from ballotguard.incidents.models import Incident
    from ballotguard.registry.models import AreaForce, Candidate

    started = time.perf_counter()
    existing = Incident.objects.count()
    n = max(0, target - existing)
    table = Incident._meta.db_table
    through = Incident.forces.through._meta.db_table
    required = {f.column for f in Incident._meta.concrete_fields if not f.null}
    missing = required - set(COLUMNS)
    if missing:
        raise SystemExit(f"bench/insights.py does not know how to fill the incident column(s) {sorted(missing)}: add them to COLUMNS")
    if n == 0:
        return {"loaded": 0, "seconds": 0.0, "total": existing}

    reporter, _ = User.objects.get_or_create(username="bench-reporter", defaults={"role": Role.CANDIDATE, "first_name": "Bench", "last_name": "Reporter"})
    rows = list(Candidate.objects.values_list("pk", "ballot__area_id", "gender", "party__name", "ballot__election__election_id"))
    forces: dict[int, list[int]] = {}
    for area_id, force_id in AreaForce.objects.filter(area_id__in={r[1] for r in rows}).values_list("area_id", "force_id"):
        forces.setdefault(area_id, []).append(force_id)
    # The national demo's shape: women more often, 2024 more than 2019, mild party differences.
    weights = np.array([(1.8 if g == "female" else 1.0) * (1.9 if e == national.GE2024_ID else 1.0) * national._party_weight(p or "")
                        for _, _, g, p, e in rows])
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(rows), size=n, p=weights / weights.sum())
    kinds = _kinds()
    # Cases assigned to the FEOAs of the candidate's first force (the national demo's advisers), for the clocks by FEOA.
    advisers_by_force: dict[int, list[int]] = {}
    for user_id, force_id in User.objects.filter(role=Role.FEOA).values_list("pk", "police_forces"):
        if force_id:
            advisers_by_force.setdefault(force_id, []).append(user_id)
    adviser_of = {}
    for pk, area_id, *_ in rows:
        choices = advisers_by_force.get((forces.get(area_id) or [None])[0]) or []
        if choices:
            adviser_of[pk] = str(choices[pk % len(choices)])
    kind_weights = np.array([k[0] for k in kinds])
    kind_of = rng.choice(len(kinds), size=n, p=kind_weights / kind_weights.sum())
    windows = {national.GE2024_ID: national.GE2024_PROFILE, national.GE2019_ID: national.GE2019_PROFILE}
    # Minutes of each campaign (plus 60 days for triage and closing), as COPY text, made once.
    minute_text, window_minutes = {}, {}
    for election_id, profile in windows.items():
        start = dt.datetime.combine(profile.start, dt.time(0), tzinfo=dt.timezone.utc)
        window_minutes[election_id] = ((profile.end - profile.start).days + 1) * 1440
        total = window_minutes[election_id] + 60 * 1440
        minute_text[election_id] = [(start + dt.timedelta(minutes=m)).strftime("%Y-%m-%d %H:%M:00+00") for m in range(total)]
    # Later in the campaign is likelier (weight rising fourfold, as the demo does): u**(1/2) leans late.
    # Python lists, not numpy arrays: indexing a list in the loop below is several times faster.
    lean = np.sqrt(rng.random(n)).tolist()
    submit_delay = rng.integers(10, 24 * 60, size=n).tolist()
    triage_delay = rng.integers(5, 3 * 24 * 60, size=n).tolist()
    close_delay = rng.integers(24 * 60, 30 * 24 * 60, size=n).tolist()
    status_roll = rng.random(n).tolist()
    crime_roll = rng.random(n).tolist()
    pick = pick.tolist()
    kind_of = kind_of.tolist()
    with connection.cursor() as cur:
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        first_id = cur.fetchone()[0] + 1
    taken = set(Incident.objects.values_list("reference", flat=True))
    now_text = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S+00")
    columns = ", ".join(COLUMNS)
    progress_columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    chunk = 50_000
    serial = 0
    with Progress(*progress_columns, transient=True) as bar:
        task = bar.add_task(f"COPY {n:,} incidents", total=n)
        links_task = bar.add_task("COPY their police force links", total=n)
        connection.ensure_connection()
        raw = connection.connection  # psycopg's own connection under Django's
        with raw.cursor() as cur, bulk_load(cur, [table, through]):
            for lo in range(0, n, chunk):
                hi = min(n, lo + chunk)
                lines, links = [], []
                for j in range(lo, hi):
                    pk, area_id, _gender, _party, election_id = rows[pick[j]]
                    cells = kinds[kind_of[j]][1]
                    high = kinds[kind_of[j]][2]
                    texts = minute_text[election_id]
                    occurred = int(lean[j] * (window_minutes[election_id] - 1))
                    submitted = occurred + int(submit_delay[j] if not high else submit_delay[j] // 10)
                    roll = status_roll[j]
                    crime = crime_roll[j] < (0.6 if high else 0.16)
                    status, triaged, closed, crime_ref, closure = "new", "\\N", "\\N", "", ""
                    contacted, referred = "\\N", "\\N"
                    if roll >= 0.04 or election_id == national.GE2019_ID:
                        t = submitted + int(triage_delay[j] if not high else triage_delay[j] // 20)
                        triaged = texts[t]
                        status = "referred" if crime else ("advice_given" if roll < 0.12 else "triaged")
                        if status_roll[j] * 7 % 1 < 0.9:  # nine in ten reached: within the day after triage
                            contacted = texts[t + int(submit_delay[j] if not high else submit_delay[j] // 8)]
                        if crime:
                            crime_ref = f"DEMO/{texts[t][2:4]}/{j:07d}"
                            referred = texts[t + int(triage_delay[j] // 2)]
                        if roll >= 0.3 or election_id == national.GE2019_ID:
                            closed = texts[t + int(close_delay[j] // 2)]
                            status, closure = "closed", "Bench data"
                    serial += 1
                    reference = _bench_reference(serial)
                    while reference in taken:
                        serial += 1
                        reference = _bench_reference(serial)
                    incident_id = first_id + j
                    row = [str(incident_id), reference, str(pk), str(reporter.pk), status, texts[occurred], cells[0], str(area_id), *cells[2:16],
                           cells[16], cells[17], crime_ref, "", "", closure, texts[submitted], triaged, closed, texts[submitted], now_text, "", contacted, referred,
                           adviser_of.get(pk, "\\N")]
                    lines.append("\t".join(row))
                    for force_id in forces.get(area_id, ()):
                        links.append(f"{incident_id}\t{force_id}")
                with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    copy.write("\n".join(lines) + "\n")
                bar.advance(task, hi - lo)
                with cur.copy(f"COPY {through} (incident_id, policeforce_id) FROM STDIN") as copy:
                    copy.write("\n".join(links) + "\n")
                bar.advance(links_task, hi - lo)
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
        raw.commit() if not raw.autocommit else None
        with connection.cursor() as cur:
            cur.execute("ANALYZE")  # every table: the demo's bulk-written ones too, so plans see real sizes
    return {"loaded": n, "seconds": time.perf_counter() - started, "total": Incident.objects.count()}


# ---------------------------------------------------------------------------------------------------
# Measuring


BUDGET_S = 60.0  # per view: a view far over target stops after this long (with at least MIN_ROUNDS)
MIN_ROUNDS = 10


def timings(client, url: str, rounds: int) -> list[float]:
    response = client.get(url)  # warm
    if response.status_code != 200:
        raise RuntimeError(f"answered {response.status_code}")
    out = []
    began = time.perf_counter()
    for _ in range(rounds):
        start = time.perf_counter()
        response = client.get(url)
        out.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"answered {response.status_code}")
        if len(out) >= MIN_ROUNDS and time.perf_counter() - began > BUDGET_S:
            break
    return out


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


PEER_SQL = {
    # Each is what one view of a dashboard without pre-aggregation would run, live.
    "weekly": """
        SELECT date_trunc('week', i.occurred_at) AS week, count(*)
        FROM incidents_incident i JOIN registry_candidate c ON c.id = i.candidate_id JOIN registry_ballot b ON b.id = c.ballot_id
        {force_join}
        WHERE b.election_id = %(election)s AND i.status <> 'draft' {force_where}
        GROUP BY 1 ORDER BY 1""",
    "by_gender": """
        SELECT c.gender, count(*) AS candidates, count(*) FILTER (WHERE n.incidents > 0) AS affected, COALESCE(sum(n.incidents), 0) AS incidents
        FROM registry_candidate c JOIN registry_ballot b ON b.id = c.ballot_id
        LEFT JOIN (SELECT i.candidate_id, count(*) AS incidents FROM incidents_incident i {force_join}
                   WHERE i.status <> 'draft' {force_where} GROUP BY i.candidate_id) n ON n.candidate_id = c.id
        WHERE b.election_id = %(election)s {candidate_force_where}
        GROUP BY c.gender""",
    "by_behaviour": """
        SELECT x.behaviour, count(*)
        FROM incidents_incident i JOIN registry_candidate c ON c.id = i.candidate_id JOIN registry_ballot b ON b.id = c.ballot_id
        {force_join}
        CROSS JOIN LATERAL jsonb_array_elements_text(i.behaviours) AS x(behaviour)
        WHERE b.election_id = %(election)s AND i.status <> 'draft' {force_where}
        GROUP BY 1""",
    "by_force": """
        SELECT f.policeforce_id, count(*), count(*) FILTER (WHERE i.risk_level = 'high' AND i.status = 'new')
        FROM incidents_incident i JOIN incidents_incident_forces f ON f.incident_id = i.id
        JOIN registry_candidate c ON c.id = i.candidate_id JOIN registry_ballot b ON b.id = c.ballot_id
        WHERE b.election_id = %(election)s AND i.status <> 'draft' {by_force_where}
        GROUP BY 1""",
    "headline": """
        SELECT count(*), count(*) FILTER (WHERE s.high > 0), sum(s.incidents), sum(s.crime)
        FROM (SELECT i.candidate_id, count(*) AS incidents,
                     count(*) FILTER (WHERE COALESCE(NULLIF(i.risk_override_level, ''), i.risk_level) = 'high') AS high,
                     count(*) FILTER (WHERE i.crime_reference <> '') AS crime
              FROM incidents_incident i JOIN registry_candidate c ON c.id = i.candidate_id JOIN registry_ballot b ON b.id = c.ballot_id
              {force_join}
              WHERE b.election_id = %(election)s AND i.status <> 'draft' {force_where}
              GROUP BY i.candidate_id) s""",
}


# The case clocks page computed live: per risk level, the median and 90th percentile of each clock and
# the share within the national targets, for the cases in scope.
CLOCK_PEER_SQL = """
    SELECT COALESCE(NULLIF(i.risk_override_level, ''), i.risk_level) AS risk,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM i.first_contact_at - i.submitted_at)),
           percentile_disc(0.9) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM i.first_contact_at - i.submitted_at)),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM i.triaged_at - i.submitted_at)),
           percentile_disc(0.9) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM i.triaged_at - i.submitted_at)),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM i.referred_at - i.submitted_at)),
           percentile_disc(0.9) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM i.referred_at - i.submitted_at)),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM i.closed_at - i.submitted_at)) FILTER (WHERE i.status = 'closed'),
           percentile_disc(0.9) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM i.closed_at - i.submitted_at)) FILTER (WHERE i.status = 'closed'),
           avg((COALESCE(i.triaged_at, now()) - i.submitted_at <= CASE WHEN COALESCE(NULLIF(i.risk_override_level, ''), i.risk_level) = 'high'
                THEN interval '1 hour' ELSE interval '24 hours' END)::int)
    FROM incidents_incident i JOIN registry_candidate c ON c.id = i.candidate_id JOIN registry_ballot b ON b.id = c.ballot_id
    {force_join}
    WHERE b.election_id = %(election)s AND i.status <> 'draft' {force_where}
    GROUP BY 1"""


def peer_sql(force_id: int | None) -> dict[str, str]:
    if force_id is None:
        parts = {"force_join": "", "force_where": "", "candidate_force_join": "", "candidate_force_where": "", "by_force_where": ""}
    else:
        parts = {
            "force_join": "JOIN incidents_incident_forces fj ON fj.incident_id = i.id",
            "force_where": "AND fj.policeforce_id = %(force)s",
            "candidate_force_join": "",
            "candidate_force_where": "AND EXISTS (SELECT 1 FROM registry_areaforce af WHERE af.area_id = b.area_id AND af.force_id = %(force)s)",
            "by_force_where": "AND f.policeforce_id = %(force)s",
        }
    return {name: sql.format(**parts) for name, sql in PEER_SQL.items()}


def clock_peer_sql(force_id: int | None) -> dict[str, str]:
    parts = {"force_join": "", "force_where": ""} if force_id is None else {
        "force_join": "JOIN incidents_incident_forces fj ON fj.incident_id = i.id", "force_where": "AND fj.policeforce_id = %(force)s"}
    return {"clocks": CLOCK_PEER_SQL.format(**parts)}


def peer_timings(election_pk: int, force_id: int | None, rounds: int, queries: dict[str, str] | None = None) -> tuple[list[float], dict]:
    from django.db import connection

    queries = queries or peer_sql(force_id)
    params = {"election": election_pk, "force": force_id}
    out, first = [], {}
    began = time.perf_counter()
    for r in range(rounds + 1):
        if len(out) >= 3 and time.perf_counter() - began > BUDGET_S:
            break
        start = time.perf_counter()
        with connection.cursor() as cur:
            for name, sql in queries.items():
                cur.execute(sql, params)
                rows = cur.fetchall()
                if r == 0:
                    first[name] = rows
        if r:  # the first round warms the caches, like the pages' warm-up request
            out.append((time.perf_counter() - start) * 1000)
    return out, first


def users():
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ballotguard.accounts.models import Role, User
    from ballotguard.registry.models import PoliceForce

    analyst = User.objects.create_user("bench-analyst", password="x" * 16, role=Role.ANALYST)
    feoa = User.objects.create_user("bench-feoa", password="x" * 16, role=Role.FEOA)
    feoa.police_forces.set([PoliceForce.objects.get(code=FEOA_FORCE)])
    feoa.is_force_lead = True  # for the case clocks' breach list
    feoa.save(update_fields=["is_force_lead"])
    for user in (analyst, feoa):
        TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    return analyst, feoa


def load_average() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return "uptime not available"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--incidents", type=int, default=1_000_000, help="incidents in all (default 1,000,000)")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG),
                        help=f"a PostgreSQL server to create the throwaway database on (default {DEFAULT_PG})")
    parser.add_argument("--rounds", type=int, default=50, help="requests per view and role (default 50)")
    parser.add_argument("--peer-rounds", type=int, default=20, help="live GROUP BY rounds per scope (default 20; fewer if a minute runs out)")
    parser.add_argument("--constituencies", type=int, default=None, help="national demo for a subset of N constituencies (quicker)")
    parser.add_argument("--keep", action="store_true", help="keep the database and its key store afterwards")
    args = parser.parse_args()

    if not args.database_url.startswith("postgres"):
        print("bench/insights.py measures PostgreSQL only: pass --database-url postgres://…")
        return 2
    problem = pg_problem(args.database_url)
    if problem:
        print(f"bench/insights.py skipped: PostgreSQL is not reachable at {args.database_url} ({problem}).")
        return 0
    sys.path.insert(0, str(ROOT))
    from ballotguard.demo import national as national_demo

    reason = national_demo.skip_reason(DATA)
    if reason:
        print(f"bench/insights.py skipped: {reason}.")
        return 0

    print(f"Before: {load_average()}")
    figures: dict = {}
    with throwaway_database(args.database_url, args.keep):
        from django.db import connection
        from rich.console import Console

        from ballotguard.insights import services
        from ballotguard.registry.models import Election, PoliceForce

        console = Console()
        t = time.perf_counter()
        national = national_demo.build_national(DATA, constituencies=args.constituencies, console=console)
        figures["national_s"] = time.perf_counter() - t
        figures["national_incidents"] = len(national.plan.incidents)
        load = load_incidents(args.incidents)
        figures["load"] = load
        print(f"National demo {figures['national_s']:.1f} s; COPY of {load['loaded']:,} incidents {load['seconds']:.1f} s "
              f"({load['loaded'] / max(load['seconds'], 1e-9):,.0f} rows/s); {load['total']:,} incidents in all.")
        from ballotguard.demo.survey import build_survey

        t = time.perf_counter()
        responses = build_survey()
        print(f"Survey: {responses:,} anonymous responses of GE2024 candidates in {time.perf_counter() - t:.1f} s.")

        from rich.progress import Progress

        t = time.perf_counter()
        with Progress(transient=True) as bar:
            task = bar.add_task("refresh_snapshots()", total=None)
            run = services.refresh_snapshots(trigger="command", progress=lambda done, total: bar.update(task, completed=done, total=total))
        figures["refresh_s"] = time.perf_counter() - t
        print(f"refresh_snapshots(): {figures['refresh_s']:.1f} s ({run.snapshots} snapshots, {run.incidents:,} incidents, {run.candidates:,} candidates)")
        from ballotguard.insights import survey as survey_figures

        t = time.perf_counter()
        survey_figures.refresh_survey_figures()
        print(f"  of which the survey figures (refresh_survey_figures(), run again alone): {time.perf_counter() - t:.2f} s")

        analyst, feoa = users()
        from conftest import signed_in_client

        election = Election.objects.get(election_id=national_demo.GE2024_ID)
        force = PoliceForce.objects.get(code=FEOA_FORCE)
        results = []
        clients = [("analyst", signed_in_client(analyst), "national"), ("FEOA", signed_in_client(feoa), FEOA_FORCE)]
        with Progress(transient=True) as bar:
            task = bar.add_task("Requesting the views", total=len(clients) * (len(PAGES) + 3 + len(LEAD_ONLY)) * args.rounds)
            for role, client, scope in clients:
                for page in [*PAGES, API, SURVEY_API, CLOCKS_API, *LEAD_ONLY]:
                    if (page in ANALYSTS_ONLY and role == "FEOA") or (page in LEAD_ONLY and role != "FEOA"):
                        bar.advance(task, args.rounds)
                        continue  # analysts only / the lead FEOA only (others get 403 by design)
                    url = f"{page}?election={election.election_id}&force={scope}" if page not in LEAD_ONLY else f"{page}?force={scope}"
                    try:
                        values = timings(client, url, args.rounds)
                    except RuntimeError as err:
                        results.append((role, page, None, str(err)))
                    else:
                        results.append((role, page, values, ""))
                    bar.advance(task, args.rounds)
            peer = []
            for role, force_id in (("analyst", None), ("FEOA", force.pk)):
                values, first = peer_timings(election.pk, force_id, args.peer_rounds)
                peer.append((role, values, first))
            clock_peer = []
            for role, force_id in (("analyst", None), ("FEOA", force.pk)):
                values, first = peer_timings(election.pk, force_id, args.peer_rounds, clock_peer_sql(force_id))
                clock_peer.append((role, values, first))
            survey_peer = []
            began = time.perf_counter()
            ge_pk = [election.pk]
            survey_figures.compute(ge_pk)  # warm
            for _ in range(args.peer_rounds):
                start = time.perf_counter()
                survey_figures.compute(ge_pk)
                survey_peer.append((time.perf_counter() - start) * 1000)
                if len(survey_peer) >= 3 and time.perf_counter() - began > BUDGET_S:
                    break

        with connection.cursor() as cur:
            cur.execute("SELECT version()")
            version = cur.fetchone()[0].split(" on ")[0]
        print()
        print(f"Insights views, {load['total']:,} incidents ({version}), up to {args.rounds} requests each after one warm-up "
              f"(fewer, at least {MIN_ROUNDS}, when a view takes over {BUDGET_S:.0f} s); target p95 < {TARGET_MS:.0f} ms")
        print(f"{'role':<8} {'view':<40} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
        worst = 0.0
        for role, page, values, error in results:
            if values is None:
                print(f"{role:<8} {page:<40} {error}")
                continue
            worst = max(worst, pct(values, 0.95))
            print(f"{role:<8} {page:<40} {len(values):>4} {pct(values, 0.5):>8.1f} {pct(values, 0.95):>8.1f} {max(values):>8.1f}")
        for role, values, first in peer:
            label = "peer: live GROUP BY, 5 queries" + (" (force)" if role == "FEOA" else "")
            print(f"{role:<8} {label:<40} {len(values):>4} {pct(values, 0.5):>8.1f} {pct(values, 0.95):>8.1f} {max(values):>8.1f}")
        for role, values, first in clock_peer:
            label = "peer: live clock percentiles (1 query)" + (" (force)" if role == "FEOA" else "")
            print(f"{role:<8} {label:<40} {len(values):>4} {pct(values, 0.5):>8.1f} {pct(values, 0.95):>8.1f} {max(values):>8.1f}")
        label = "peer: survey figures computed live"
        print(f"{'analyst':<8} {label:<40} {len(survey_peer):>4} {pct(survey_peer, 0.5):>8.1f} {pct(survey_peer, 0.95):>8.1f} {max(survey_peer):>8.1f}")
        national_peer = peer[0][2]["headline"][0]
        print(f"Peer's GE2024 headline: {national_peer[0]:,} candidates with incidents, {national_peer[1]:,} with a high-risk one, "
              f"{national_peer[2]:,} incidents, {national_peer[3]:,} with a crime reference.")
        ok = worst < TARGET_MS and all(v is not None for _, _, v, _ in results)
        print(f"Worst view p95 {worst:.1f} ms: target {'met' if ok else 'NOT met'}.")
    print(f"After: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
