"""Matching a pasted or uploaded attendance list against a briefing's invitees.

Pure Python (no Django), so it is tested without a database. One line is one person: a name as it
appears on the ballot paper, or a Democracy Club person id. Names match whatever their case,
spacing, accents or punctuation (``engines.common.names.match_key``); a line that matches two invitees is
not guessed at but reported, with the advice to use the person id.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ballotguard.engines.common.names import match_key

MAX_LINES = 2000
MAX_LINE_CHARS = 200


@dataclass(frozen=True)
class Invitee:
    key: int  # the invitation's id
    name: str
    person_id: str


@dataclass(frozen=True)
class Line:
    number: int
    text: str


@dataclass(frozen=True)
class Unmatched:
    number: int
    text: str
    reason: str


@dataclass
class AttendanceMatch:
    matched: dict[int, Line] = field(default_factory=dict)  # invitation id → the first line naming them
    unmatched: list[Unmatched] = field(default_factory=list)
    repeated: list[Line] = field(default_factory=list)  # lines naming someone an earlier line named


class ListUnreadable(ValueError):
    """The list as a whole cannot be used (empty, too long, not text)."""


def split_lines(text: str) -> list[Line]:
    """The non-blank lines with their 1-based line numbers; a CSV-style trailing comma is dropped."""
    if "\x00" in text:
        raise ListUnreadable("The list is not plain text. Paste the names, or upload a .txt or .csv file with one name or person id per line")
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        cleaned = " ".join(raw.replace("\ufeff", "").strip().strip(",;").strip().strip('"').split())
        if cleaned:
            lines.append(Line(number, cleaned))
    if not lines:
        raise ListUnreadable("Enter at least one name or Democracy Club person id, one per line")
    if len(lines) > MAX_LINES:
        raise ListUnreadable(f"The list has {len(lines)} lines: record attendance for at most {MAX_LINES} people at a time")
    return lines


def match_attendance(lines: Iterable[Line], invitees: Iterable[Invitee]) -> AttendanceMatch:
    by_id: dict[str, list[Invitee]] = {}
    by_name: dict[str, list[Invitee]] = {}
    for inv in invitees:
        if inv.person_id:
            by_id.setdefault(inv.person_id.strip(), []).append(inv)
        by_name.setdefault(match_key(inv.name), []).append(inv)
    out = AttendanceMatch()
    for line in lines:
        if len(line.text) > MAX_LINE_CHARS:
            out.unmatched.append(Unmatched(line.number, line.text[:60] + "…", "The line is too long to be a name"))
            continue
        candidates = by_id.get(line.text) or by_name.get(match_key(line.text), [])
        # One person can stand twice (a parliamentary and a local ballot): same person id, same person.
        people = {inv.person_id or f"#{inv.key}" for inv in candidates}
        if not candidates:
            out.unmatched.append(Unmatched(line.number, line.text, "Nobody of this name or person id was invited to this briefing"))
        elif len(people) > 1:
            out.unmatched.append(Unmatched(line.number, line.text, f"{len(people)} invitees have this name: use their Democracy Club person id"))
        elif all(inv.key in out.matched for inv in candidates):
            out.repeated.append(line)
        else:
            for inv in candidates:
                out.matched.setdefault(inv.key, line)
    return out
