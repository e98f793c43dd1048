"""Warning lists: values that must never link incidents by themselves.

Two reports that both name Parliament's switchboard, a platform's home page or the candidate's own
public handle have not found the same perpetrator: these values turn up in reports because everyone
meets them. MISP solves the same problem for threat-intelligence indicators with its *warninglists*
(lists of well-known values, such as public DNS resolvers or top domains, that an analyst is warned
about rather than allowed to correlate on); Ballotguard does the same for incident observables.

This module holds the defaults Ballotguard ships, as plain data, and normalises them with the same
rules as reports (:func:`ballotguard.engines.incidents.observables.normalise_observable`), so an entry matches
exactly the observables it is meant to and nothing wider: a warning on ``https://x.com/`` stops the
platform's home page from linking reports, not a link to one person's post. The deployment keeps
the list in its database, where administrators add and retire entries; every value on it must be
public (these are not perpetrators' details).

A candidate's own public handles (from Democracy Club) are warned about too, but they change with
the registry, so the app adds them at the time of matching instead of copying them here.
"""

from __future__ import annotations

from dataclasses import dataclass

from ballotguard.engines.incidents.observables import Observable, ObservableError, ObservableKind, normalise_observable


@dataclass(frozen=True)
class WarningSeed:
    kind: ObservableKind
    raw: str
    reason: str


# Public numbers and addresses that reports name because they are everywhere, not because a
# perpetrator used them. Only values whose owner publishes them; each normalises (a test checks).
DEFAULT_WARNINGS: tuple[WarningSeed, ...] = (
    # Telephone numbers people are told to call, or that appear on every MP's letterhead.
    WarningSeed(ObservableKind.PHONE, "020 7219 3000", "House of Commons switchboard, on every MP's contact page"),
    WarningSeed(ObservableKind.PHONE, "0800 555 111", "Crimestoppers, quoted in safety advice"),
    # Home pages of platforms and public bodies: a report that links the platform names no one.
    WarningSeed(ObservableKind.URL, "https://x.com/", "Home page of X (Twitter)"),
    WarningSeed(ObservableKind.URL, "https://www.facebook.com/", "Home page of Facebook"),
    WarningSeed(ObservableKind.URL, "https://www.instagram.com/", "Home page of Instagram"),
    WarningSeed(ObservableKind.URL, "https://www.tiktok.com/", "Home page of TikTok"),
    WarningSeed(ObservableKind.URL, "https://www.youtube.com/", "Home page of YouTube"),
    WarningSeed(ObservableKind.URL, "https://bsky.app/", "Home page of Bluesky"),
    WarningSeed(ObservableKind.URL, "https://www.threads.net/", "Home page of Threads"),
    WarningSeed(ObservableKind.URL, "https://www.gov.uk/", "GOV.UK home page"),
    WarningSeed(ObservableKind.URL, "https://www.police.uk/", "police.uk home page, where crimes are reported online"),
    WarningSeed(ObservableKind.URL, "https://www.parliament.uk/", "UK Parliament home page"),
    WarningSeed(ObservableKind.URL, "https://www.electoralcommission.org.uk/", "Electoral Commission home page"),
    WarningSeed(ObservableKind.URL, "https://whocanivotefor.co.uk/", "Democracy Club's candidate lists, linked from campaign material"),
)


@dataclass(frozen=True)
class WarningEntry:
    observable: Observable
    reason: str

    @property
    def match_key(self) -> str:
        key = self.observable.match_key
        assert key is not None  # only matchable kinds can be on the list (see warning_entry)
        return key


class WarningListError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


MAX_REASON = 300


def warning_entry(kind: ObservableKind | str, raw: str, reason: str) -> WarningEntry:
    """Normalise one entry as reports are normalised; refuse kinds that never link (free-text
    descriptions) and entries with no reason, which the next administrator could not judge."""
    try:
        observable = normalise_observable(kind, raw)
    except ObservableError as err:
        raise WarningListError("kind" if err.field == "kind" else "value", err.message) from None
    if not observable.kind.matchable:
        raise WarningListError("kind", f"{observable.kind.label} never links incidents, so it needs no warning")
    return WarningEntry(observable, clean_reason(reason, "Enter why this value must not link incidents"))


def clean_reason(reason: str, missing: str) -> str:
    """A reason for adding or retiring an entry, on one line; ``missing`` says what to write when none is given."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise WarningListError("reason", missing)
    if len(reason) > MAX_REASON:
        raise WarningListError("reason", f"Reason must be {MAX_REASON} characters or fewer")
    return reason


def default_entries() -> list[WarningEntry]:
    """The shipped defaults, normalised; duplicates after normalisation are dropped."""
    seen: set[str] = set()
    entries = []
    for seed in DEFAULT_WARNINGS:
        entry = warning_entry(seed.kind, seed.raw, seed.reason)
        if entry.match_key not in seen:
            seen.add(entry.match_key)
            entries.append(entry)
    return entries


def handle_match_key(handle: str) -> str | None:
    """The match key a report naming this public handle would carry, or ``None`` if it is not a
    handle a report could name."""
    try:
        return normalise_observable(ObservableKind.HANDLE, handle).match_key
    except ObservableError:
        return None
