"""Messages sent to candidates online: what one looks like, and reading them from JSONL or CSV files.

Monitoring exports arrive as files of millions of rows from platform APIs, data brokers and
candidates' own downloads, so the reader

- streams: it holds one row at a time, whatever the size of the file (``iter_messages``);
- never stops at a bad row: a row with no text, an unparseable time or an unknown platform becomes a
  :class:`RowError` with its physical line number, and the rest of the file goes on;
- refuses what is not a message file at all (a spreadsheet, a zip, a PDF, an empty file) with a
  :class:`TableError` before reading further;
- takes UTF-8 with or without a byte-order mark; a line that is not UTF-8 is read as Windows-1252
  and counted in ``ReadStats.recoded`` (never silently).

Pure Python: no Django (an import-linter contract keeps it that way).
"""

from __future__ import annotations

import csv
import enum
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import BinaryIO

from ballotguard.engines.common.tabular import RowError, TableError

MAX_TEXT_CHARS = 10_000
"""Longer than any platform allows (X: 25,000 bytes for paid accounts, but replies to candidates are short);
a longer "message" is a broken export or an attack on the scorer."""

MAX_LINE_BYTES = 1_000_000
"""One JSONL line or CSV row; anything larger is refused for that row without being parsed."""

MAX_LIST_ITEMS = 100
"""Mentions, links or hashtags in one message; more is spam or a broken row."""


class Platform(str, enum.Enum):
    X = "x"
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    TIKTOK = "tiktok"
    YOUTUBE = "youtube"
    BLUESKY = "bluesky"
    THREADS = "threads"
    MASTODON = "mastodon"
    LINKEDIN = "linkedin"
    REDDIT = "reddit"
    TELEGRAM = "telegram"
    WHATSAPP = "whatsapp"
    EMAIL = "email"

    @property
    def label(self) -> str:
        return _PLATFORM_LABELS.get(self, self.value.title())


_PLATFORM_LABELS = {Platform.X: "X (Twitter)", Platform.TIKTOK: "TikTok", Platform.YOUTUBE: "YouTube", Platform.LINKEDIN: "LinkedIn",
                    Platform.WHATSAPP: "WhatsApp", Platform.EMAIL: "Email"}
_PLATFORM_ALIASES = {"twitter": Platform.X, "x.com": Platform.X, "fb": Platform.FACEBOOK, "ig": Platform.INSTAGRAM,
                     "bsky": Platform.BLUESKY, "e-mail": Platform.EMAIL, "mail": Platform.EMAIL, "yt": Platform.YOUTUBE}


def parse_platform(text: str) -> Platform | None:
    key = text.strip().casefold()
    if not key:
        return None
    try:
        return Platform(key)
    except ValueError:
        return _PLATFORM_ALIASES.get(key)


def normalise_handle(text: str) -> str:
    """``@Jo_Smith`` and ``jo_smith`` are one account: handles are matched case-folded, without the ``@``.

    A profile address (``https://x.com/Jo_Smith``) is reduced to its last path segment."""
    text = text.strip()
    if "/" in text:
        text = text.rstrip("/").rsplit("/", 1)[-1]
    return text.lstrip("@").strip().casefold()[:100]


@dataclass(frozen=True)
class MessageRecord:
    """One message as read from a file, checked and normalised; nothing here has been stored yet."""

    platform: Platform
    message_id: str
    text: str
    sent_at: datetime
    author_handle: str = ""
    author_name: str = ""
    reply_to: str = ""
    mentions: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()
    line: int = 0

    @property
    def key(self) -> tuple[str, str]:
        """The identity used for idempotency: the same message read twice is stored once."""
        return (self.platform.value, self.message_id)


@dataclass
class ReadStats:
    rows: int = 0
    rejected: int = 0
    recoded: int = 0
    ignored_columns: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------------
# Field parsing


_TWITTER_TIME = "%a %b %d %H:%M:%S %z %Y"  # the v1.1 API's created_at: "Wed Oct 10 20:19:24 +0000 2018"
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)


def parse_time(value: object, now: datetime | None = None) -> datetime:
    """ISO 8601 (``Z`` or an offset; a time without a zone is taken as UTC, which is what exports use),
    Unix seconds or milliseconds, or the X v1.1 format. Raises ``ValueError`` with a reason."""
    if isinstance(value, bool):
        raise ValueError("the time must be a date and time, not true or false")
    if isinstance(value, (int, float)) or (isinstance(value, str) and re.fullmatch(r"\s*\d{9,13}(\.\d+)?\s*", value)):
        number = float(value)
        if number > 1e11:  # milliseconds
            number /= 1000
        when = datetime.fromtimestamp(number, tz=timezone.utc)
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            try:
                when = datetime.strptime(text, _TWITTER_TIME)
            except ValueError:
                raise ValueError(f"the time {text[:40]!r} is not a date and time like 2025-05-01T14:30:00Z") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
    else:
        raise ValueError("the time is missing")
    if when < EARLIEST:
        raise ValueError("the time is before 2000")
    if now is not None and when > now + timedelta(days=1):
        raise ValueError("the time is in the future")
    return when


def _as_list(value: object, what: str) -> tuple[str, ...]:
    """A list in JSON, or a string of items separated by spaces, commas or semicolons in CSV."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        items = [v for v in re.split(r"[\s,;|]+", value) if v]
    elif isinstance(value, list):
        if not all(isinstance(v, (str, int)) for v in value):
            raise ValueError(f"{what} must be a list of strings")
        items = [str(v) for v in value]
    else:
        raise ValueError(f"{what} must be a list or a string")
    if len(items) > MAX_LIST_ITEMS:
        raise ValueError(f"more than {MAX_LIST_ITEMS} {what}")
    return tuple(dict.fromkeys(i.strip()[:500] for i in items if i.strip()))


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise ValueError("must be text")
    return value


# Column names that exporters use for the same thing; the first is ours.
ALIASES: dict[str, tuple[str, ...]] = {
    "platform": ("platform", "network", "source"),
    "message_id": ("message_id", "id", "tweet_id", "post_id"),
    "author_handle": ("author_handle", "username", "screen_name", "handle", "author"),
    "author_name": ("author_name", "display_name", "name"),
    "text": ("text", "message", "body", "content", "full_text"),
    "sent_at": ("sent_at", "timestamp", "created_at", "time", "date"),
    "reply_to": ("reply_to", "reply_id", "in_reply_to", "in_reply_to_status_id"),
    "mentions": ("mentions", "to", "recipients"),
    "urls": ("urls", "links"),
    "hashtags": ("hashtags", "tags"),
}
REQUIRED = ("platform", "message_id", "text", "sent_at")


def record_from(raw: dict, line: int, *, default_platform: Platform | None = None, now: datetime | None = None) -> MessageRecord | RowError:
    """Check one row (a JSON object or a CSV row as a dict) and build its record, or say what is wrong."""
    values: dict[str, object] = {}
    for ours, names in ALIASES.items():
        for name in names:
            if name in raw and raw[name] not in (None, ""):
                values[ours] = raw[name]
                break
    try:
        platform_text = _text(values.get("platform"))
    except ValueError:
        return RowError(line, "the platform must be text", "platform")
    platform = parse_platform(platform_text) if platform_text else default_platform
    if platform is None:
        if platform_text:
            known = ", ".join(p.value for p in Platform)
            return RowError(line, f"unknown platform {platform_text[:30]!r}: use one of {known}", "platform")
        return RowError(line, "the platform is missing", "platform")
    try:
        message_id = _text(values.get("message_id")).strip()
    except ValueError:
        return RowError(line, "the message id must be text or a number", "message_id")
    if not message_id:
        return RowError(line, "the message id is missing", "message_id")
    if len(message_id) > 200:
        return RowError(line, "the message id is longer than 200 characters", "message_id")
    try:
        text = _text(values.get("text"))
    except ValueError:
        return RowError(line, "the text must be a string", "text")
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # one kind of line break, whatever the exporter's platform
    if not text.strip():
        return RowError(line, "the message has no text", "text")
    if len(text) > MAX_TEXT_CHARS:
        return RowError(line, f"the text is longer than {MAX_TEXT_CHARS:,} characters", "text")
    try:
        sent_at = parse_time(values.get("sent_at"), now)
    except ValueError as exc:
        return RowError(line, str(exc), "sent_at")
    try:
        author_handle = normalise_handle(_text(values.get("author_handle")))
        author_name = _text(values.get("author_name")).strip()[:200]
        reply_to = _text(values.get("reply_to")).strip()[:200]
    except ValueError as exc:
        return RowError(line, f"author or reply: {exc}")
    lists: dict[str, tuple[str, ...]] = {}
    for name in ("mentions", "urls", "hashtags"):
        try:
            lists[name] = _as_list(values.get(name), name)
        except ValueError as exc:
            return RowError(line, str(exc), name)
    return MessageRecord(
        platform=platform, message_id=message_id, text=text, sent_at=sent_at, author_handle=author_handle,
        author_name=author_name, reply_to=reply_to,
        mentions=tuple(dict.fromkeys(normalise_handle(m) for m in lists["mentions"] if normalise_handle(m))),
        urls=lists["urls"], hashtags=tuple(dict.fromkeys(h.lstrip("#").casefold() for h in lists["hashtags"] if h.lstrip("#"))),
        line=line,
    )


# ---------------------------------------------------------------------------------------------------
# Files

_BINARY_SIGNATURES = {
    b"PK\x03\x04": "a spreadsheet (.xlsx/.ods) or a zip archive",
    b"\xd0\xcf\x11\xe0": "an old Excel (.xls) or Word file",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"\x1f\x8b": "a gzip archive: unpack it first",
    b"PAR1": "a Parquet file: export it as CSV or JSONL",
}


def _decode_lines(stream: BinaryIO, stats: ReadStats) -> Iterator[str]:
    """Physical lines as text. A line that is not UTF-8 is read as Windows-1252 (and counted)."""
    first = True
    for raw in stream:
        if first:
            first = False
            if raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
        if len(raw) > MAX_LINE_BYTES:
            yield "\x00TOO-LONG\x00\n"  # a marker the row readers turn into a RowError without parsing
            continue
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            stats.recoded += 1
            yield raw.decode("cp1252", errors="replace")


def sniff_format(head: bytes, filename: str = "") -> str:
    """``"jsonl"`` or ``"csv"``, from the name when it says, else from the first character."""
    for signature, what in _BINARY_SIGNATURES.items():
        if head.startswith(signature):
            raise TableError(f"This is {what}, not a CSV or JSONL file of messages")
    if b"\x00" in head[:4096]:
        raise TableError("This is a binary file, not a CSV or JSONL file of messages")
    name = filename.lower()
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if name.endswith((".csv", ".tsv", ".txt")):
        return "csv"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        raise TableError("The file is empty")
    return "jsonl" if stripped[:1] == b"{" else "csv"


def iter_messages(stream: BinaryIO, filename: str = "", *, stats: ReadStats | None = None,
                  default_platform: Platform | None = None, now: datetime | None = None) -> Iterator[MessageRecord | RowError]:
    """Every row of a JSONL or CSV message file, in order, as a record or a :class:`RowError`.

    ``stream`` must be opened in binary mode and support ``peek`` or be seekable (a file or BytesIO)."""
    stats = stats if stats is not None else ReadStats()
    head = _head(stream)
    if not head.strip():
        raise TableError("The file is empty")
    kind = sniff_format(head, filename)
    lines = _decode_lines(stream, stats)
    rows = _jsonl_rows(lines) if kind == "jsonl" else _csv_rows(lines, stats)
    for line, raw in rows:
        stats.rows += 1
        item = raw if isinstance(raw, RowError) else record_from(raw, line, default_platform=default_platform, now=now)
        if isinstance(item, RowError):
            stats.rejected += 1
            item = RowError(item.line, item.message, item.column, filename)
        yield item


def _head(stream: BinaryIO) -> bytes:
    if hasattr(stream, "peek"):
        head = stream.peek(8192)[:8192]
        if head:
            return head
    position = stream.tell()
    head = stream.read(8192)
    stream.seek(position)
    return head


def _jsonl_rows(lines: Iterable[str]) -> Iterator[tuple[int, dict | RowError]]:
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        if text.startswith("\x00TOO-LONG"):
            yield number, RowError(number, f"the line is longer than {MAX_LINE_BYTES:,} bytes")
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            yield number, RowError(number, f"not valid JSON ({exc.msg})")
            continue
        if not isinstance(value, dict):
            yield number, RowError(number, "each line must be a JSON object")
            continue
        yield number, value


def _csv_rows(lines: Iterable[str], stats: ReadStats) -> Iterator[tuple[int, dict | RowError]]:
    reader = csv.reader(lines)
    try:
        header = [h.strip().casefold() for h in next(reader)]
    except StopIteration:
        raise TableError("The file is empty") from None
    except csv.Error as exc:
        raise TableError(f"The header line cannot be read as CSV: {exc}") from None
    if any(not h for h in header):
        raise TableError("The header has a blank column name")
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise TableError(f"The header repeats {', '.join(repeated)}")
    known = {name for names in ALIASES.values() for name in names}
    missing = [ours for ours in REQUIRED if ours != "platform" and not any(n in header for n in ALIASES[ours])]
    if missing:
        raise TableError(f"The header has no {', '.join(missing)} column (it has {', '.join(header[:12])})")
    stats.ignored_columns = [h for h in header if h not in known]
    previous_end = reader.line_num
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield reader.line_num, RowError(reader.line_num, f"this row cannot be read as CSV: {exc}")
            previous_end = reader.line_num
            continue
        line = previous_end + 1
        previous_end = reader.line_num
        if not cells or all(not c.strip() for c in cells):
            continue
        if any("\x00TOO-LONG" in c for c in cells):
            yield line, RowError(line, f"the row is longer than {MAX_LINE_BYTES:,} bytes")
            continue
        if len(cells) != len(header):
            yield line, RowError(line, f"the row has {len(cells)} cells but the header has {len(header)}")
            continue
        yield line, dict(zip(header, cells))
