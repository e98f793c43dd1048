"""Incident reports under load: 2,000 reports from 50 concurrent clients, over HTTP, to gunicorn.

Starts the real server (gunicorn, sync workers, as ``scripts/run.sh`` does) on a throwaway database,
submits the reports to ``POST /api/v1/incidents`` with bearer tokens and idempotency keys, then checks
that exactly one incident is stored per report: none lost, none doubled. Some reports are sent twice
(a client retrying after a timeout, ``--retry-rate``) and some are sent by two or three clients at once
with the same key (``--races``); every copy must answer with the same incident reference, the first
201 and the others 200. Like a careful client, each client also retries a 5xx or a dropped connection
with the same key (three attempts in all); such failures still fail the run, but must not lose or
double a report. Prints throughput and p50/p90/p99/max latency, and the same for the peer, then the
CPU time per request of gunicorn, PostgreSQL and the clients (from /proc), and whether other processes
on the machine took a share of the CPU during the run (then the latencies are inflated).

Peer, measured in the same run against the same server: ``GET /api/v1/me`` (token authentication and
one query: the floor of any API call on this server), same clients, same number of requests.

Latency is what a client sees: from sending the request to reading the whole response, on a new TCP
connection each time (gunicorn's sync workers close the connection after every response). The
clients send back to back with no think time, so with more clients than workers requests wait in the
listen queue and the latency includes that wait (Little's law: p50 ~ clients / throughput). With
``--rate R`` the requests are instead due at R per second (an open loop), each timed from when it was
due. A report names a repeat harasser's details with ``--linked-share``, so reports link into
clusters; ``--harassers 1`` puts them all in one cluster, the worst case for linking.

Set-up, for both backends:

- a throwaway database (``bench/_db.py``), migrated; a small world built in this process: two police
  forces, constituencies linked to them (one to both), a general election, a ballot per constituency,
  ``--candidates`` candidates each with a candidate-role user and one API token;
- the server runs ``ballotguard.settings`` (the production settings ``scripts/run.sh`` uses:
  persistent database connections, the database task backend) with fresh random
  ``BALLOTGUARD_SECRET_KEY`` and ``BALLOTGUARD_FIELD_KEYS`` shared with this process, so encrypted
  fields and observable hashes agree. Each report enqueues its re-linking task, and a high-risk one
  its e-mail task, in the database as in production; no task worker runs, so they are counted, not run. ``--server-settings
  ballotguard.test_settings`` runs the tasks inline instead (and closes the database connection
  after each request).

Run:
    .venv/bin/python bench/report_load.py                                   # PostgreSQL on 127.0.0.1:5432
    .venv/bin/python bench/report_load.py --database-url sqlite             # a temporary SQLite file
    .venv/bin/python bench/report_load.py --rate 20                         # 20 requests/s due, open loop
    .venv/bin/python bench/report_load.py --profile 200                     # then where a report's time goes

Exit status: 0 when every check passes, 1 when a check fails, 2 when the server could not be started.
The p99 target is reported, not enforced.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import http.client
import json
import math
import os
import queue
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres"
REPORT_PATH = "/api/v1/incidents"
PEER_PATH = "/api/v1/me"


# ---------------------------------------------------------------------------------------------------
# Options


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=DEFAULT_PG,
                        help="PostgreSQL admin URL (a throwaway database is created beside it and dropped), or 'sqlite' "
                             "for a temporary SQLite file. If PostgreSQL does not answer, the run falls back to SQLite "
                             f"and says so. Default {DEFAULT_PG}")
    parser.add_argument("--reports", type=int, default=2000, help="incidents to report (default 2000)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent HTTP clients (default 50)")
    parser.add_argument("--workers", type=int, default=2 * cores + 1, help=f"gunicorn workers (default 2 × cores + 1 = {2 * cores + 1})")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker; above 1 gunicorn uses gthread workers (default 1: sync, as scripts/run.sh)")
    parser.add_argument("--candidates", type=int, default=0, help="candidates reporting, each with a user and a token (default: one per client)")
    parser.add_argument("--retry-rate", type=float, default=0.05,
                        help="share of reports re-sent with the same Idempotency-Key after the first answer, on a new connection, "
                             "as a client that timed out would (default 0.05)")
    parser.add_argument("--races", type=int, default=20,
                        help="reports sent by two (every fourth: three) clients at the same moment with the same key (default 20)")
    parser.add_argument("--linked-share", type=float, default=0.25,
                        help="share of reports naming a repeat harasser's handle, phone, e-mail or vehicle, so they link to "
                             "earlier reports (default 0.25; each harasser targets two candidates)")
    parser.add_argument("--rate", type=float, default=0.0,
                        help="requests per second due across all clients (an open loop, timed from when each was due); "
                             "default 0: every client sends again as soon as it has its answer")
    parser.add_argument("--harassers", type=int, default=0,
                        help="repeat harassers the linked reports name (default: one per candidate); 1 puts every linked "
                             "report in one cluster, the worst case for linking")
    parser.add_argument("--port", type=int, default=0, help="port for gunicorn on 127.0.0.1 (default: a free one)")
    parser.add_argument("--server-settings", default="ballotguard.settings", choices=["ballotguard.settings", "ballotguard.test_settings"],
                        help="DJANGO_SETTINGS_MODULE of the server (default ballotguard.settings)")
    parser.add_argument("--p99-target-ms", type=float, default=300.0, help="the p99 target for reporting, shown beside the figure (default 300)")
    parser.add_argument("--seed", type=int, default=2026, help="seed of the report mix (default 2026)")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="after the load, send N more reports in this process through Django's test client and print "
                             "where their time goes, step by step (wall, CPU, queries); they are not part of the figures or the checks")
    args = parser.parse_args(argv)
    if args.reports < 1 or args.clients < 1 or args.workers < 1 or args.threads < 1:
        parser.error("--reports, --clients, --workers and --threads must be at least 1")
    if not 0 <= args.retry_rate <= 1 or not 0 <= args.linked_share <= 1:
        parser.error("--retry-rate and --linked-share are shares between 0 and 1")
    args.candidates = args.candidates or args.clients
    args.harassers = args.harassers or args.candidates
    args.races = min(args.races, args.reports)
    if args.races and args.clients < 3:
        parser.error("--races needs at least 3 clients (use --races 0)")
    return args


def choose_database(url: str, console) -> tuple[str, str]:
    """The URL to hand to ``fresh_database`` and a note; PostgreSQL not answering falls back to SQLite."""
    if not url or url.lower() in {"sqlite", "sqlite:", "sqlite://"}:
        return "", ""
    if not url.startswith("postgres"):
        sys.exit(f"--database-url: use a postgres://… URL or 'sqlite', not {url!r}")
    import psycopg

    parsed = urlparse(url)
    admin_url = urlunparse(parsed._replace(path="/postgres"))
    try:
        with psycopg.connect(admin_url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        note = f"PostgreSQL at {parsed.hostname}:{parsed.port or 5432} is not answering ({type(exc).__name__}: {str(exc).strip().splitlines()[0]}); FALLING BACK TO SQLITE."
        console.print(f"[bold yellow]{note}[/]")
        return "", note
    return url, ""


# ---------------------------------------------------------------------------------------------------
# The world: forces, constituencies, a general election, candidates with users and tokens


@dataclass(frozen=True)
class Reporter:
    candidate_id: int
    area_code: str
    token: str


def build_world(n_candidates: int) -> list[Reporter]:
    from ballotguard.accounts.models import ApiToken, User
    from ballotguard.registry.models import Area, AreaForce, Ballot, Candidate, Election, Party, PoliceForce

    met = PoliceForce.objects.create(code="E23000001", name="Metropolitan Police", nation="England", feoa_email="feoa@met.example.org")
    city = PoliceForce.objects.create(code="E23000034", name="London, City of", nation="England", feoa_email="feoa@city.example.org")
    for force in (met, city):
        feoa = User.objects.create_user(f"feoa-{force.code}", email=f"feoa-{force.code}@example.org", password=secrets.token_urlsafe(16), role="feoa")
        feoa.police_forces.set([force])
    london = Area.objects.create(code="E12000007", name="London", slug="london", area_type="region")
    election = Election.objects.create(election_id="parl.2029-05-03", election_type="parl", date=dt.date(2029, 5, 3),
                                       name="UK Parliament general election 2029", operation="bridger")
    parties = [Party.objects.create(party_id=f"PP{50 + i}", name=f"Party {i}") for i in range(6)]
    ballots = []
    for i in range(max(1, math.ceil(n_candidates / 6))):
        area = Area.objects.create(code=f"E1400{1000 + i:04d}", name=f"Constituency {i:02d}", slug=f"constituency-{i:02d}",
                                   area_type="constituency", region=london)
        if i == 0:  # one constituency straddles two forces, as Cities of London and Westminster does
            AreaForce.objects.create(area=area, force=met, population_share=0.94, is_primary=True)
            AreaForce.objects.create(area=area, force=city, population_share=0.06)
        else:
            AreaForce.objects.create(area=area, force=met, population_share=1.0, is_primary=True)
        ballots.append(Ballot.objects.create(ballot_paper_id=f"parl.constituency-{i:02d}.2029-05-03", election=election, area=area, post_label=area.name))
    reporters = []
    for i in range(n_candidates):
        user = User.objects.create_user(f"candidate-{i:03d}", email=f"candidate-{i:03d}@example.org", password=secrets.token_urlsafe(16),
                                        role="candidate", first_name="Candidate", last_name=f"{i:03d}")
        ballot = ballots[i // 6]
        candidate = Candidate.objects.create(ballot=ballot, person_id=str(10_000 + i), name=f"Candidate {i:03d}", party=parties[i % 6],
                                             gender="female" if i % 2 else "male", user=user)
        _, secret = ApiToken.issue(user, "report load bench")
        reporters.append(Reporter(candidate.pk, ballot.area.code, secret))
    return reporters


# ---------------------------------------------------------------------------------------------------
# The reports: a realistic mix of behaviours, places, observables; a few high risk


# (weight, behaviours, places, characteristics?)
_MIX = [
    (30, ["abusive_or_hateful_message"], ["online"], False),
    (12, ["repeated_unwanted_contact", "abusive_or_hateful_message"], ["online", "phone", "post"], False),
    (10, ["protected_characteristic_hostility", "abusive_or_hateful_message"], ["online", "street_canvassing"], True),
    (8, ["damage_to_property"], ["street_canvassing", "office", "other"], False),
    (8, ["intimidation_at_event"], ["hustings", "campaign_event", "count"], False),
    (6, ["false_statement_about_character"], ["online", "post"], False),
    (4, ["impersonation_or_deepfake"], ["online"], False),
    (5, ["following_or_loitering"], ["street_canvassing", "campaign_event"], False),
    (6, ["threat_to_kill_or_harm"], ["online", "phone", "post"], False),
    (3, ["publishing_home_address", "abusive_or_hateful_message"], ["online"], False),
    (2, ["threat_of_sexual_violence", "abusive_or_hateful_message"], ["online"], True),
    (2, ["pressure_on_voting"], ["other", "street_canvassing"], False),
    (1, ["bribery_or_electoral_fraud"], ["other"], False),
]
_HIGH = [  # about 3 % of reports: each of these is HIGH on its own
    (["assault"], ["street_canvassing", "campaign_event", "hustings"]),
    (["threat_to_kill_or_harm"], ["street_canvassing", "home"]),
    (["turning_up_at_home", "threat_to_kill_or_harm"], ["home"]),
]
_PLATFORMS = ["X", "Facebook", "Instagram", "TikTok", "WhatsApp", "Email", "YouTube", "Bluesky"]
_CHARACTERISTICS = ["race", "religion", "sexual_orientation", "disability", "transgender_identity", "sex"]
_SENTENCES = [
    "The message arrived late in the evening and was sent again the next morning.",
    "Several people saw it happen and one of them took a photograph.",
    "It was the third time this week that the same account had written to me.",
    "They shouted at the volunteers and tore the leaflets out of their hands.",
    "A comment under the campaign video repeated the claim and named my children's school.",
    "I reported the post to the platform but it has not been taken down.",
    "The caller withheld their number and would not give a name.",
    "Posters on the high street were defaced overnight with offensive slogans.",
    "At the hustings a man stood up, pointed at me and said I would regret standing.",
    "My agent has kept screenshots of every message with the times they were sent.",
    "The letter was handwritten and posted through the office door without a stamp.",
    "Someone waited outside the community centre until I left and followed me to the car.",
]
_LETTERS = "ABCDEFGHJKLMNPRSTVWXY"


def _vehicle(n: int) -> str:
    letters = [_LETTERS[(n // 21 ** k) % 21] for k in range(5)]
    return f"{letters[0]}{letters[1]}{10 + n % 60:02d} {letters[2]}{letters[3]}{letters[4]}"


def _harasser_observables(h: int, rng: random.Random) -> list[dict]:
    """Every harasser has a handle, a phone number, an e-mail address and a car; a report names one or two."""
    pool = [
        {"kind": "handle", "value": f"@harasser_{h:03d}"},
        {"kind": "phone", "value": f"07700 900{h % 1000:03d}"},
        {"kind": "email", "value": f"angry.voter.{h}@example.com"},
        {"kind": "vehicle", "value": _vehicle(h)},
    ]
    return rng.sample(pool, rng.choice([1, 1, 2]))


def make_body(i: int, reporter_index: int, reporter: Reporter, n_harassers: int, linked_share: float, rng: random.Random) -> bytes:
    if rng.random() < 0.03:
        behaviours, places = rng.choice(_HIGH)
        characteristics = False
        high = True
    else:
        _, behaviours, places, characteristics = rng.choices(_MIX, weights=[m[0] for m in _MIX])[0]
        high = False
    place = rng.choice(places)
    occurred = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=rng.randint(10, 40 * 24 * 60))
    body: dict = {
        "candidate_id": reporter.candidate_id,
        "occurred_at": occurred.isoformat(timespec="seconds"),
        "place": place,
        "behaviours": list(behaviours),
        "description": " ".join(rng.choices(_SENTENCES, k=rng.randint(1, 8))),
    }
    if place == "online":
        body["platform"] = rng.choice(_PLATFORMS)
    if characteristics:
        body["characteristics"] = rng.sample(_CHARACTERISTICS, rng.randint(1, 2))
    if rng.random() < 0.2:
        body["area_code"] = reporter.area_code
    if high:
        body["weapon_mentioned"] = "assault" not in behaviours and rng.random() < 0.7
        body["in_danger_now"] = rng.random() < 0.3
        body["home_address_known"] = place == "home"
    observables: list[dict] = []
    roll = rng.random()
    if roll < linked_share:
        # Harasser h targets candidates h and h + 1, so links cross candidates as well as repeat on one.
        h = (reporter_index - rng.randint(0, 1)) % n_harassers
        observables += _harasser_observables(h, rng)
        body["perpetrator_known"] = rng.random() < 0.3
        if body["perpetrator_known"]:
            body["perpetrator"] = "Believed to be the same person who has written before; local to the constituency."
    elif roll < linked_share + 0.35:
        observables.append(rng.choice([
            {"kind": "handle", "value": f"@once_{i:05d}_{rng.randint(0, 999)}"},
            {"kind": "email", "value": f"someone.{i}@example.net"},
            {"kind": "url", "value": f"https://www.example.com/posts/{i}?utm_source=share"},
            {"kind": "name", "value": f"Pat Example {i}"},
            {"kind": "description", "value": "Tall, grey coat, about fifty"},
        ]))
    if observables:
        body["observables"] = observables
    return json.dumps(body).encode()


# ---------------------------------------------------------------------------------------------------
# Load


@dataclass
class Job:
    report: int                       # index of the report (the incident it must make)
    kind: str                         # "report", "race" (one of several simultaneous copies) or "peer"
    token: str
    body: bytes = b""
    key: str = ""
    retry: bool = False               # re-send once more after the answer, on a new connection
    barrier: threading.Barrier | None = None
    at: float = 0.0                   # with --rate: when to send, in seconds from the start of the phase


@dataclass
class Result:
    report: int
    kind: str                         # "report", "retry", "race" or "peer"
    status: int                       # 0: no answer after every attempt
    ms: float
    reference: str = ""
    attempts: int = 1
    error: str = ""
    failed: list[int] = field(default_factory=list)  # statuses of earlier attempts (0: no answer), retried


@dataclass
class Plan:
    jobs: list[Job]
    keys: dict[int, str]
    posts: int                        # POST requests the plan sends
    retries: int
    races: int
    race_copies: int


def make_plan(args, reporters: list[Reporter]) -> Plan:
    rng = random.Random(args.seed)
    n = args.reports
    race_ids = set(rng.sample(range(n), args.races))
    retry_ids = set(rng.sample([i for i in range(n) if i not in race_ids], min(round(args.retry_rate * n), n - len(race_ids))))
    jobs: list[Job] = []
    keys: dict[int, str] = {}
    race_copies = 0
    for i in range(n):
        r_index = rng.randrange(len(reporters))
        reporter = reporters[r_index]
        body = make_body(i, r_index, reporter, args.harassers, args.linked_share, rng)
        keys[i] = key = str(uuid.uuid4())
        if i in race_ids:
            parties = 3 if len([j for j in race_ids if j < i]) % 4 == 3 else 2
            barrier = threading.Barrier(parties)
            jobs.extend(Job(i, "race", reporter.token, body, key, barrier=barrier) for _ in range(parties))
            race_copies += parties
        else:
            jobs.append(Job(i, "report", reporter.token, body, key, retry=i in retry_ids))
    return Plan(jobs, keys, posts=n - len(race_ids) + len(retry_ids) + race_copies, retries=len(retry_ids), races=len(race_ids), race_copies=race_copies)


class Client:
    """One client: stdlib http.client, its connection kept while the server keeps it open."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def send(self, method: str, path: str, token: str, body: bytes = b"", key: str = "",
             fresh: bool = False) -> tuple[int, bytes, int, str, list[int]]:
        """(status, body, attempts, last transport error, statuses of failed attempts).

        As a careful client does, a transport error or a 5xx is retried with the same key, three attempts
        in all: idempotency must then still give one incident. Every failed attempt is reported."""
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        if body:
            headers["Content-Type"] = "application/json"
        if key:
            headers["Idempotency-Key"] = key
        if fresh:
            self.conn.close()
        error, failed = "", []
        status, payload = 0, b""
        for attempt in range(1, 4):
            try:
                self.conn.request(method, path, body=body or None, headers=headers)
                response = self.conn.getresponse()
                status, payload = response.status, response.read()
                if status < 500 or attempt == 3:
                    return status, payload, attempt, error, failed
                failed.append(status)
            except (OSError, http.client.HTTPException) as exc:
                error = f"{type(exc).__name__}: {exc}"
                failed.append(0)
                status, payload = 0, b""
                self.conn.close()
            time.sleep(0.05 * attempt)
        return status, payload, 3, error, failed[:-1] if status == 0 else failed

    def close(self) -> None:
        self.conn.close()


def _reference(status: int, payload: bytes) -> str:
    if status not in (200, 201):
        return ""
    try:
        return json.loads(payload).get("reference", "")
    except (ValueError, AttributeError):
        return ""


def run_load(port: int, jobs: list[Job], clients: int, description: str, progress, stop: threading.Event,
             rate: float = 0.0) -> tuple[list[Result], float]:
    """Send the jobs from ``clients`` threads pulling from one queue; return the results and the wall time.

    ``rate`` 0: each client sends its next request as soon as it has the answer (closed loop). Otherwise
    requests are due at ``rate`` per second; a request is timed from when it was due, so time spent
    waiting for a free client counts (no coordinated omission)."""
    work: queue.Queue[Job | None] = queue.Queue()
    due, previous = -1, None
    for job in jobs:
        if rate:
            if not (job.kind == "race" and previous is not None and previous.report == job.report):
                due += 1
            job.at = due / rate
        previous = job
        work.put(job)
    for _ in range(clients):
        work.put(None)
    total = len(jobs) + sum(1 for j in jobs if j.retry)
    task = progress.add_task(description, total=total)
    results: list[Result] = []
    lock = threading.Lock()

    def client_loop() -> None:
        client = Client(port)
        out: list[Result] = []
        try:
            while not stop.is_set():
                job = work.get()
                if job is None:
                    break
                since = None
                if rate:
                    since = start + job.at
                    if (wait := since - time.perf_counter()) > 0:
                        time.sleep(wait)
                if job.kind == "peer":
                    out.append(_timed(client, "GET", PEER_PATH, job, "peer", since=since))
                    progress.advance(task)
                    continue
                if job.barrier is not None:
                    with contextlib.suppress(threading.BrokenBarrierError):
                        job.barrier.wait(timeout=30)
                out.append(_timed(client, "POST", REPORT_PATH, job, job.kind, since=since))
                progress.advance(task)
                if job.retry:
                    # The client gave up waiting and sends the same report again on a new connection.
                    out.append(_timed(client, "POST", REPORT_PATH, job, "retry", fresh=True))
                    progress.advance(task)
        finally:
            client.close()
            with lock:
                results.extend(out)

    threads = [threading.Thread(target=client_loop, daemon=True, name=f"client-{n}") for n in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    try:
        for t in threads:
            while t.is_alive():
                t.join(timeout=0.2)
    except KeyboardInterrupt:
        stop.set()
        raise
    wall = time.perf_counter() - start
    if stop.is_set():
        raise KeyboardInterrupt
    return results, wall


def _timed(client: Client, method: str, path: str, job: Job, kind: str, fresh: bool = False, since: float | None = None) -> Result:
    start = since if since is not None else time.perf_counter()
    status, payload, attempts, error, failed = client.send(method, path, job.token, job.body, job.key, fresh=fresh)
    ms = (time.perf_counter() - start) * 1000
    return Result(job.report, kind, status, ms, _reference(status, payload) if method == "POST" else "", attempts, error, failed)


# ---------------------------------------------------------------------------------------------------
# The server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn in its own process group, its output in a log file; stopped (TERM, then KILL) on exit."""

    def __init__(self, args, port: int, tmp: Path):
        self.args, self.port, self.tmp = args, port, tmp
        self.log_path = tmp / "gunicorn.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        gunicorn = Path(sys.executable).parent / "gunicorn"
        if not gunicorn.exists():
            gunicorn = ROOT / ".venv" / "bin" / "gunicorn"
        env = dict(os.environ)  # DATABASE_URL (the throwaway database), the keys, BALLOTGUARD_VAR_DIR
        evidence = self.tmp / "evidence"
        evidence.mkdir(exist_ok=True)
        env.update({
            "DJANGO_SETTINGS_MODULE": self.args.server_settings,
            "BALLOTGUARD_ALLOWED_HOSTS": "127.0.0.1",
            "BALLOTGUARD_EVIDENCE_ROOT": str(evidence),
            "BALLOTGUARD_DEBUG": "0",
            "PYTHONUNBUFFERED": "1",
        })
        command = [str(gunicorn), "ballotguard.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
                   "--workers", str(self.args.workers), "--chdir", str(ROOT)]
        if self.args.threads > 1:
            command += ["--threads", str(self.args.threads)]
        self.log = self.log_path.open("wb")
        self.proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, token: str, timeout: float = 60) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", PEER_PATH, headers={"Authorization": f"Bearer {token}"})
                if conn.getresponse().status == 200:
                    conn.close()
                    return True
                conn.close()
            except OSError:
                pass
            time.sleep(0.2)
        return False

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def log_summary(self) -> str:
        """Worker timeouts, API errors and exceptions counted, the first of each kind, and the last lines."""
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        out = []
        for marker in ("WORKER TIMEOUT", "API error", "Traceback", "Error:"):
            hits = [line for line in lines if marker in line]
            if hits:
                distinct = list(dict.fromkeys(h[h.index(marker):].strip() if marker != "Error:" else h.strip() for h in hits))
                out.append(f"{marker}: {len(hits)} line(s); first: " + " | ".join(distinct[:3]))
        return "\n".join(out + ["last lines:"] + lines[-12:])

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
        self.log.close()


# ---------------------------------------------------------------------------------------------------
# CPU accounting (Linux): who used the cores during a phase


def _proc_cpu(pid: int) -> float | None:
    """User + system CPU seconds of one process (all its threads), or None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS
    except (OSError, IndexError, ValueError):
        return None


def _machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:9]]
    total = sum(values)
    return (total - values[3] - values[4]) / _TICKS, total / _TICKS


def _children(ppid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    if int(f.read().rsplit(b")", 1)[1].split()[1]) == ppid:
                        out.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return out


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


class CpuMeter:
    """Samples, twice a second, the CPU time of the gunicorn master and workers, of the PostgreSQL
    backends serving the throwaway database, of this process (the clients), and of the whole machine.
    Whatever else ran during the phase (other processes on the machine) is the remainder.

    A backend that exits between two samples loses at most half a second of its time; the figures are
    approximate, and only where /proc exists (Linux) and PostgreSQL runs on this machine."""

    def __init__(self, server_pid: int, db_url: str | None, own_db_pid: int | None):
        self.server_pid, self.db_url, self.own_db_pid = server_pid, db_url, own_db_pid
        self.available = os.path.exists("/proc/stat")
        self.base: dict[str, dict[int, float]] = {"server": {}, "db": {}}
        self.last: dict[str, dict[int, float]] = {"server": {}, "db": {}}
        self._stop = threading.Event()

    def _pids(self, conn) -> dict[str, list[int]]:
        pids = {"server": [self.server_pid, *_children(self.server_pid)], "db": []}
        if conn is not None:
            rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchall()
            pids["db"] = [pid for (pid,) in rows if pid != self.own_db_pid]
        return pids

    def _sample(self, conn, first: bool) -> None:
        for group, pids in self._pids(conn).items():
            for pid in pids:
                cpu = _proc_cpu(pid)
                if cpu is None:
                    continue
                if pid not in self.base[group]:
                    self.base[group][pid] = cpu if first else 0.0
                self.last[group][pid] = cpu

    def __enter__(self) -> "CpuMeter":
        if not self.available:
            return self
        self.conn = None
        if self.db_url:
            import psycopg

            self.conn = psycopg.connect(self.db_url, autocommit=True)
        self._sample(self.conn, first=True)
        self.t0, self.machine0, self.own0 = time.perf_counter(), _machine_cpu(), sum(os.times()[:2])
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(0.5):
            with contextlib.suppress(Exception):
                self._sample(self.conn, first=False)

    def __exit__(self, *exc) -> None:
        if not self.available:
            return
        self._stop.set()
        self.thread.join()
        with contextlib.suppress(Exception):
            self._sample(self.conn, first=False)
        wall = time.perf_counter() - self.t0
        busy1, total1 = _machine_cpu()
        own = sum(os.times()[:2]) - self.own0
        used = {g: sum(self.last[g][p] - self.base[g][p] for p in self.last[g]) for g in ("server", "db")}
        busy = busy1 - self.machine0[0]
        capacity = total1 - self.machine0[1]
        self.result = {"server": used["server"], "db": used["db"], "client": own, "wall": wall,
                       "other": max(0.0, busy - used["server"] - used["db"] - own), "capacity": capacity, "busy": busy}
        if self.conn is not None:
            self.conn.close()

    def per_request(self, n: int) -> dict | None:
        r = getattr(self, "result", None)
        if not r or not n:
            return None
        return {"server_ms": r["server"] / n * 1000, "db_ms": r["db"] / n * 1000, "client_ms": r["client"] / n * 1000,
                "other_share": r["other"] / r["capacity"] if r["capacity"] else 0.0, "busy_share": r["busy"] / r["capacity"] if r["capacity"] else 0.0}


# ---------------------------------------------------------------------------------------------------
# Checks and figures


def percentile(sorted_ms: list[float], q: float) -> float:
    """Nearest rank: the smallest value with at least q of the values at or below it."""
    if not sorted_ms:
        return float("nan")
    return sorted_ms[max(0, math.ceil(q * len(sorted_ms)) - 1)]


def summary(results: list[Result], wall: float) -> dict:
    ms = sorted(r.ms for r in results)
    return {"n": len(ms), "rps": len(ms) / wall if wall else 0.0, "p50": percentile(ms, 0.50), "p90": percentile(ms, 0.90),
            "p99": percentile(ms, 0.99), "max": ms[-1] if ms else float("nan"), "wall": wall}


def check(plan: Plan, results: list[Result], peer: list[Result]) -> list[tuple[bool, str]]:
    """Every check as (passed, what), from the answers and the database."""
    from django.db.models import Count

    from ballotguard.incidents.models import Incident

    checks: list[tuple[bool, str]] = []
    stored = Incident.objects.count()
    n = len(plan.keys)
    checks.append((stored == n, f"incidents stored: {stored:,} (expected exactly {n:,})"))
    doubled = Incident.objects.values("reported_by", "idempotency_key").annotate(c=Count("id")).filter(c__gt=1).count()
    checks.append((doubled == 0, f"idempotency keys stored more than once: {doubled}"))
    by_key = dict(Incident.objects.values_list("idempotency_key", "reference"))
    missing = sum(1 for key in plan.keys.values() if key not in by_key)
    unknown = len(set(by_key) - set(plan.keys.values()))
    checks.append((missing == 0 and unknown == 0, f"reports with no incident: {missing}; incidents with a key the bench never sent: {unknown}"))

    statuses = Counter(r.status for r in results)
    retried = Counter(code for r in results for code in r.failed)
    fives = sum(c for s, c in statuses.items() if s >= 500) + sum(c for s, c in retried.items() if s >= 500)
    lost = statuses.get(0, 0) + retried.get(0, 0)
    odd = sum(c for s, c in statuses.items() if s not in (0, 200, 201) and s < 500)
    failed_text = f"; failed attempts the clients retried with the same key: {dict(sorted(retried.items()))}" if retried else ""
    checks.append((fives == 0 and lost == 0 and odd == 0,
                   f"POST answers by status: {dict(sorted(statuses.items()))}{failed_text} (5xx: {fives}, no answer: {lost}, other: {odd})"))

    per_report: dict[int, list[Result]] = defaultdict(list)
    for r in results:
        per_report[r.report].append(r)
    wrong_ref = [i for i, rs in per_report.items() if {r.reference for r in rs} != {by_key.get(plan.keys[i])}]
    checks.append((not wrong_ref, f"reports whose answers do not all carry the stored incident's reference: {len(wrong_ref)}"))
    originals = [r for r in results if r.kind == "report"]
    retries = [r for r in results if r.kind == "retry"]
    # An attempt that failed may still have made the incident: its retry is then rightly a 200.
    first_ok = sum(r.status == 201 or (r.status == 200 and bool(r.failed)) for r in originals)
    checks.append((first_ok == len(originals), f"first submissions answered 201: {first_ok:,} of {len(originals):,}"))
    checks.append((all(r.status == 200 for r in retries), f"retries (same key, after the answer) answered 200 with the same incident: {sum(r.status == 200 for r in retries)} of {len(retries)}"))
    race_ok = 0
    races = [rs for rs in per_report.values() if rs[0].kind == "race"]
    for rs in races:
        codes = [r.status for r in rs]
        race_ok += all(c in (200, 201) for c in codes) and (codes.count(201) == 1 or (codes.count(201) == 0 and any(r.failed for r in rs)))
    checks.append((race_ok == len(races) == plan.races, f"concurrent duplicates (2–3 copies at once, {plan.race_copies} requests): exactly one 201 and the rest 200 in {race_ok} of {plan.races}"))
    peer_bad = sum(1 for r in peer if r.status != 200)
    checks.append((peer_bad == 0, f"peer GET {PEER_PATH} answers other than 200: {peer_bad}"))
    return checks


def info(plan: Plan, results: list[Result]) -> list[str]:
    from django.db.models import Count

    from ballotguard.incidents.models import Incident, IncidentLink

    lines = []
    transport = sum(r.attempts - 1 for r in results)
    if transport:
        lines.append(f"transport errors retried by the clients (same key): {transport}")
    levels = dict(Incident.objects.values_list("risk_level").annotate(c=Count("id")))
    lines.append(f"risk levels stored: high {levels.get('high', 0)}, medium {levels.get('medium', 0)}, low {levels.get('low', 0)}; "
                 f"links between incidents: {IncidentLink.objects.count():,}")
    try:
        from django_tasks_db.models import DBTaskResult

        queued = dict(DBTaskResult.objects.values_list("task_path").annotate(c=Count("id")))
    except Exception:  # noqa: BLE001 the task table only exists with the database backend's app installed
        queued = {}
    if queued:
        lines.append("background tasks queued in the database (no worker runs in the bench): "
                     + ", ".join(f"{path.rsplit('.', 1)[-1]} {c:,}" for path, c in sorted(queued.items())))
    return lines


def print_report(console, args, backend: str, note: str, plan: Plan, post: dict, created: dict, replayed: dict, peer: dict,
                 cpu: tuple[dict | None, dict | None], checks: list[tuple[bool, str]], extra: list[str]) -> None:
    from rich.table import Table

    cores = os.cpu_count() or 1
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = cores
    workers = f"{args.workers} gunicorn {'gthread' if args.threads > 1 else 'sync'} worker(s)" + (f" × {args.threads} threads" if args.threads > 1 else "")
    console.print()
    console.print(f"[bold]Report load on {backend}[/]: {cores} cores ({usable} usable), {workers}, {args.clients} clients"
                  + (f" at {args.rate:g} requests/s due" if args.rate else " sending back to back") + f", server settings {args.server_settings}; load average before the run {args.load_before}")
    if note:
        console.print(f"[bold yellow]{note}[/]")
    console.print(f"{len(plan.keys):,} reports as {plan.posts:,} POSTs: {plan.retries} retried after the answer"
                  + (f", {plan.races} sent {plan.race_copies} times concurrently" if plan.races else ""))
    table = Table(title_justify="left")
    for column in ("Requests", "n", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms"):
        table.add_column(column, justify="left" if column == "Requests" else "right")

    def row(name: str, s: dict, style: str = "") -> None:
        table.add_row(name, f"{s['n']:,}", f"{s['rps']:.1f}", f"{s['p50']:.1f}", f"{s['p90']:.1f}", f"{s['p99']:.1f}", f"{s['max']:.1f}", style=style)

    row(f"POST {REPORT_PATH} (all)", post, "bold")
    row("  of which created (201)", created)
    row("  of which replays (200)", replayed)
    row(f"peer: GET {PEER_PATH}", peer)
    table.add_row("ratio POST / peer", "", f"{post['rps'] / peer['rps']:.2f}×" if peer["rps"] else "",
                  f"{post['p50'] / peer['p50']:.1f}×", f"{post['p90'] / peer['p90']:.1f}×", f"{post['p99'] / peer['p99']:.1f}×", f"{post['max'] / peer['max']:.1f}×")
    console.print(table)
    met = post["p99"] < args.p99_target_ms
    console.print(f"p99 of POST {REPORT_PATH}: {post['p99']:.1f} ms — target < {args.p99_target_ms:.0f} ms: "
                  + ("[green]met[/]" if met else "[red]missed[/]"))
    if cpu[0] and cpu[1]:
        cores = os.cpu_count() or 1
        table = Table(title="CPU time per request (ms), from /proc", title_justify="left")
        for column in ("Requests", "gunicorn", "database", "clients", "total", "CPU-bound ceiling", "machine busy", "of which other processes"):
            table.add_column(column, justify="left" if column == "Requests" else "right")
        for name, c, s in ((f"POST {REPORT_PATH}", cpu[0], post), (f"peer: GET {PEER_PATH}", cpu[1], peer)):
            total = c["server_ms"] + c["db_ms"] + c["client_ms"]
            table.add_row(name, f"{c['server_ms']:.1f}", f"{c['db_ms']:.1f}" if backend.startswith("PostgreSQL") else "(in gunicorn)",
                          f"{c['client_ms']:.1f}", f"{total:.1f}", f"{cores * 1000 / total:.0f} req/s" if total else "",
                          f"{c['busy_share']:.0%}", f"{c['other_share']:.0%}")
        console.print(table)
        if max(cpu[0]["other_share"], cpu[1]["other_share"]) > 0.1:
            console.print("[yellow]Other processes used a noticeable share of the CPU during the run: latencies are inflated; "
                          "the CPU time per request is the steadier figure.[/]")
    for line in extra:
        console.print(f"  {line}")
    console.print("[bold]Checks[/]")
    for ok, text in checks:
        console.print(f"  {'[green]✓[/]' if ok else '[red]✗[/]'} {text}")


# ---------------------------------------------------------------------------------------------------
# Profile (optional): where one report's time goes, in this process


def profile_reports(reporters: list[Reporter], args, console) -> None:
    from django.db import connection
    from django.test.utils import override_settings

    if args.server_settings == "ballotguard.settings":
        # As the server: keep the connection between requests, queue the tasks in the database.
        connection.settings_dict["CONN_MAX_AGE"] = 60
        connection.close()
        server_like = override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}})
    else:
        server_like = override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
    with server_like:
        _profile_reports(reporters, args, console)


# (label, where, names, depth): the steps of one report, timed inclusively; depth is the indent. A step is
# the function of one of those names defined in a module under ``where``; it is wrapped wherever it is
# referenced, so the table survives services moving between modules. A step not found is left out.
_PHASES = [
    ("token authentication", "ballotguard.accounts.services", ("authenticate_token",), 1),
    ("report service: check, store, send", "ballotguard.incidents.services", ("report",), 1),
    ("validate, look up candidate and area", "ballotguard.incidents.services", ("_clean",), 2),
    ("observables: encrypt, hash, insert", "ballotguard.incidents.services", ("_replace_observables",), 2),
    ("send: forces, events, links, risk", "ballotguard.incidents.services", ("_send",), 2),
    ("link: match observables, link rows, events", "ballotguard.incidents.services", ("link_observables", "_link"), 3),
    ("reassess risk, of each linked one and the new one", "ballotguard.incidents.services", ("reassess_risk", "_reassess"), 3),
    ("get_incident: read it back for the answer", "ballotguard.incidents.services", ("get_incident",), 1),
    ("_detail: the answer's body", "ballotguard.incidents.api", ("_detail",), 1),
    ("read_incident: audit the read", "ballotguard.incidents.services", ("read_incident",), 2),
    ("guidance_for: routes, offences, risk", "ballotguard.incidents.services", ("guidance_for",), 2),
    ("linked_incidents", "ballotguard.incidents.services", ("linked_incidents",), 2),
]


def _find_function(where: str, names: tuple[str, ...]):
    import importlib
    import types

    importlib.import_module(where)
    for name in names:
        for module_name, module in list(sys.modules.items()):
            if module_name == where or module_name.startswith(where + "."):
                fn = getattr(module, name, None)
                if isinstance(fn, types.FunctionType) and fn.__module__ == module_name:
                    return fn
    return None


def _profile_reports(reporters: list[Reporter], args, console) -> None:
    """Time the steps of a report with wrappers (wall and this thread's CPU), and attribute queries to them."""
    from django.db import connection
    from django.test import Client as DjangoClient
    from rich.table import Table

    stack: list[str] = []
    # (request, step) -> [wall s, CPU s, queries, SQL s, calls]; the request is the bottom of the stack.
    totals: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0, 0, 0.0, 0])

    def timed(name, fn):
        def wrapper(*a, **kw):
            stack.append(name)
            w0, c0 = time.perf_counter(), time.thread_time()
            try:
                return fn(*a, **kw)
            finally:
                t = totals[stack[0], name]
                t[0] += time.perf_counter() - w0
                t[1] += time.thread_time() - c0
                t[4] += 1
                stack.pop()
        return wrapper

    def count_queries(execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent = time.perf_counter() - start
            for name in set(stack):
                totals[stack[0], name][2] += 1
                totals[stack[0], name][3] += spent

    patched: list[tuple[object, str, object]] = []
    phases = []
    for label, where, names, depth in _PHASES:
        fn = _find_function(where, names)
        if fn is None:
            continue
        key = f"{fn.__module__}.{fn.__name__}"
        phases.append((label, key, depth))
        wrapper = timed(key, fn)
        for module_name, module in list(sys.modules.items()):
            if module_name.startswith("ballotguard.") and module is not None:
                for attr, value in list(vars(module).items()):
                    if value is fn:
                        patched.append((module, attr, fn))
                        setattr(module, attr, wrapper)
    rng = random.Random(args.seed + 1)
    client = DjangoClient()
    client.get(PEER_PATH, headers={"Authorization": f"Bearer {reporters[0].token}"})  # imports the URLconf: not timed

    def one(path: str, body: bytes | None, token: str, root: str) -> int:
        stack.append(root)
        w0, c0 = time.perf_counter(), time.thread_time()
        try:
            if body is None:
                return client.get(path, headers={"Authorization": f"Bearer {token}"}).status_code
            return client.post(path, body, content_type="application/json",
                               headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())}).status_code
        finally:
            t = totals[root, root]
            t[0] += time.perf_counter() - w0
            t[1] += time.thread_time() - c0
            t[4] += 1
            stack.pop()

    try:
        with connection.execute_wrapper(count_queries):
            for i in range(args.profile):
                r_index = rng.randrange(len(reporters))
                reporter = reporters[r_index]
                body = make_body(10_000_000 + i, r_index, reporter, args.harassers, args.linked_share, rng)
                status = one(REPORT_PATH, body, reporter.token, "POST")
                assert status == 201, status
            for i in range(args.profile):
                assert one(PEER_PATH, None, reporters[i % len(reporters)].token, "GET") == 200
    finally:
        for module, attr, fn in patched:
            setattr(module, attr, fn)

    n = args.profile
    table = Table(title=f"Profile: {n} more reports, then {n} GET {PEER_PATH}, through Django's test client in this process "
                        "(no HTTP, no queueing, one at a time); mean per request, each step inclusive of those under it",
                  title_justify="left")
    for column in ("Step", "calls", "wall ms", "CPU ms (Python)", "queries", "SQL ms"):
        table.add_column(column, justify="left" if column == "Step" else "right")

    def row(label: str, key: tuple[str, str], depth: int) -> None:
        t = totals.get(key)
        if t:
            table.add_row("  " * depth + label, f"{t[4] / n:.1f}", f"{t[0] / n * 1000:.1f}", f"{t[1] / n * 1000:.1f}", f"{t[2] / n:.1f}", f"{t[3] / n * 1000:.1f}")

    row(f"POST {REPORT_PATH}, whole request", ("POST", "POST"), 0)
    for label, key, depth in phases:
        row(label, ("POST", key), depth)
    post, parts = totals["POST", "POST"], [totals["POST", k] for _, k, d in phases if d == 1 and ("POST", k) in totals]
    rest = [post[i] - sum(p[i] for p in parts) for i in range(4)]
    table.add_row("  the rest: middleware, ninja parsing, pydantic answer, JSON", "", f"{rest[0] / n * 1000:.1f}", f"{rest[1] / n * 1000:.1f}",
                  f"{rest[2] / n:.1f}", f"{rest[3] / n * 1000:.1f}")
    row(f"peer: GET {PEER_PATH}, whole request", ("GET", "GET"), 0)
    for label, key, depth in phases:
        if key.endswith(".authenticate_token"):
            row(label, ("GET", key), depth)
    console.print(table)


# ---------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    from rich.console import Console

    args = parse_args(argv)
    console = Console(width=max(110, Console().width))
    database_url, note = choose_database(args.database_url, console)

    # Fresh keys for this run, shared by this process and the server (the database is thrown away).
    os.environ["BALLOTGUARD_SECRET_KEY"] = secrets.token_urlsafe(50)
    os.environ["BALLOTGUARD_FIELD_KEYS"] = f"kbench:{base64.b64encode(os.urandom(32)).decode()}"
    os.environ.pop("BALLOTGUARD_MATCH_KEY", None)

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    stop = threading.Event()

    from bench._db import fresh_database

    try:
        with fresh_database(database_url), tempfile.TemporaryDirectory(prefix="bg-report-load-") as tmp:
            return run(args, console, note, Path(tmp), stop)
    except KeyboardInterrupt:
        stop.set()
        console.print("[yellow]Interrupted: gunicorn stopped and the database dropped.[/]")
        return 130


def run(args, console, note: str, tmp: Path, stop: threading.Event) -> int:
    """Inside the throwaway database: build, serve, load, check, print. gunicorn is stopped however it ends."""
    from django.db import connection
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    if connection.vendor == "postgresql":
        major, minor = divmod(connection.pg_version, 10000)
        backend = f"PostgreSQL {major}.{minor}"
    else:
        backend = f"SQLite {connection.Database.sqlite_version}"
    args.load_before = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    with console.status(f"Building {args.candidates} candidates with users and tokens"):
        reporters = build_world(args.candidates)
        plan = make_plan(args, reporters)
    port = args.port or free_port()
    server = Server(args, port, tmp)
    try:
        with console.status(f"Starting gunicorn on 127.0.0.1:{port} ({args.workers} workers)"):
            server.start()
            if not server.wait_ready(reporters[0].token):
                console.print(f"[bold red]gunicorn did not answer on 127.0.0.1:{port}.[/] Its log:")
                console.print(server.log_tail(), markup=False, highlight=False)
                return 2
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console) as progress:
            # Warm up: every worker imports and connects once; not measured.
            warm = [Job(-1, "peer", reporters[i % len(reporters)].token) for i in range(max(4 * args.workers, args.clients))]
            run_load(port, warm, args.clients, f"Warming up (GET {PEER_PATH})", progress, stop)
            db_url = os.environ["DATABASE_URL"] if connection.vendor == "postgresql" else None
            own_pid = None
            if db_url:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    own_pid = cursor.fetchone()[0]
            with CpuMeter(server.proc.pid, db_url, own_pid) as post_cpu:
                results, post_wall = run_load(port, plan.jobs, args.clients, f"POST {REPORT_PATH}", progress, stop, args.rate)
            peer_jobs = [Job(i, "peer", reporters[i % len(reporters)].token) for i in range(plan.posts)]
            with CpuMeter(server.proc.pid, db_url, own_pid) as peer_cpu:
                peer_results, peer_wall = run_load(port, peer_jobs, args.clients, f"Peer: GET {PEER_PATH}", progress, stop, args.rate)
    finally:
        server.stop()
    if server.proc.returncode not in (0, -signal.SIGTERM):
        console.print(f"[yellow]gunicorn exited with {server.proc.returncode}; its log:[/]")
        console.print(server.log_tail(), markup=False, highlight=False)
    post = summary(results, post_wall)
    # The created and replayed subsets come from the same run; their req/s is their share of it.
    created = summary([r for r in results if r.status == 201], post_wall)
    replayed = summary([r for r in results if r.status == 200], post_wall)
    peer = summary(peer_results, peer_wall)
    checks = check(plan, results, peer_results)
    cpu = (post_cpu.per_request(len(results)), peer_cpu.per_request(len(peer_results)))
    print_report(console, args, backend, note, plan, post, created, replayed, peer, cpu, checks, info(plan, results))
    errors = [r.error for r in results + peer_results if r.error]
    if errors:
        console.print(f"  transport errors (first of {len(errors)}): {errors[0]}", markup=False)
    if any(not ok for ok, _ in checks):
        console.print("[yellow]The gunicorn log:[/]")
        console.print(server.log_summary(), markup=False, highlight=False)
    if args.profile:
        profile_reports(reporters, args, console)
    return 0 if all(ok for ok, _ in checks) else 1

if __name__ == "__main__":
    sys.exit(main())
