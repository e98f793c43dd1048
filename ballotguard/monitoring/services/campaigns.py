"""Coordinated campaigns in the product: detection over ingested messages and incident observables,
campaigns kept across runs, the analyst's decision, and who may see what.

Detection runs the pure engine (:mod:`ballotguard.engines.coordination.detection`) twice:

1. **Messages.** One action per message sent in the look-back window (default 30 days): the author's
   keyed pseudonym (``author_hash``) as the account, the text (decrypted here, in memory, for the
   engine only: it is never stored or logged with a campaign), links, hashtags, the reply target,
   and the candidate's constituency and police force. The engine's settings (window 60 s,
   similarity 0.7, noise control) apply.
2. **Observables.** One action per incident that names something matchable (phone, e-mail,
   vehicle, handle, web address), with the observables' keyed ``match_hash`` values as the shared
   objects, the incident's time and place (its area, else the candidate's) as when and where, and
   ``incident:<id>`` as the "account". The messages of authors whose own handle (or a link they
   posted) is named in an incident join in, hashed the same way, so an account that is both posting
   in a burst and named in a report connects the two. The window is days, not seconds (default 30:
   reports come in days after the fact), one shared observable is enough (incident links are
   already a strong signal), and only the observable behaviour counts.

A group from the second pass stands on its own when it joins incidents in two or more places (the
same number threatening candidates in Birmingham and Westminster); otherwise it only bridges: its
incidents are added to the message campaign whose accounts it shares. Promoted messages bring their
incident too.

**Keeping decisions.** A campaign's members are its accounts' pseudonyms and its incidents. A new
run matches each group found to a stored campaign by the fingerprint of its members, or failing
that by overlap (Jaccard of the member sets at least 0.5, best first, each stored campaign matched
once per run), and updates that row; so a campaign found again, even with a new account or two,
keeps its key and its analyst's decision (the page shows who joined since). Re-running on the same
data changes nothing but the "last found" time.

**Scope.** Analysts see every campaign, pseudonymised (accounts and candidates by pseudonym,
evidence texts masked by :func:`pseudonymise_text`). A FEOA sees the campaigns that touch one of their
forces, whole in shape (constituencies, forces, counts, map, timeline: the point is that it crosses
force boundaries) but opens only their own force's messages and incidents; the others are counted,
not linked. Only analysts confirm or dismiss (a national judgement). Everyone else: 403.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import time as time_module
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings as django_settings
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from ballotguard.accounts.models import Role, User
from ballotguard.accounts.services import Actor, audit, audit_reads
from ballotguard.core import jobs
from ballotguard.core.background import task
from ballotguard.core.matching import author_pseudonym, candidate_pseudonym, keyed_hash
from ballotguard.core.sorting import Column, SortSpec, in_order
from ballotguard.engines.coordination import automation
from ballotguard.engines.coordination import detection as coordination
from ballotguard.engines.incidents.observables import (
    ObservableError,
    ObservableKind,
    normalise_observable,
)
from ballotguard.incidents.models import Incident, Observable
from ballotguard.incidents.services.warnings import warned_hashes
from ballotguard.registry.models import Area, AreaForce, Candidate, PoliceForce
from ballotguard.registry.services import NotPermitted

from ..models import Campaign, DetectionRun, Message
from .review import MessageView, read_messages
from .scope import messages_visible_to

logger = logging.getLogger("ballotguard.monitoring.campaigns")

DEFAULT_INTERVAL = 15 * 60
DEFAULT_LOOKBACK_DAYS = 30
DEFAULT_OBSERVABLE_WINDOW_DAYS = 30
OVERLAP = 0.5
EVIDENCE_KEPT = 6


class DecisionConflict(Exception):
    """Someone decided the campaign meanwhile (two analysts, or a stale tab)."""


class DecisionInvalid(Exception):
    """The decision is incomplete; ``errors`` maps field names to messages."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


# ---------------------------------------------------------------------------------------------------
# Settings


def _setting(name: str, default: int) -> int:
    value = getattr(django_settings, name, None)
    if value is None:
        value = os.environ.get(name, default)
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def detection_interval() -> int:
    """Seconds between scheduled runs: ``BALLOTGUARD_CAMPAIGN_DETECTION_INTERVAL`` (default 900)."""
    return max(60, _setting("BALLOTGUARD_CAMPAIGN_DETECTION_INTERVAL", DEFAULT_INTERVAL))


def lookback_days() -> int:
    return max(1, _setting("BALLOTGUARD_CAMPAIGN_LOOKBACK_DAYS", DEFAULT_LOOKBACK_DAYS))


def observable_window_days() -> int:
    return max(1, _setting("BALLOTGUARD_CAMPAIGN_OBSERVABLE_WINDOW_DAYS", DEFAULT_OBSERVABLE_WINDOW_DAYS))


def engine_settings() -> coordination.Settings:
    """The message pass's settings: the engine's defaults, tunable by ``BALLOTGUARD_CAMPAIGN_WINDOW``
    (seconds) and ``BALLOTGUARD_CAMPAIGN_MIN_EDGE_WEIGHT``."""
    fdr = _fdr_setting()
    return coordination.Settings(
        window=float(_setting("BALLOTGUARD_CAMPAIGN_WINDOW", 60)),
        min_edge_weight=max(1, _setting("BALLOTGUARD_CAMPAIGN_MIN_EDGE_WEIGHT", 2)),
        fdr=fdr,
    )


def _fdr_setting() -> float | None:
    """``BALLOTGUARD_CAMPAIGN_FDR``: the false-discovery rate of the significance test (default the
    engine's, 0.001); ``off`` (or 0) skips the test and keeps every pair over the minimum weight."""
    value = getattr(django_settings, "BALLOTGUARD_CAMPAIGN_FDR", None)
    if value is None:
        value = os.environ.get("BALLOTGUARD_CAMPAIGN_FDR")
    if value is None or str(value).strip() == "":
        return coordination.Settings.fdr
    try:
        return coordination.parse_fdr(value)
    except ValueError:
        logger.warning("BALLOTGUARD_CAMPAIGN_FDR is not a rate between 0 and 1 or 'off': the default %s is used", coordination.Settings.fdr)
        return coordination.Settings.fdr


def _observable_settings() -> coordination.Settings:
    return coordination.Settings(
        window=float(observable_window_days() * 86_400), behaviours=frozenset({coordination.Behaviour.OBSERVABLE}),
        min_edge_weight=1, min_account_actions=1, min_text_words=0,
        # A phone number or e-mail shared by two incidents is an identifier, not a crowd: one is enough.
        fdr=None,
    )


def _settings_json(s: coordination.Settings) -> dict:
    return {
        "window": s.window, "similarity": s.similarity, "min_edge_weight": s.min_edge_weight,
        "min_account_actions": s.min_account_actions, "max_object_accounts": s.max_object_accounts,
        "min_text_words": s.min_text_words, "behaviours": sorted(b.value for b in s.behaviours),
        "fdr": s.fdr, "null_block": s.null_block,
    }


# ---------------------------------------------------------------------------------------------------
# Scope


def can_see_campaigns(user: User) -> bool:
    return user.is_authenticated and user.role in {Role.ANALYST, Role.FEOA}


def can_decide(user: User) -> bool:
    return user.is_authenticated and user.role == Role.ANALYST


def can_run(user: User) -> bool:
    return can_see_campaigns(user)


def campaigns_visible_to(user: User) -> QuerySet[Campaign]:
    """Analysts: every campaign. FEOAs: those touching one of their forces. Others: none."""
    qs = Campaign.objects.select_related("run", "decided_by")
    if not can_see_campaigns(user):
        return qs.none()
    if user.role == Role.FEOA:
        ids = Campaign.forces.through.objects.filter(policeforce__in=user.police_forces.all()).values("campaign_id")
        return qs.filter(pk__in=ids)
    return qs


def get_campaign(user: User, pk: int) -> Campaign:
    """Raises ``Campaign.DoesNotExist`` (answered 404) outside the user's scope."""
    return campaigns_visible_to(user).get(pk=pk)


@dataclass
class CampaignFilter:
    status: str = ""  # "", "new", "confirmed" or "dismissed"
    force: str = ""  # a police force code
    kind: str = ""  # "", "coordinated" or "scheduled"


#: The campaign list's sortable columns (page and API). Not offered: the number of accounts (a JSON
#: list, whose length SQLite and PostgreSQL measure differently) and the constituencies and forces
#: (lists of several names, with no one order).
CAMPAIGN_SORT = SortSpec(
    Column("reference", "key"),
    Column("score", "score", first="desc"),
    Column("messages", "message_count", first="desc"),
    Column("when", "first_at", "last_at", first="desc"),
    Column("status", in_order("status", Campaign.Status.values)),
    default=("score", "desc"),
)


def campaign_list(user: User, flt: CampaignFilter | None = None) -> QuerySet[Campaign]:
    if not can_see_campaigns(user):
        raise NotPermitted("Only Taskforce analysts and FEOAs see coordinated campaigns.")
    flt = flt or CampaignFilter()
    qs = campaigns_visible_to(user)
    if flt.status:
        qs = qs.filter(status=flt.status)
    if flt.kind:
        qs = qs.filter(kind=flt.kind)
    if flt.force:
        qs = qs.filter(pk__in=Campaign.forces.through.objects.filter(policeforce__code=flt.force).values("campaign_id"))
    return qs.annotate(message_count=Count("messages", distinct=True)).prefetch_related("forces", "areas").order_by("-score", "-last_found_at", "-id")


# ---------------------------------------------------------------------------------------------------
# Actions for the engine


def _epoch(when: datetime) -> float:
    return when.timestamp()


def _from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def _forces_by_area() -> dict[int, list[str]]:
    """Area id → force codes, primary first."""
    out: dict[int, list[str]] = defaultdict(list)
    for area_id, code in AreaForce.objects.order_by("area_id", "-is_primary", "force__code").values_list("area_id", "force__code"):
        out[area_id].append(code)
    return out


def _observable_hash(kind: ObservableKind, raw: str) -> str | None:
    try:
        key = normalise_observable(kind, raw).match_key
    except ObservableError:
        return None
    return keyed_hash("observable", key) if key else None


@dataclass
class _Inputs:
    message_actions: list[coordination.Action] = field(default_factory=list)
    observable_actions: list[coordination.Action] = field(default_factory=list)
    message_area: dict[int, int] = field(default_factory=dict)  # message pk → area id
    message_incident: dict[int, int] = field(default_factory=dict)
    incident_area: dict[int, int] = field(default_factory=dict)
    incident_time: dict[int, datetime] = field(default_factory=dict)
    observable_kind: dict[str, str] = field(default_factory=dict)  # match_hash → kind
    incidents: int = 0
    observables: int = 0


def build_inputs(since: datetime, until: datetime) -> _Inputs:
    """Read messages and incidents in the window and make the engine's actions. Text is decrypted
    into these actions only; callers must not keep them beyond the run."""
    inputs = _Inputs()
    forces = _forces_by_area()
    areas = dict(Area.objects.values_list("pk", "code"))

    # Incidents with matchable observables, and what they name.
    hashes_by_incident: dict[int, set[str]] = defaultdict(set)
    rows = (
        Observable.objects.exclude(match_hash="").exclude(incident__status=Incident.Status.DRAFT)
        .values_list("incident_id", "match_hash", "kind")
    )
    warned = warned_hashes()  # values everyone meets link no incidents, here as in the case queue
    for incident_id, match_hash, kind in rows:
        if match_hash in warned:
            continue
        hashes_by_incident[incident_id].add(match_hash)
        inputs.observable_kind[match_hash] = kind
    named = set(inputs.observable_kind)
    incidents = Incident.objects.filter(pk__in=list(hashes_by_incident)).exclude(status=Incident.Status.DRAFT).values_list(
        "pk", "occurred_at", "submitted_at", "created_at", "area_id", "candidate_id", "candidate__ballot__area_id",
    )
    for pk, occurred, submitted, created, area_id, candidate_id, candidate_area in incidents:
        when = occurred or submitted or created
        if when is None or not (since <= when <= until):
            continue
        where = area_id or candidate_area
        inputs.incident_area[pk] = where
        inputs.incident_time[pk] = when
        inputs.incidents += 1
        inputs.observables += len(hashes_by_incident[pk])
        inputs.observable_actions.append(coordination.Action(
            account=f"incident:{pk}", time=_epoch(when), message_id=f"incident:{pk}", candidate=str(candidate_id),
            constituency=areas.get(where, ""), force=(forces.get(where) or [""])[0], observables=tuple(sorted(hashes_by_incident[pk])),
        ))

    candidate_area = dict(Candidate.objects.values_list("pk", "ballot__area_id"))
    qs = (
        Message.objects.filter(sent_at__gte=since, sent_at__lte=until).exclude(author_hash="")
        .only("pk", "author_hash", "sent_at", "text", "author_handle", "urls", "hashtags", "reply_to", "candidate_id", "incident_id")
        .order_by("pk")
    )
    for m in qs.iterator(chunk_size=2000):
        area_id = candidate_area.get(m.candidate_id) if m.candidate_id else None
        inputs.message_area[m.pk] = area_id
        if m.incident_id:
            inputs.message_incident[m.pk] = m.incident_id
        urls = tuple(u for u in m.urls.splitlines() if u) if m.urls else ()
        code = areas.get(area_id, "") if area_id else ""
        force = (forces.get(area_id) or [""])[0] if area_id else ""
        inputs.message_actions.append(coordination.Action(
            account=m.author_hash, time=_epoch(m.sent_at), message_id=str(m.pk), text=m.text, urls=urls,
            hashtags=tuple(m.hashtags or ()), reply_to=m.reply_to, candidate=str(m.candidate_id or ""), constituency=code, force=force,
        ))
        if named:
            own = [_observable_hash(ObservableKind.HANDLE, m.author_handle)] if m.author_handle else []
            own += [_observable_hash(ObservableKind.URL, u) for u in urls]
            shared = tuple(sorted({h for h in own if h and h in named}))
            if shared:
                inputs.observable_actions.append(coordination.Action(
                    account=m.author_hash, time=_epoch(m.sent_at), message_id=str(m.pk), candidate=str(m.candidate_id or ""),
                    constituency=code, force=force, observables=shared,
                ))
    return inputs


# ---------------------------------------------------------------------------------------------------
# Detection


@dataclass
class Found:
    """One campaign as detected, before it is matched to a stored one."""

    accounts: set[str] = field(default_factory=set)
    incidents: set[int] = field(default_factory=set)
    messages: set[int] = field(default_factory=set)
    candidates: set[int] = field(default_factory=set)
    behaviours: set[str] = field(default_factory=set)
    first: float = float("inf")
    last: float = float("-inf")
    score: float = 0.0
    edges: int = 0
    total_weight: int = 0
    evidence: list[dict] = field(default_factory=list)
    chance: dict[str, list[float]] = field(default_factory=dict)
    """Behaviour → [co-actions, co-actions chance would give], summed over the absorbed campaigns."""
    p_value: float | None = None
    timed: set[str] = field(default_factory=set)
    """Accounts that post on a timer (from the engine's scheduled campaigns)."""
    timer: automation.Timer | None = None
    """The timer of the largest scheduled campaign absorbed."""

    @property
    def members(self) -> frozenset[str]:
        return frozenset(self.accounts) | frozenset(f"incident:{i}" for i in self.incidents)

    def fingerprint(self) -> str:
        return hashlib.sha256("\n".join(sorted(self.members)).encode()).hexdigest()

    def absorb(self, c: coordination.Campaign, observable_kind: dict[str, str]) -> None:
        for account in c.accounts:
            if account.startswith("incident:"):
                self.incidents.add(int(account.split(":", 1)[1]))
            else:
                self.accounts.add(account)
        for mid in c.message_ids:
            if mid.startswith("incident:"):
                continue
            self.messages.add(int(mid))
        self.candidates.update(int(x) for x in c.candidates if x.isdigit())
        self.behaviours.update(c.behaviours)
        self.first = min(self.first, c.first_time)
        self.last = max(self.last, c.last_time)
        self.score += c.score
        self.edges += c.edges
        self.total_weight += c.total_weight
        self.evidence.extend(_evidence(e, observable_kind) for e in c.evidence)
        for behaviour, observed, expected in c.co_actions:
            seen = self.chance.setdefault(behaviour, [0, 0.0])
            seen[0] += observed
            seen[1] += expected
        if c.p_value is not None:
            self.p_value = max(self.p_value or 0.0, c.p_value)
        if c.timer is not None:
            self.timed.update(c.timer.accounts)
            if self.timer is None or len(c.timer.accounts) > len(self.timer.accounts):
                self.timer = c.timer

    @property
    def kind(self) -> str:
        """The engine's rule, over the merged members: scheduled when more than half post on a timer."""
        timed = len(self.timed & self.accounts)
        return automation.SCHEDULED if self.timer is not None and automation.mostly_timed(timed, len(self.accounts)) else automation.COORDINATED


def _who(account: str, message: str) -> dict:
    if account.startswith("incident:"):
        return {"kind": "incident", "incident": int(account.split(":", 1)[1]), "pseudonym": "", "message": None}
    return {"kind": "account", "pseudonym": author_pseudonym(account), "account": account, "message": int(message) if message.isdigit() else None}


def _evidence(e: coordination.Evidence, observable_kind: dict[str, str]) -> dict:
    """One co-action without personal text: hashtags are kept (public slogans); a shared observable
    is named by its kind; texts and links are referred to by their messages."""
    behaviour = coordination.Behaviour(e.behaviour)
    shared = ""
    if behaviour is coordination.Behaviour.HASHTAG:
        shared = ", ".join("#" + t for t in e.shared.split(", ") if t and " " not in t)
    elif behaviour is coordination.Behaviour.OBSERVABLE:
        kinds = sorted({ObservableKind(observable_kind[h]).label for h in e.shared.split(", ") if h in observable_kind})
        shared = ", ".join(kinds)
    return {
        "behaviour": behaviour.value, "label": behaviour.label, "shared": shared,
        "a": _who(e.account_a, e.message_a), "time_a": _from_epoch(e.time_a).isoformat(),
        "b": _who(e.account_b, e.message_b), "time_b": _from_epoch(e.time_b).isoformat(),
    }


def detect(inputs: _Inputs, message_settings: coordination.Settings) -> tuple[list[Found], dict]:
    """Run both passes and merge them into campaigns (pure over ``inputs``; no database)."""
    stats: dict[str, int] = {}
    found: list[Found] = []
    if inputs.message_actions:
        result = coordination.detect(inputs.message_actions, message_settings)
        stats.update({f"messages_{k}": v for k, v in result.stats.items()})
        for c in result.campaigns:
            f = Found()
            f.absorb(c, inputs.observable_kind)
            found.append(f)
    groups: list[Found] = []
    if inputs.observable_actions:
        result = coordination.detect(inputs.observable_actions, _observable_settings())
        stats.update({f"observables_{k}": v for k, v in result.stats.items()})
        for c in result.campaigns:
            g = Found()
            g.absorb(c, inputs.observable_kind)
            g.messages.clear()  # a message naming no one is not part of the campaign by this pass alone
            groups.append(g)

    # Bridge: a group sharing an account with a message campaign joins it.
    by_account = {a: i for i, f in enumerate(found) for a in f.accounts}
    merged_into: dict[int, int] = {}
    for g_index, g in enumerate(groups):
        targets = sorted({by_account[a] for a in g.accounts if a in by_account})
        if targets:
            merged_into[g_index] = targets[0]
            host = found[targets[0]]
            for other in targets[1:]:  # one bridge can join two message campaigns
                _merge(host, found[other])
                found[other] = Found()
                for a in host.accounts:
                    by_account[a] = targets[0]
            _merge(host, g, accounts=False)
    found = [f for f in found if f.accounts or f.incidents]
    for g_index, g in enumerate(groups):
        if g_index in merged_into:
            continue
        places = {inputs.incident_area.get(i) for i in g.incidents} - {None}
        if len(g.incidents) >= 2 and len(places) >= 2:
            found.append(g)
    # Promoted messages bring their incidents.
    for f in found:
        f.incidents.update(inputs.message_incident[m] for m in f.messages if m in inputs.message_incident)
    found.sort(key=lambda f: (-f.score, -len(f.members), sorted(f.members)))
    return found, stats


def _merge(host: Found, other: Found, *, accounts: bool = True) -> None:
    if accounts:
        host.accounts |= other.accounts
        host.messages |= other.messages
    host.incidents |= other.incidents
    host.candidates |= other.candidates
    host.behaviours |= other.behaviours
    host.first = min(host.first, other.first)
    host.last = max(host.last, other.last)
    host.score += other.score
    host.edges += other.edges
    host.total_weight += other.total_weight
    host.evidence.extend(other.evidence)
    for behaviour, (observed, expected) in other.chance.items():
        seen = host.chance.setdefault(behaviour, [0, 0.0])
        seen[0] += observed
        seen[1] += expected
    if other.p_value is not None:
        host.p_value = max(host.p_value or 0.0, other.p_value)
    if accounts:
        host.timed |= other.timed
        if other.timer is not None and (host.timer is None or len(other.timer.accounts) > len(host.timer.accounts)):
            host.timer = other.timer


# ---------------------------------------------------------------------------------------------------
# Runs


DETECTION_TASK = "ballotguard.monitoring.tasks.detect_campaigns_task"


def request_run(actor: Actor) -> DetectionRun:
    """Queue a run on demand and hand it to the task worker once committed. A run already queued or
    running on demand is returned instead of a second one."""
    user = actor.user
    if user is None or not can_run(user):
        raise NotPermitted("Only Taskforce analysts and FEOAs run campaign detection.")
    detect_campaigns_task = task(DETECTION_TASK)

    fail_dead_runs()  # else a run whose worker died would stand in for this one for ever
    with transaction.atomic():
        pending = DetectionRun.objects.filter(trigger=DetectionRun.Trigger.ON_DEMAND, status__in=[DetectionRun.Status.QUEUED, DetectionRun.Status.RUNNING]).first()
        if pending is not None:
            return pending
        run = DetectionRun.objects.create(trigger=DetectionRun.Trigger.ON_DEMAND, requested_by=user)
        audit(actor, "create", "detection_run", run.pk, detail="campaign detection requested")
        transaction.on_commit(lambda: detect_campaigns_task.enqueue(run.pk))
    return run


def claim(run_id: int) -> DetectionRun | None:
    """Mark a queued run as running; ``None`` when someone else has it (a task delivered twice)."""
    now = timezone.now()
    claimed = DetectionRun.objects.filter(pk=run_id, status=DetectionRun.Status.QUEUED).update(status=DetectionRun.Status.RUNNING, started_at=now)
    return DetectionRun.objects.get(pk=run_id) if claimed else None


def execute(run: DetectionRun, *, now: datetime | None = None) -> DetectionRun:
    """Detect and store campaigns for a claimed (running) run; a failure is recorded, not raised."""
    started = time_module.perf_counter()
    now = now or timezone.now()
    if run.status != DetectionRun.Status.RUNNING:
        run.status = DetectionRun.Status.RUNNING
        run.started_at = now
    run.window_end = now
    run.window_start = now - timedelta(days=lookback_days())
    s = engine_settings()
    run.settings = {"messages": _settings_json(s), "observables": _settings_json(_observable_settings()), "lookback_days": lookback_days()}
    try:
        inputs = build_inputs(run.window_start, run.window_end)
        run.messages_count = len(inputs.message_actions)
        run.incidents_count = inputs.incidents
        run.observables_count = inputs.observables
        run.actions_count = len(inputs.message_actions) + len(inputs.observable_actions)
        found, _stats = detect(inputs, s)
        del inputs  # the decrypted texts go no further
        with transaction.atomic():
            run.campaigns_found = len(found)
            run.campaigns_new = persist(run, found, now=now)
            run.status = DetectionRun.Status.SUCCEEDED
    except Exception as exc:  # noqa: BLE001  recorded on the run; the class only, as text can quote data
        logger.error("Campaign detection run %s failed: %s", run.pk, type(exc).__name__)
        run.status = DetectionRun.Status.FAILED
        run.error = type(exc).__name__[:200]
    run.finished_at = timezone.now()
    run.duration_ms = int((time_module.perf_counter() - started) * 1000)
    run.save()
    return run


def run_now(actor: Actor, trigger: str = DetectionRun.Trigger.COMMAND) -> DetectionRun:
    """Run detection synchronously (the command, the demo, tests)."""
    run = DetectionRun.objects.create(trigger=trigger, requested_by=actor.user, status=DetectionRun.Status.RUNNING, started_at=timezone.now())
    run = execute(run)
    audit(actor, "create", "detection_run", run.pk, detail=f"campaign detection: {run.status}, {run.campaigns_found} campaigns")
    return run


def schedule_next(*, delay: int | None = None) -> DetectionRun | None:
    """Make sure one scheduled run is queued, ``delay`` seconds from now (default: the interval), and
    enqueue its delayed task. Returns the new run, or ``None`` when one was already queued (so only
    one chain ever exists) or the task backend cannot defer (the command's loop covers that)."""
    detect_campaigns_task = task(DETECTION_TASK)

    if not detect_campaigns_task.get_backend().supports_defer:
        return None
    when = timezone.now() + timedelta(seconds=detection_interval() if delay is None else delay)
    try:
        with transaction.atomic():
            if DetectionRun.objects.filter(trigger=DetectionRun.Trigger.SCHEDULED, status=DetectionRun.Status.QUEUED).exists():
                return None
            run = DetectionRun.objects.create(trigger=DetectionRun.Trigger.SCHEDULED, run_after=when)
            transaction.on_commit(lambda: detect_campaigns_task.using(run_after=when).enqueue(run.pk))
    except IntegrityError:  # another process queued one at the same moment
        return None
    return run


def run_task(run_id: int | None) -> dict:
    """What the task does: claim and run the given run (or a new scheduled one), then, for a scheduled
    run, queue the next link of the chain."""
    if run_id is None:
        run = DetectionRun.objects.create(trigger=DetectionRun.Trigger.SCHEDULED, status=DetectionRun.Status.RUNNING, started_at=timezone.now())
    else:
        run = claim(run_id)
        if run is None:
            return {"run": run_id, "status": "skipped: already claimed"}
    run = execute(run)
    if run.trigger == DetectionRun.Trigger.SCHEDULED:
        schedule_next()
    return {"run": run.pk, "status": run.status, "campaigns": run.campaigns_found}


def recover_stale(max_age: int | None = None) -> int:
    """Scheduled runs queued long past their time (a lost task, a worker that was down) are marked
    failed so the chain can start again, and so are runs whose worker died (:func:`fail_dead_runs`).
    Returns how many."""
    limit = timezone.now() - timedelta(seconds=max_age if max_age is not None else 2 * detection_interval())
    lost = DetectionRun.objects.filter(trigger=DetectionRun.Trigger.SCHEDULED, status=DetectionRun.Status.QUEUED, run_after__lt=limit).update(
        status=DetectionRun.Status.FAILED, error="lost: never picked up by the worker", finished_at=timezone.now(),
    )
    return lost + fail_dead_runs()


def fail_dead_runs(now: datetime | None = None) -> int:
    """Runs left "running" by a worker that died (``core.jobs``) are marked failed with the reason the
    campaigns page shows. A run stores its campaigns in one transaction at its end, so a dead run
    changed nothing. Returns how many."""
    return DetectionRun.objects.filter(status=DetectionRun.Status.RUNNING, started_at__lt=jobs.stale_before(now)).update(
        status=DetectionRun.Status.FAILED, error=jobs.died_reason()[:200], finished_at=now or timezone.now(),
    )


def last_finished() -> DetectionRun | None:
    return DetectionRun.objects.filter(status=DetectionRun.Status.SUCCEEDED).order_by("-finished_at", "-id").first()


# ---------------------------------------------------------------------------------------------------
# Keeping campaigns across runs


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def _members_of(c: Campaign) -> frozenset[str]:
    return frozenset(c.accounts) | frozenset(f"incident:{i}" for i in c.incident_ids)


def _new_key(fingerprint: str, taken: set[str]) -> str:
    """The key of a campaign found for the first time: the start of its fingerprint when no stored
    campaign has that key or shows the same reference (its first 8 characters), else a random free
    one. The fingerprint alone is not enough: a campaign that grew keeps the key made from its first
    members, so a new group with exactly those members would get the same key, and as ``key`` is
    unique that run, and every run after it, would fail."""
    references = {k[:8] for k in taken}
    key = fingerprint[:24]
    while key in taken or key[:8] in references:
        key = secrets.token_hex(12)
    return key


def persist(run: DetectionRun, found: list[Found], *, now: datetime) -> int:
    """Store what ``run`` found, matched to stored campaigns; returns how many are new."""
    stored = list(Campaign.objects.prefetch_related("incidents").order_by("pk"))
    for c in stored:
        c.incident_ids = [i.pk for i in c.incidents.all()]
    by_fingerprint = {c.fingerprint: c for c in stored}
    keys = {c.key for c in stored}
    members = {c.pk: _members_of(c) for c in stored}
    used: set[int] = set()
    valid_messages = set(Message.objects.filter(pk__in={m for f in found for m in f.messages}).values_list("pk", flat=True))
    valid_incidents = set(Incident.objects.filter(pk__in={i for f in found for i in f.incidents}).values_list("pk", flat=True))
    new = 0
    for f in found:
        f.messages &= valid_messages
        f.incidents &= valid_incidents
        fingerprint = f.fingerprint()
        campaign = by_fingerprint.get(fingerprint)
        if campaign is None or campaign.pk in used:
            campaign = None
            best = 0.0
            for c in stored:
                if c.pk in used:
                    continue
                score = _jaccard(f.members, members[c.pk])
                if score >= OVERLAP and score > best:
                    campaign, best = c, score
        if campaign is None:
            campaign = Campaign(key=_new_key(fingerprint, keys), first_run=run, first_found_at=now, status=Campaign.Status.NEW)
            keys.add(campaign.key)
            new += 1
        _fill(campaign, f, run, fingerprint, now)
        campaign.save()
        used.add(campaign.pk)
        _set_links(campaign, f)
    return new


def _fill(campaign: Campaign, f: Found, run: DetectionRun, fingerprint: str, now: datetime) -> None:
    campaign.fingerprint = fingerprint
    campaign.run = run
    campaign.last_found_at = now
    campaign.accounts = sorted(f.accounts)
    campaign.candidate_ids = sorted(f.candidates)
    campaign.behaviours = sorted(f.behaviours)
    campaign.first_at = _from_epoch(f.first) if f.first != float("inf") else now
    campaign.last_at = _from_epoch(f.last) if f.last != float("-inf") else now
    campaign.score = round(f.score, 6)
    campaign.edges = f.edges
    campaign.total_weight = f.total_weight
    campaign.evidence = sorted(f.evidence, key=lambda e: (e["time_a"], e["time_b"], e["behaviour"]))[:EVIDENCE_KEPT]
    campaign.chance = [
        {"behaviour": b, "label": coordination.Behaviour(b).label, "co_actions": int(x), "expected": round(lam, 6)}
        for b, (x, lam) in sorted(f.chance.items(), key=lambda kv: (-kv[1][0], kv[0]))
    ]
    campaign.p_value = f.p_value
    campaign.kind = f.kind
    campaign.timer = None if f.kind != automation.SCHEDULED or f.timer is None else {
        "period_seconds": f.timer.period, "every_seconds": f.timer.every, "offset_seconds": f.timer.offset,
        "spread_seconds": f.timer.spread, "accounts": len(f.timed & f.accounts), "p_value": f.timer.p_value,
    }


def timer_sentence(campaign: Campaign) -> str:
    """"N of M accounts post every 15 minutes, on the quarter hour; …" for a scheduled campaign, else ""."""
    t = campaign.timer
    if campaign.kind != Campaign.Kind.SCHEDULED or not t:
        return ""
    timer = automation.Timer(period=t["period_seconds"], every=t["every_seconds"], offset=t["offset_seconds"], spread=t["spread_seconds"],
                             accounts=(), p_value=t["p_value"])
    return automation.describe(timer, len(campaign.accounts), timed=t["accounts"])


def _set_links(campaign: Campaign, f: Found) -> None:
    message_areas = Message.objects.filter(pk__in=f.messages, candidate__isnull=False).values_list("candidate__ballot__area_id", flat=True)
    incident_rows = Incident.objects.filter(pk__in=f.incidents).values_list("area_id", "candidate__ballot__area_id")
    area_ids = set(message_areas) | {a or b for a, b in incident_rows}
    area_ids.discard(None)
    forces = set(AreaForce.objects.filter(area_id__in=area_ids).values_list("force_id", flat=True))
    forces |= set(Incident.forces.through.objects.filter(incident_id__in=f.incidents).values_list("policeforce_id", flat=True))
    campaign.constituencies = sorted(Area.objects.filter(pk__in=area_ids).values_list("code", flat=True))
    campaign.save(update_fields=["constituencies"])
    campaign.areas.set(area_ids)
    campaign.forces.set(forces)
    campaign.messages.set(f.messages)
    campaign.incidents.set(f.incidents)


# ---------------------------------------------------------------------------------------------------
# Decisions


DECISIONS = {"confirm": Campaign.Status.CONFIRMED, "dismiss": Campaign.Status.DISMISSED}


def decide(actor: Actor, campaign: Campaign, action: str, note: str, *, expected: str | None = None) -> Campaign:
    """Confirm or dismiss a campaign, with a note saying why. ``expected``: the status the analyst saw;
    if someone decided meanwhile, :class:`DecisionConflict` rather than a silent overwrite."""
    user = actor.user
    if user is None or not can_decide(user):
        raise NotPermitted("Only Taskforce analysts confirm or dismiss campaigns.")
    errors = {}
    if action not in DECISIONS:
        errors["decision"] = "Choose whether the accounts are working together"
    note = (note or "").strip()
    if not note:
        errors["note"] = "Say why you confirmed or dismissed this campaign"
    elif len(note) > 2000:
        errors["note"] = "The note must be 2,000 characters or fewer"
    if errors:
        raise DecisionInvalid(errors)
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update(of=("self",)).select_related("decided_by").get(pk=campaign.pk)
        if expected is not None and campaign.status != expected:
            who = campaign.decided_by.username if campaign.decided_by else "someone"
            raise DecisionConflict(f"{who} has already marked this campaign as {campaign.get_status_display().lower()}.")
        campaign.status = DECISIONS[action]
        campaign.decided_by = user
        campaign.decided_by_role = user.role
        campaign.decided_at = timezone.now()
        campaign.decision_note = note
        campaign.accounts_at_decision = list(campaign.accounts)
        campaign.save(update_fields=["status", "decided_by", "decided_by_role", "decided_at", "decision_note", "accounts_at_decision"])
        audit(actor, "update", "campaign", campaign.pk, fields=["status", "decision_note"], detail=f"campaign: {action}")
    return campaign


# ---------------------------------------------------------------------------------------------------
# What a user sees


@dataclass
class CampaignView:
    campaign: Campaign
    pseudonyms: list[str]
    candidates: list[str]
    areas: list[Area]
    forces: list[PoliceForce]
    messages: list[MessageView]
    messages_total: int
    messages_hidden: int
    incidents: list[Incident]
    incidents_total: int
    incidents_hidden: int
    evidence: list[dict]
    joined_since_decision: list[str]
    note: str


def read_campaign(actor: Actor, campaign: Campaign, *, message_limit: int = 50) -> CampaignView:
    """The campaign as this user may see it; the read (and each message shown) is audited."""
    from ballotguard.incidents.services import incidents_visible_to

    user = actor.user
    all_messages = campaign.messages.all()
    visible = messages_visible_to(user).filter(pk__in=all_messages.values("pk")).order_by("sent_at", "id")
    shown = list(visible[:message_limit])
    views = read_messages(actor, shown)
    total_messages = all_messages.count()
    visible_count = visible.count()
    incidents_all = campaign.incidents.all()
    incidents = list(incidents_visible_to(user).filter(pk__in=incidents_all.values("pk")).order_by("occurred_at", "id"))
    total_incidents = incidents_all.count()
    audit_reads(actor, "campaign", [campaign.pk], ["accounts", "evidence", "decision_note"])
    by_pk = {v.pk: v for v in views}
    shown_incidents = {i.pk: i for i in incidents}
    evidence = []
    for e in campaign.evidence:
        row = dict(e)
        for side in ("a", "b"):
            who = dict(e[side])
            who["view"] = by_pk.get(who.get("message")) if who.get("message") else None
            who["incident_ref"] = shown_incidents[who["incident"]].reference if who["kind"] == "incident" and who["incident"] in shown_incidents else ""
            row[side] = who
        row["time_a"] = datetime.fromisoformat(e["time_a"])
        row["time_b"] = datetime.fromisoformat(e["time_b"])
        evidence.append(row)
    identities = user.role == Role.FEOA
    candidates = [candidate_pseudonym(pk) for pk in campaign.candidate_ids]
    if identities:
        from ballotguard.registry.services import candidates_visible_to

        names = dict(candidates_visible_to(user).filter(pk__in=campaign.candidate_ids).values_list("pk", "name"))
        candidates = [names.get(pk) or candidate_pseudonym(pk) for pk in campaign.candidate_ids]
    return CampaignView(
        campaign=campaign, pseudonyms=campaign.pseudonyms, candidates=candidates,
        areas=list(campaign.areas.order_by("name")), forces=list(campaign.forces.order_by("name")),
        messages=views, messages_total=total_messages, messages_hidden=total_messages - visible_count,
        incidents=incidents, incidents_total=total_incidents, incidents_hidden=total_incidents - len(incidents),
        evidence=evidence, joined_since_decision=campaign.joined_since_decision, note=campaign.decision_note,
    )


def explain_campaign(campaign: Campaign, view: CampaignView) -> str:
    """The campaign page's "why", in one paragraph (the API's ``why``)."""
    n, areas, forces = len(view.pseudonyms), len(view.areas), len(view.forces)
    head = (f"{n} account{'s' if n != 1 else ''}, aimed at {areas} constituenc{'y' if areas == 1 else 'ies'} "
            f"in {forces} police force area{'s' if forces != 1 else ''}, acted alike within seconds of each other")
    timer = timer_sentence(campaign)
    head = f"{timer} {head}" if timer else head
    if not campaign.chance:
        return head + "; each link is at least the minimum number of co-actions (no significance test was run)."
    parts = [f"{k['label']} {k['co_actions']} time{'s' if k['co_actions'] != 1 else ''} (chance would give "
             f"{'under 0.01' if k['expected'] < 0.01 else format(k['expected'], '.2f')})" for k in campaign.chance]
    tail = "" if campaign.p_value is None else f" Even the weakest link would happen by chance with probability {campaign.p_value:.1e}."
    return (head + " more often than chance explains: " + "; ".join(parts) + ". Chance is judged from how active each account "
            "was and how many others shared the same thing in the same hour." + tail)


def timeline_rows(campaign: Campaign) -> tuple[list[dict], str]:
    """Messages and incidents of the campaign per hour (a span of three days or less) or per day."""
    span = campaign.last_at - campaign.first_at
    hourly = span <= timedelta(days=3)
    buckets: dict[datetime, dict] = {}

    def bucket(when: datetime) -> datetime:
        when = when.astimezone(UTC)
        return when.replace(minute=0, second=0, microsecond=0) if hourly else when.replace(hour=0, minute=0, second=0, microsecond=0)

    for when in campaign.messages.values_list("sent_at", flat=True):
        buckets.setdefault(bucket(when), {"messages": 0, "incidents": 0})["messages"] += 1
    for occurred, submitted, created in campaign.incidents.values_list("occurred_at", "submitted_at", "created_at"):
        when = occurred or submitted or created
        buckets.setdefault(bucket(when), {"messages": 0, "incidents": 0})["incidents"] += 1
    rows = [{"when": k.isoformat(), "at": k, **v} for k, v in sorted(buckets.items())]
    return rows, "hour" if hourly else "day"


TIMELINE_SERIES = (("messages", "Messages"), ("incidents", "Incidents"))


def timeline_chart(campaign: Campaign, rows: list[dict], unit: str) -> dict:
    from ballotguard.engines.insights.charts import weekly_series

    messages = sum(r["messages"] for r in rows)
    incidents = sum(r["incidents"] for r in rows)
    spec = weekly_series(
        rows, x="when", series=TIMELINE_SERIES, title=f"Campaign {campaign.reference}: activity per {unit}",
        description=f"Bar chart of the campaign's messages and incidents per {unit}: {messages} messages and {incidents} incidents in {len(rows)} {unit}s with activity.",
        y_title="Messages and incidents", mark="bar",
    )
    spec["encoding"]["x"].update({"title": "Hour (UTC)" if unit == "hour" else "Day", "axis": {"format": "%d %b %H:%M" if unit == "hour" else "%d %b %Y"}})
    spec["encoding"]["tooltip"][0].update({"title": "Hour (UTC)" if unit == "hour" else "Day", "format": "%d %b %Y %H:%M" if unit == "hour" else "%d %b %Y"})
    return spec


def hex_map(campaign: Campaign) -> tuple[str, list[dict]]:
    """The constituency hex map (SVG) with each targeted constituency coloured by the messages and
    incidents aimed at it, and the rows of the table beside it. The SVG is empty when the hex
    positions have not been imported (``ballotguard import-geography``)."""
    from ballotguard.engines.insights import hexmap

    counts: dict[int, int] = defaultdict(int)
    for area_id in campaign.messages.filter(candidate__isnull=False).values_list("candidate__ballot__area_id", flat=True):
        counts[area_id] += 1
    for area_id, candidate_area in campaign.incidents.values_list("area_id", "candidate__ballot__area_id"):
        counts[area_id or candidate_area] += 1
    areas = {a.pk: a for a in campaign.areas.all()}
    rows = sorted(
        ({"code": a.code, "name": a.name, "count": counts.get(pk, 0), "on_map": a.hex_q is not None} for pk, a in areas.items()),
        key=lambda r: (-r["count"], r["name"]),
    )
    cells = list(Area.objects.filter(area_type=Area.Type.CONSTITUENCY, hex_q__isnull=False, hex_r__isnull=False).order_by("code").values_list("code", "name", "hex_q", "hex_r"))
    values = {r["code"]: r["count"] for r in rows if r["on_map"] and r["count"]}
    if not cells or not values:
        return "", rows
    layout = hexmap.layout_from_cells(cells, kind="odd-r")
    targeted = ", ".join(f"{r['name']} ({r['count']})" for r in rows if r["on_map"] and r["count"])
    svg = hexmap.render_svg(
        layout, values, title=f"Constituencies targeted by campaign {campaign.reference}",
        description=f"Hex map of Westminster constituencies; those targeted are outlined and coloured by the number of messages and incidents aimed at them: {targeted}.",
        scale=hexmap.sequential_scale(values.values(), classes=min(5, max(1, len(set(values.values()))))),
        highlight=sorted(values), id_prefix=f"campaign-{campaign.pk}-map", legend_title="Messages and incidents", no_data_label="Not targeted",
        highlight_label="Targeted",
    )
    return svg, rows
