"""Retention rules, declared by each app and run in one defined order (issue 18).

Retention is a duty every app has for its own records, so each app declares its rules in its own
``retention.py`` and registers them in ``AppConfig.ready`` (as Django's admin registers its checks
there, and NetBox its search indexes): adding an app never means editing the registry, and neither
the registry nor this module imports an app above them (import-linter checks it).

A **rule** (:class:`Rule`) says what it covers, the key of its period in
``settings.BALLOTGUARD_RETENTION`` (days; a rule that follows another's erasure has none), whether it
erases (the row stays, its personal fields go) or deletes, the counts it reports, and the function
that applies it (``apply-retention --list-rules`` shows the operator the first three, from
:func:`describe`). That function gets the :class:`Run` and the period, and must

- count, without changing anything, when ``run.dry_run`` (the counts a real run would report);
- otherwise work in batches (:func:`batches`), one transaction per batch: select the rows again
  ``FOR UPDATE`` by the rule, blank the columns and set the markers, then destroy the data keys and
  delete the files, last, inside the transaction. If the commit fails the rows still match the rule
  and the next run redoes them; destroying a key or deleting a file already gone is a no-op. So a run
  that stops half way is finished by the next, and a second run finds nothing to do.

A **hold** (:class:`Hold`) is a reason, contributed by another app, to keep rows a rule would
otherwise take: the incidents app holds the contact details of a candidate with an open incident.
The rule asks :func:`holds_on` for them and excludes what any of them keeps, under its row locks too.

**Order.** Rules run in the order their apps' ``ready`` registered them (``INSTALLED_APPS`` order,
then the order within the app), except that a rule never runs before the rules it names in
``after``: the outreach notes and safety plans that go with erased contact details run after the
contact-details rule. A rule that names a rule nobody registered, or a cycle, is refused before
anything runs. In a dry run nothing is erased, so a rule that follows another reads what that one
would have taken from ``run.selected``.

:func:`run` applies every rule; the caller writes the audit event (``registry.retention.apply``),
whose detail :func:`audit_detail` makes from the counts, never names.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace

from django.conf import settings
from django.utils import timezone

BATCH = 500
ERASE, DELETE = "erase", "delete"


class RetentionConfigError(ValueError):
    """A retention period in the settings cannot be used, or the declared rules cannot be ordered."""


@dataclass(frozen=True)
class Count:
    """One figure of the report: its name (``--json``), its short name in the audit detail (which is
    at most 300 characters) and its row in the ``apply-retention`` table."""

    name: str
    audit: str
    label: str


# Several rules destroy data keys (candidates, check-ins, incidents): one count for all of them, last.
DATA_KEYS = Count("data_keys_destroyed", "keys", "Data keys destroyed")


@dataclass(frozen=True)
class Rule:
    name: str
    covers: str  # what it covers, in a few words
    action: str  # ERASE (personal fields go, the row stays) or DELETE
    apply: Callable[[Run, int | None], None]
    counts: tuple[Count, ...]
    period: str | None = None  # key in settings.BALLOTGUARD_RETENTION
    default_days: int | None = None
    minimum_days: int = 0
    minimum_reason: str = ""  # why the period may not be shorter, said when it is refused
    period_text: str = ""  # "check-in locations {days} after check-out": the command's periods line
    after: tuple[str, ...] = ()  # rules that must run first
    audit_fields: tuple[str, ...] = ()  # what the audit event says was deleted
    app: str = ""  # set by register()

    def __post_init__(self):
        if self.action not in (ERASE, DELETE):
            raise ValueError(f"retention rule {self.name!r}: action must be {ERASE!r} or {DELETE!r}")
        if (self.period is None) != (self.default_days is None):
            raise ValueError(f"retention rule {self.name!r}: a period needs a default, and a default a period")


@dataclass(frozen=True)
class Hold:
    """A reason to keep rows the rule named ``rule`` would take. ``keeps()`` is a condition (a ``Q``
    or an ``Exists``) over that rule's rows; ``count`` says how many it kept."""

    rule: str
    count: Count
    keeps: Callable[[], object]
    app: str = ""


@dataclass
class Registry:
    rules: dict[str, Rule] = field(default_factory=dict)
    holds: list[Hold] = field(default_factory=list)


registry = Registry()


def register(app: str, rules: tuple[Rule, ...] = (), holds: tuple[Hold, ...] = ()) -> None:
    """Called from ``AppConfig.ready``: ``register(self.label, retention.RULES, retention.HOLDS)``.
    Registering the same rule twice is harmless; two different rules under one name are refused."""
    for rule in rules:
        rule = replace(rule, app=app)
        known = registry.rules.get(rule.name)
        if known is not None and known != rule:
            raise RetentionConfigError(f"two retention rules are named {rule.name!r} ({known.app} and {app})")
        registry.rules[rule.name] = rule
    for hold in holds:
        hold = replace(hold, app=app)
        if hold not in registry.holds:
            registry.holds.append(hold)


def holds_on(rule: str) -> list[Hold]:
    return [hold for hold in registry.holds if hold.rule == rule]


def ordered() -> list[Rule]:
    """Every rule in the order a run applies them (see the module doc)."""
    pending = list(registry.rules.values())
    for rule in pending:
        for name in rule.after:
            if name not in registry.rules:
                raise RetentionConfigError(f"retention rule {rule.name!r} must run after {name!r}, which no app registers")
    out: list[Rule] = []
    done: set[str] = set()
    while pending:
        ready = next((rule for rule in pending if set(rule.after) <= done), None)
        if ready is None:
            raise RetentionConfigError("retention rules wait for each other: " + ", ".join(r.name for r in pending))
        out.append(ready)
        done.add(ready.name)
        pending.remove(ready)
    return out


def counts() -> list[Count]:
    """Every figure of the report, in the table's order: each rule's, then its holds', then the keys."""
    out: list[Count] = []
    for rule in ordered():
        out.extend(rule.counts)
        out.extend(hold.count for hold in holds_on(rule.name))
    out.append(DATA_KEYS)
    return list({c.name: c for c in out}.values())


class _AuditKeys(Mapping):
    """``{count name: short name}`` of the registered rules, read when used (apps register in ready)."""

    def _now(self) -> dict[str, str]:
        return {c.name: c.audit for c in counts()}

    def __getitem__(self, key):
        return self._now()[key]

    def __iter__(self):
        return iter(self._now())

    def __len__(self):
        return len(self._now())


AUDIT_KEYS: Mapping[str, str] = _AuditKeys()


def periods() -> dict[str, int]:
    """The period of every rule that has one, from ``settings.BALLOTGUARD_RETENTION`` or its default."""
    configured = getattr(settings, "BALLOTGUARD_RETENTION", {})
    out = {}
    for rule in ordered():
        if rule.period is None:
            continue
        try:
            days = int(configured.get(rule.period, rule.default_days))
        except (TypeError, ValueError) as exc:
            raise RetentionConfigError(f"BALLOTGUARD_RETENTION[{rule.period!r}] must be a whole number of days") from exc
        if days < 0:
            raise RetentionConfigError(f"BALLOTGUARD_RETENTION[{rule.period!r}] cannot be negative")
        if days < rule.minimum_days:
            raise RetentionConfigError(f"{rule.period} must be at least {rule.minimum_days}: {rule.minimum_reason}")
        out[rule.period] = days
    return out


def describe() -> list[dict]:
    """Every rule as an operator reads it, in the order a run applies them: its name, the app that
    declares it, what it covers, whether it erases or deletes, its period (setting and days, or none:
    it follows the rules it runs after) and those rules. Raises :class:`RetentionConfigError` as
    :func:`periods` does."""
    days = periods()
    return [{"name": rule.name, "app": rule.app, "covers": rule.covers, "action": rule.action,
             "period": rule.period, "days": days.get(rule.period) if rule.period else None, "after": list(rule.after)}
            for rule in ordered()]


class RetentionReport:
    """The counts of one run, by name: ``report.messages_deleted``, ``report.as_dict()``."""

    def __init__(self, dry_run: bool = False, **values: int):
        self.dry_run = dry_run
        self.counts = {c.name: 0 for c in counts()}
        unknown = set(values) - set(self.counts)
        if unknown:
            raise TypeError(f"no retention rule reports {', '.join(sorted(unknown))}")
        self.counts.update(values)

    def __getattr__(self, name: str) -> int:
        try:
            return self.__dict__["counts"][name]
        except KeyError:
            raise AttributeError(name) from None

    def add(self, name: str, n: int = 1) -> None:
        if name not in self.counts:
            raise KeyError(f"no retention rule reports {name!r}")
        self.counts[name] += n

    def as_dict(self) -> dict:
        return {"dry_run": self.dry_run, **self.counts}


@dataclass
class Run:
    """What a rule's function is given: the time the periods count back from, whether it only counts,
    the report it adds to, what the rules before it took (or, in a dry run, would take), by rule name,
    and ``progress(stage, done, total)``."""

    now: dt.datetime
    dry_run: bool
    report: RetentionReport
    selected: dict[str, list] = field(default_factory=dict)
    progress: Callable[[str, int, int], None] = lambda stage, done, total: None


def run(now: dt.datetime | None = None, *, dry_run: bool = False,
        progress: Callable[[str, int, int], None] | None = None) -> RetentionReport:
    """Apply every registered rule as at ``now``, in order. Do not call it inside a transaction you may
    roll back: the keys it destroys cannot be brought back (a dry run destroys nothing). Writes no
    audit event: ``registry.retention.apply`` does."""
    rules = ordered()
    days = periods()  # refused settings stop the run before anything changes
    state = Run(now=now or timezone.now(), dry_run=dry_run, report=RetentionReport(dry_run=dry_run))
    if progress is not None:
        state.progress = progress
    for rule in rules:
        rule.apply(state, days.get(rule.period) if rule.period else None)
    state.progress("Done", 1, 1)
    return state.report


def audit_fields() -> list[str]:
    return sorted({name for rule in ordered() for name in rule.audit_fields})


def audit_detail(report: RetentionReport) -> str:
    """``apply-retention {"contact":2,...}``: every count under its ``AUDIT_KEYS`` name (zeros left out
    only if the whole would not fit, which needs counts in the millions)."""
    values = {short: getattr(report, name) for name, short in AUDIT_KEYS.items()}
    text = "apply-retention " + json.dumps(values, separators=(",", ":"))
    if len(text) > 300:
        text = "apply-retention " + json.dumps({k: v for k, v in values.items() if v}, separators=(",", ":"))
    return text


def batches(qs, size: int = BATCH) -> Iterator[list]:
    """The primary keys of ``qs`` in ascending batches, listed once before any batch is changed."""
    ids = list(qs.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), size):
        yield ids[start:start + size]
