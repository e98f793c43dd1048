"""``ballotguard sync-democracy-club``: elections, ballots and candidates from Democracy Club's APIs.

Two sources, both paged JSON (``{"count", "next", "previous", "results"}``, ``next`` a full URL or
null):

* the **candidates API** (YourNextRepresentative, ``/api/next/ballots/``): one result per ballot,
  with its election, post, ``winner_count``, ``cancelled`` and ``candidacies`` (person, party,
  ``elected``), filtered by ``election_date`` and, for incremental runs, ``last_updated`` (ballots
  modified after the stored cursor). Each ballot's candidacies become rows of Democracy Club's own
  candidates CSV shape and go through :func:`import_candidates`, so placement, validation,
  idempotency and the report are exactly those of ``import-candidates``;
* **EveryElection** (``/api/elections/``, filtered by ``poll_open_date`` and ``modified``): ballots
  (``group_type`` null) whose cancellation or number of seats changed are applied to the ballots
  Ballotguard already has; a ballot EveryElection knows and Ballotguard does not is counted (it
  appears once its candidates do).

The cursor is the greatest ``last_updated`` / ``modified`` seen, stored per source in
:class:`SyncCursor` after the run commits; the next run asks for what changed since, less a minute
of overlap (the import is idempotent, so overlap costs nothing). ``--full`` ignores the cursor.

A candidate withdrawn from a ballot stays in Ballotguard (as with the CSV import): their record may
hold incidents. Fetching uses an injectable ``get(url) -> dict`` so tests replay recorded pages
from a local server; no test reaches the internet.
"""

from __future__ import annotations

import csv
import io
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ballotguard.accounts.services import Actor

from .importers import DC_CORE_FIELDS, ImportReport, import_candidates
from .models import Ballot, SyncCursor

OVERLAP = timedelta(minutes=1)
MAX_PAGES = 10_000
CSV_FIELDS = (*DC_CORE_FIELDS, "organisation_name", "elected")


class SyncError(Exception):
    """A source could not be read; the message names the source and the page, never data."""


Getter = Callable[[str], dict]


def http_get(url: str, timeout: float = 30.0) -> dict:
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "Ballotguard (sync-democracy-club)"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (URLs from settings)
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise SyncError(f"{_where(url)} answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise SyncError(f"{_where(url)} could not be reached ({type(exc).__name__})") from None
    except ValueError:
        raise SyncError(f"{_where(url)} did not answer with JSON") from None


def _where(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.netloc}{parts.path}"


def pages(url: str, get: Getter) -> Iterator[dict]:
    """Every result of a paged listing, following ``next``."""
    for _ in range(MAX_PAGES):
        page = get(url)
        if not isinstance(page, dict) or not isinstance(page.get("results"), list):
            raise SyncError(f"{_where(url)}: the page has no list of results")
        yield from page["results"]
        url = page.get("next")
        if not url:
            return
    raise SyncError(f"{_where(url)}: more than {MAX_PAGES:,} pages")


def _with(url: str, **params) -> str:
    params = {k: v for k, v in params.items() if v not in (None, "")}
    return url + ("&" if "?" in url else "?") + urllib.parse.urlencode(params) if params else url


def _obj(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def ballot_rows(ballot: dict) -> list[dict] | None:
    """One candidates-API ballot as rows of Democracy Club's candidates CSV, or ``None`` when it is not
    in the documented shape (counted as malformed; a field missing inside is caught by the import)."""
    candidacies = ballot.get("candidacies") if isinstance(ballot, dict) else None
    if not isinstance(candidacies, list) or not all(isinstance(c, dict) for c in candidacies):
        return None
    election = _obj(ballot.get("election"))
    post = _obj(ballot.get("post"))
    rows = []
    for candidacy in candidacies:
        person = _obj(candidacy.get("person"))
        party = _obj(candidacy.get("party"))
        elected = candidacy.get("elected")
        rows.append({
            "person_id": str(person.get("id", "")), "person_name": person.get("name", ""),
            "election_id": election.get("election_id", ""), "ballot_paper_id": ballot.get("ballot_paper_id", ""),
            "election_date": election.get("election_date", ""), "election_current": "t" if election.get("current") else "f",
            "party_name": candidacy.get("party_name") or party.get("name", ""), "party_id": party.get("ec_id") or party.get("legacy_slug", ""),
            "post_label": post.get("label", ""), "cancelled_poll": "t" if ballot.get("cancelled") else "f",
            "seats_contested": str(ballot.get("winner_count") or 1), "organisation_name": election.get("organisation_name", ""),
            "elected": "" if elected is None else ("t" if elected else "f"),
        })
    return rows


@dataclass
class SyncReport:
    ballots_read: int = 0
    malformed: int = 0
    candidacies_read: int = 0
    candidates: dict = field(default_factory=dict)
    rejected: list = field(default_factory=list)
    ee_ballots_read: int = 0
    ee_ballots_updated: int = 0
    ee_ballots_unknown: int = 0
    cursors: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"ballots_read": self.ballots_read, "malformed_ballots": self.malformed, "candidacies_read": self.candidacies_read, "candidates": self.candidates,
                "rejected": self.rejected[:50], "rejected_count": len(self.rejected), "everyelection": {
                    "ballots_read": self.ee_ballots_read, "ballots_updated": self.ee_ballots_updated, "ballots_unknown": self.ee_ballots_unknown},
                "cursors": self.cursors}


def _cursor(name: str, full: bool) -> str:
    if full:
        return ""
    row = SyncCursor.objects.filter(name=name).first()
    if row is None or not row.cursor:
        return ""
    return (datetime.fromisoformat(row.cursor) - OVERLAP).isoformat()


def _latest(current: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        return current
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return current
    return max(current, when.isoformat()) if current else when.isoformat()


def sync(*, election_date: str = "", full: bool = False, get: Getter = http_get, actor: Actor | None = None,
         candidates_url: str | None = None, elections_url: str | None = None) -> SyncReport:
    """One sync run; see the module docstring. Raises :class:`SyncError` when a source fails (nothing
    from that run is kept: a half-read listing would move the cursor past what was never read)."""
    report = SyncReport()
    actor = actor or Actor.cli()
    candidates_url = candidates_url or settings.BALLOTGUARD_DC_CANDIDATES_URL
    elections_url = elections_url or settings.BALLOTGUARD_DC_ELECTIONS_URL
    with transaction.atomic():
        since = _cursor("candidates", full)
        newest = ""
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for ballot in pages(_with(candidates_url, election_date=election_date, last_updated=since, page_size=200), get):
            report.ballots_read += 1
            rows = ballot_rows(ballot)
            if rows is None:
                report.malformed += 1
                continue
            newest = _latest(newest, ballot.get("last_updated"))
            for row in rows:
                report.candidacies_read += 1
                writer.writerow(row)
        if report.candidacies_read:
            imported: ImportReport = import_candidates(buffer.getvalue().encode(), filename="democracy-club-candidates-api.csv", actor=actor)
            data = imported.to_dict()
            report.candidates = {k: data.get(k, {}).get("candidates", 0) for k in ("created", "updated", "unchanged")}
            report.rejected = [str(e) for e in imported.rejected]
        since_ee = _cursor("everyelection", full)
        newest_ee = ""
        for election in pages(_with(elections_url, poll_open_date=election_date, modified=since_ee, page_size=200), get):
            if not isinstance(election, dict):
                continue
            newest_ee = _latest(newest_ee, election.get("modified"))
            if election.get("group_type") is not None:
                continue  # an election group or organisation group, not a ballot
            report.ee_ballots_read += 1
            ballot = Ballot.objects.filter(ballot_paper_id=str(election.get("election_id", "")).lower()).first()
            if ballot is None:
                report.ee_ballots_unknown += 1
                continue
            seats = election.get("seats_contested")
            changes = {"cancelled": bool(election.get("cancelled"))}
            if isinstance(seats, int) and 0 < seats < 100:
                changes["seats_contested"] = seats
            if any(getattr(ballot, k) != v for k, v in changes.items()):
                Ballot.objects.filter(pk=ballot.pk).update(**changes)
                report.ee_ballots_updated += 1
        now = timezone.now()
        for name, value in (("candidates", newest), ("everyelection", newest_ee)):
            if value:
                SyncCursor.objects.update_or_create(name=name, defaults={"cursor": value, "synced_at": now})
            report.cursors[name] = value or (SyncCursor.objects.filter(name=name).values_list("cursor", flat=True).first() or "")
    return report
