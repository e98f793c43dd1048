"""Reading CSV files that people upload or import, with errors a person can act on.

Files arrive from spreadsheets, registries and e-mail attachments, so this reader is strict about
what it refuses and honest about what it guessed:

- an empty file, a file over the size limit, and binary content (a spreadsheet, a zip, a PDF) are
  refused with a :class:`TableError`;
- a UTF-8 byte-order mark is stripped; text that is not UTF-8 is read as Windows-1252 and failing
  that as Latin-1, and a warning says so (never silently: "Ynys M\\xf4n" must not become mojibake
  unnoticed);
- line endings (CRLF, LF, CR) are all accepted, and CRLF inside a quoted cell becomes LF;
- the header must be present, with no blank or repeated names, every required column and (unless
  ``allow_unknown``) no column the caller does not know;
- rows come back with their 1-based *physical* line number (the header is line 1) so a rejection
  can say "line 17: ..."; a row with the wrong number of cells, or a cell over the size limit, is a
  :class:`RowError` for that line, not the end of the file.

Pure Python: no Django (an import-linter contract keeps it that way).

Messages are English. Those a returning officer meets on the hand-over upload (a row's cell count, a
cell too long, a control character; an empty file; the header's blank, repeated, missing or unknown
columns) are whole catalogue messages marked with ``gettext_noop`` and kept with their values, so a
Welsh page shows ``RowError.localized(gettext)`` / ``TableError.localized(gettext)``. The rest (what a
binary file looks like, encodings, a broken quote) are English only (docs/welsh.md).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from ballotguard.engines.common.i18n import Translate, english, gettext_noop

Params = tuple[tuple[str, object], ...]

MAX_BYTES = 20 * 1024 * 1024
"""Default size limit for one file: 20 MiB is far above any registry file (the 4,515 GE2024 candidates are 330 kB)."""

MAX_FIELD_CHARS = 10_000
"""Default limit for one cell. No registry value comes near it; a larger cell is a broken file or an attack."""

_BINARY_SIGNATURES = {
    b"PK\x03\x04": "a spreadsheet (.xlsx/.ods) or a zip archive",
    b"\xd0\xcf\x11\xe0": "an old Excel (.xls) or Word file",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
}
_EMPTY = gettext_noop("The file is empty")
_ALLOWED_CONTROLS = {"\t", "\n", "\r", "\f"}


def has_control_characters(text: str) -> bool:
    """True if ``text`` holds a character no person types: NUL and the other C0 controls but tab,
    line feed, carriage return and form feed, and DEL. (C1 controls are left alone: a file read as
    Latin-1, the last resort, keeps its undefined bytes as C1 characters, and the warning says so.)"""
    return any((ch < " " and ch not in _ALLOWED_CONTROLS) or ch == "\x7f" for ch in text)


class TableError(Exception):
    """The file as a whole cannot be used. ``messages`` lists every problem found, in plain English.

    A problem given as ``(msgid, params)`` is a catalogue message: :meth:`localized` translates it."""

    def __init__(self, messages: str | list[str] | list[str | tuple[str, dict]]):
        items = [messages] if isinstance(messages, str) else list(messages)
        self._entries: list[tuple[str, dict | None]] = [(m, None) if isinstance(m, str) else (m[0], m[1]) for m in items]
        self.messages = [msgid if params is None else msgid % params for msgid, params in self._entries]
        super().__init__("; ".join(self.messages))

    def localized(self, gettext: Translate = english) -> list[str]:
        """``messages`` in the caller's language (``gettext`` is Django's on a Welsh page); a problem that
        is not a catalogue message stays English."""
        return [msgid if params is None else gettext(msgid) % params for msgid, params in self._entries]


@dataclass(frozen=True)
class RowError:
    """One row that cannot be used: its physical line number, why, and the column if one is to blame."""

    line: int
    message: str
    column: str | None = None
    file: str = ""
    msgid: str = field(default="", compare=False)  # the catalogue message ``message`` was made from, if any
    params: Params = field(default=(), compare=False)

    @classmethod
    def of(cls, line: int, msgid: str, params: dict, column: str | None = None, file: str = "") -> RowError:
        """A row error from a catalogue message and its values: ``message`` is the English."""
        return cls(line, msgid % params, column=column, file=file, msgid=msgid, params=tuple(params.items()))

    def localized(self, gettext: Translate = english) -> str:
        """The message in the caller's language; one made from plain English (an importer's own words)
        comes back as it is."""
        return gettext(self.msgid) % dict(self.params) if self.msgid else self.message

    def __str__(self) -> str:
        where = f"{self.file} line {self.line}" if self.file else f"line {self.line}"
        return f"{where}: {self.message}"

    def to_dict(self) -> dict[str, object]:
        return {"line": self.line, "message": self.message, "column": self.column, "file": self.file}


@dataclass(frozen=True)
class Row:
    """One data row: ``values`` maps each header name to its cell, ``line`` is where the row starts."""

    line: int
    values: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return self.values[column]

    def get(self, column: str, default: str = "") -> str:
        return self.values.get(column, default)


@dataclass
class Table:
    """A decoded CSV file whose header has been checked. Iterate with :meth:`iter_rows` or :meth:`read_rows`."""

    filename: str
    encoding: str
    header: list[str]
    text: str
    warnings: list[str] = field(default_factory=list)
    max_field_chars: int = MAX_FIELD_CHARS

    def iter_rows(self) -> Iterator[Row | RowError]:
        """Every data row in order, or a :class:`RowError` for a row that cannot be read. Blank lines are skipped.

        Raises :class:`TableError` if the CSV structure itself breaks (for example an unclosed quote).
        """
        reader = csv.reader(io.StringIO(self.text, newline=""), strict=True)
        try:
            next(reader)  # the header, already checked
            previous_end = reader.line_num
            for cells in reader:
                line = previous_end + 1
                previous_end = reader.line_num
                if not cells or cells == [""] and len(self.header) > 1:
                    continue  # a blank line
                if len(cells) != len(self.header):
                    yield RowError.of(line, gettext_noop("has %(cells)d cells but the header has %(columns)d columns"),
                                      {"cells": len(cells), "columns": len(self.header)}, file=self.filename)
                    continue
                too_big = next((name for name, value in zip(self.header, cells) if len(value) > self.max_field_chars), None)
                if too_big is not None:
                    yield RowError.of(line, gettext_noop("the %(column)s cell is longer than %(limit)s characters"),
                                      {"column": repr(too_big), "limit": f"{self.max_field_chars:,}"}, column=too_big, file=self.filename)
                    continue
                # The whole-file check in ``decode`` samples the first 64 KiB; a NUL or other control
                # character further on is refused here, by line and column (PostgreSQL cannot store NUL).
                bad = next((name for name, value in zip(self.header, cells) if has_control_characters(value)), None)
                if bad is not None:
                    yield RowError.of(line, gettext_noop("the %(column)s cell contains a control character (such as NUL): remove it"),
                                      {"column": repr(bad)}, column=bad, file=self.filename)
                    continue
                yield Row(line, {name: value.replace("\r\n", "\n") for name, value in zip(self.header, cells)})
        except csv.Error as err:
            raise TableError(f"{self.filename or 'The file'} line {reader.line_num}: the CSV cannot be read ({err})") from None

    def read_rows(self) -> tuple[list[Row], list[RowError]]:
        rows: list[Row] = []
        errors: list[RowError] = []
        for item in self.iter_rows():
            (errors if isinstance(item, RowError) else rows).append(item)  # type: ignore[arg-type]
        return rows, errors


def read_bytes(source: bytes | BinaryIO, max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of ``source``, refusing more than ``max_bytes`` without reading an unbounded stream."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        data = source.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise TableError(f"The file is larger than the limit of {_size(max_bytes)}")
    return data


def decode(data: bytes, filename: str = "") -> tuple[str, str, list[str]]:
    """Decode file bytes to text. Returns ``(text, encoding, warnings)``; raises :class:`TableError`.

    UTF-8 (with or without a byte-order mark) is expected. Otherwise Windows-1252, the usual
    encoding of a CSV saved by Excel on Windows, then Latin-1; either fallback adds a warning.
    """
    name = filename or "The file"
    warnings: list[str] = []
    if not data.strip():
        raise TableError([(_EMPTY, {})])
    for signature, kind in _BINARY_SIGNATURES.items():
        if data.startswith(signature):
            raise TableError(f"{name} looks like {kind}, not CSV text: save it as CSV (UTF-8) and try again")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise TableError(f"{name} starts like UTF-16 text but cannot be decoded") from None
        warnings.append(f"{name} is UTF-16, not UTF-8; it was read as UTF-16")
        encoding = "utf-16"
    else:
        if b"\x00" in data[:65536]:
            raise TableError(f"{name} looks like a binary file, not CSV text")
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError as err:
            try:
                text, encoding = data.decode("cp1252"), "cp1252"
                label = "Windows-1252 (CP1252)"
            except UnicodeDecodeError:
                text, encoding = data.decode("latin-1"), "latin-1"
                label = "Latin-1 (ISO-8859-1)"
            warnings.append(
                f"{name} is not UTF-8 (first bad byte at position {err.start}); it was read as {label}. "
                "Check that accented letters and symbols such as ŵ, ô and £ came through correctly"
            )
    text = text.lstrip("\ufeff")
    sample = text[:65536]
    controls = sum(1 for ch in sample if ch < " " and ch not in _ALLOWED_CONTROLS)
    if "\x00" in sample or controls > max(2, len(sample) // 100):
        raise TableError(f"{name} looks like a binary file, not CSV text")
    if not text.strip():
        raise TableError([(_EMPTY, {})])
    return text, encoding, warnings


def read_header(text: str) -> list[str]:
    """The header row of decoded CSV text, names stripped of surrounding spaces."""
    try:
        first = next(csv.reader(io.StringIO(text, newline=""), strict=True), [])
    except csv.Error as err:
        raise TableError(f"line 1: the header cannot be read ({err})") from None
    return [name.strip() for name in first]


def open_table(
    source: bytes | BinaryIO,
    filename: str = "",
    *,
    required: Collection[str] = (),
    known: Collection[str] | None = None,
    allow_unknown: bool = False,
    unknown_message: str = "",
    max_bytes: int = MAX_BYTES,
    max_field_chars: int = MAX_FIELD_CHARS,
) -> Table:
    """Read, decode and check a CSV file's header. Raises :class:`TableError` listing every file-level problem.

    ``required`` columns must all be present. ``known`` (if given) is every column the caller
    understands, required ones included; any other column is an error, or with ``allow_unknown`` a
    warning. ``unknown_message`` (a catalogue message with ``%(columns)s``) replaces that error's
    wording with one naming what this caller offers instead, so the message never suggests an option
    the form or command in hand does not have. Rows are read
    afterwards with :meth:`Table.iter_rows`.
    """
    data = read_bytes(source, max_bytes)
    text, encoding, warnings = decode(data, filename)
    header = read_header(text)
    problems: list[tuple[str, dict]] = []
    blanks = [str(i) for i, name in enumerate(header, start=1) if not name]
    if blanks:
        problems.append((gettext_noop("The header has blank column names (column %(columns)s)"), {"columns": ", ".join(blanks)}))
    seen: set[str] = set()
    duplicates = sorted({name for name in header if name and (name in seen or seen.add(name))})  # type: ignore[func-returns-value]
    if duplicates:
        problems.append((gettext_noop("The header repeats column names: %(columns)s"), {"columns": ", ".join(duplicates)}))
    missing = [name for name in required if name not in seen]
    if missing:
        problems.append((gettext_noop("Missing required columns: %(columns)s"), {"columns": ", ".join(missing)}))
    if known is not None:
        allowed = set(known) | set(required)
        unknown = [name for name in header if name and name not in allowed]
        if unknown:
            if allow_unknown:
                warnings.append(f"Unknown columns: {', '.join(unknown)} (ignored)")
            else:
                problems.append((unknown_message or gettext_noop("Unknown columns: %(columns)s. Remove them from the file"),
                                 {"columns": ", ".join(unknown)}))
    if problems:
        raise TableError(problems)
    return Table(filename=filename, encoding=encoding, header=header, text=text, warnings=warnings, max_field_chars=max_field_chars)


def _size(n: int) -> str:
    # "MB" of 1024 * 1024 bytes, as the settings (BALLOTGUARD_MAX_IMPORT_BYTES) and docs say.
    return f"{n / 1024 / 1024:.0f} MB" if n >= 1024 * 1024 else f"{n:,} bytes"


__all__ = ["MAX_BYTES", "MAX_FIELD_CHARS", "Row", "has_control_characters", "RowError", "Table", "TableError", "decode", "open_table", "read_bytes", "read_header"]
