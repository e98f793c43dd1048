"""Reading actions for coordination detection from CSV and JSONL files, with every bad row accounted for.

Analysts arrive with exports from other tools, so the reader accepts:

- the QUT coordination-network-toolkit's CSV (``message_id,user_id,username,repost_id,reply_id,
  message,timestamp,urls``; URLs space-separated; its own test file starts with a UTF-8 BOM), so
  its users can switch without converting anything;
- CooRTweet-style columns (``account_id``, ``content_id``, ``timestamp_share``; map ``object_id``
  to a behaviour with ``columns={"object_id": "repost_of"}``);
- plain CSV, JSONL (``.jsonl``/``.ndjson``) or Parquet (``.parquet``/``.pq``) with the engine's own
  names (see :data:`ballotguard.engines.coordination.COLUMNS`); list fields are space-separated in
  CSV and JSON lists (or strings) in JSONL; in Parquet a list column or a date-time column is fine.
  Parquet has no lines, so a Parquet row is reported by its 1-based row number.

A row with no account or a time that is neither seconds nor an ISO 8601 date-time is *not used*
and is reported with its physical line number; a repeated ``message_id`` keeps the first row (as
the toolkit's ``insert or ignore`` does) and reports the others. Nothing is dropped silently.

CSV is read with Polars for speed (a million rows in about a second); only when something must be
reported is the file scanned again with the :mod:`csv` module to turn row positions into physical
line numbers (quoted cells may span lines). Pure Python: no Django.
"""

from __future__ import annotations

import csv
import io
import json
import pathlib
from dataclasses import dataclass

import polars as pl

from ballotguard.engines.coordination import COLUMNS
from ballotguard.engines.tabular import RowError

ALIASES = {
    "user_id": "account",
    "account_id": "account",
    "timestamp": "time",
    "timestamp_share": "time",
    "message": "text",
    "repost_id": "repost_of",
    "reply_id": "reply_to",
    "content_id": "message_id",
    "post_id": "message_id",
    "url": "urls",
    "hashtag": "hashtags",
}
"""Other tools' column names and the engine's name for each."""

_LISTS = ("urls", "hashtags", "observables")


@dataclass(frozen=True)
class ActionFile:
    """What was read: the usable actions (engine columns plus ``line``), the rows not used or merged,
    and how many data rows the file had."""

    frame: pl.DataFrame
    problems: tuple[RowError, ...]
    rows_read: int

    @property
    def rejected(self) -> int:
        return len(self.problems)


def read_actions(path: str | pathlib.Path, *, columns: dict[str, str] | None = None) -> ActionFile:
    """Read a CSV, JSONL or Parquet file of actions. ``columns`` maps extra source names to engine names."""
    path = pathlib.Path(path)
    mapping = {**ALIASES, **(columns or {})}
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        raw, problems = _read_jsonl(path)
    elif path.suffix.lower() in (".parquet", ".pq"):
        raw, problems = _read_parquet(path), []
    else:
        raw, problems = _read_csv(path)
    return _clean(raw, mapping, problems, path)


def _read_csv(path: pathlib.Path) -> tuple[pl.DataFrame, list[RowError]]:
    try:
        raw = pl.read_csv(path, infer_schema=False, encoding="utf8", empty_string_is_null=False).with_row_index("_pos")
    except (pl.exceptions.PolarsError, UnicodeDecodeError):
        pass
    else:
        # Polars pads a row with too few cells with empty strings, indistinguishable from empty
        # trailing cells. Only rows whose last cell is empty can be short; count their cells.
        last = raw.columns[-1]
        maybe = raw.filter(pl.col(last).fill_null("") == "")["_pos"].to_list()
        if not maybe:
            return raw, []
        short = _short_rows(path, set(maybe), raw.width - 1)
        if not short:
            return raw, []
        problems = [RowError(line, f"has {n} cells but the header has {raw.width - 1} columns", file=path.name) for _, line, n in short]
        kept = raw.filter(~pl.col("_pos").is_in([pos for pos, _, _ in short]))
        return kept.drop("_pos").with_row_index("_pos").with_columns(
            pl.Series("_line", _physical_lines(path, [p for p in range(raw.height)]), dtype=pl.Int64).gather(kept["_pos"])
        ), problems
    # Slow path: a ragged or otherwise odd file. Read it row by row and report what cannot be used.
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    records: list[dict[str, str]] = []
    problems: list[RowError] = []
    previous_end = reader.line_num
    pos = 0
    for cells in reader:
        line, previous_end = previous_end + 1, reader.line_num
        if not cells:
            continue
        if len(cells) != len(header):
            problems.append(RowError(line, f"has {len(cells)} cells but the header has {len(header)} columns", file=path.name))
            continue
        records.append({"_pos": pos, "_line": line, **dict(zip(header, cells))})
        pos += 1
    schema = {"_pos": pl.UInt32, "_line": pl.Int64, **{h: pl.String for h in header}}
    return pl.DataFrame(records, schema=schema), problems


def _read_jsonl(path: pathlib.Path) -> tuple[pl.DataFrame, list[RowError]]:
    records: list[dict] = []
    problems: list[RowError] = []
    keys: dict[str, None] = {}
    with path.open(encoding="utf-8-sig") as f:
        for line, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except json.JSONDecodeError as err:
                problems.append(RowError(line, f"is not valid JSON ({err.msg})", file=path.name))
                continue
            if not isinstance(record, dict):
                problems.append(RowError(line, "is not a JSON object", file=path.name))
                continue
            row = {"_line": line}
            for k, v in record.items():
                keys.setdefault(k, None)
                if isinstance(v, list):
                    row[k] = " ".join(str(x) for x in v)
                else:
                    row[k] = "" if v is None else str(v)
            records.append(row)
    schema = {"_line": pl.Int64, **{k: pl.String for k in keys}}
    frame = pl.DataFrame(records, schema=schema) if records else pl.DataFrame(schema=schema)
    return frame.with_row_index("_pos"), problems


def _read_parquet(path: pathlib.Path) -> pl.DataFrame:
    """Every column as text, as the CSV reader sees it: lists space-joined, date-times as epoch seconds."""
    raw = pl.read_parquet(path)
    exprs = []
    for name, dtype in raw.schema.items():
        column = pl.col(name)
        if isinstance(dtype, (pl.List, pl.Array)):
            column = column.cast(pl.List(pl.String)).list.join(" ")
        elif isinstance(dtype, pl.Datetime):
            column = (column.dt.epoch("us") / 1_000_000).cast(pl.String)
        elif isinstance(dtype, pl.Date):
            column = (column.cast(pl.Datetime("us")).dt.epoch("us") / 1_000_000).cast(pl.String)
        else:
            column = column.cast(pl.String)
        exprs.append(column.alias(name))
    return raw.select(exprs).with_row_index("_pos").with_columns((pl.col("_pos").cast(pl.Int64) + 1).alias("_line"))


def _clean(raw: pl.DataFrame, mapping: dict[str, str], problems: list[RowError], path: pathlib.Path) -> ActionFile:
    rows_read = raw.height + len(problems)
    rename = {}
    for name in raw.columns:
        target = mapping.get(name.strip(), name.strip())
        if target in COLUMNS and target not in rename.values() and target not in raw.columns:
            rename[name] = target
        elif name.strip() in COLUMNS:
            rename[name] = name.strip()
    frame = raw.rename(rename)
    for required in ("account", "time"):
        if required not in frame.columns:
            raise ValueError(f"{path.name}: no column for {required!r} (found {', '.join(raw.columns)})")
    number = pl.col("time").str.strip_chars().cast(pl.Float64, strict=False)
    iso = pl.col("time").str.strip_chars().str.to_datetime(strict=False, time_zone="UTC").dt.epoch("ms") / 1000.0
    frame = frame.with_columns(number.alias("_t"), pl.col("account").fill_null("").str.strip_chars())
    if frame["_t"].null_count():  # only then pay for date-time parsing, on just those rows
        dated = frame.filter(pl.col("_t").is_null()).select("_pos", iso.alias("_iso"))
        frame = frame.join(dated, on="_pos", how="left", maintain_order="left").with_columns(pl.coalesce("_t", "_iso").alias("_t")).drop("_iso")
    if "_line" not in frame.columns:
        text_columns = [c for c, t in frame.schema.items() if t == pl.String]
        multiline = frame.select(pl.any_horizontal(pl.col(c).str.contains("\n", literal=True) for c in text_columns).any()).item()
        if multiline:  # quoted cells span lines: row positions are not line numbers, so count them
            frame = frame.with_columns(pl.Series("_line", _physical_lines(path, frame["_pos"].to_list())))
    bad_account = frame["account"] == ""
    bad_time = frame["_t"].is_null() & ~bad_account
    duplicate = pl.Series([False] * frame.height)
    if "message_id" in frame.columns:
        ok = ~(bad_account | bad_time)
        first = frame.with_columns(pl.Series("_ok", ok)).filter(pl.col("_ok") & (pl.col("message_id").fill_null("") != "")).select("_pos", "message_id")
        repeated = first.filter(first["message_id"].is_duplicated() & ~first["message_id"].is_first_distinct())["_pos"]
        duplicate = frame["_pos"].is_in(repeated.implode())
    reasons = (
        frame.select("_pos", *(["_line"] if "_line" in frame.columns else []))
        .with_columns(
            pl.when(pl.Series(bad_account)).then(pl.lit("has no account"))
            .when(pl.Series(bad_time)).then(pl.lit("has a time"))
            .when(pl.Series(duplicate)).then(pl.lit("repeats an earlier message_id; the first row was kept"))
            .alias("_why")
        )
        .filter(pl.col("_why").is_not_null())
    )
    if reasons.height:
        if "_line" not in reasons.columns:
            reasons = reasons.with_columns(pl.Series("_line", _physical_lines(path, reasons["_pos"].to_list())))
        bad_times = dict(zip(frame["_pos"].to_list(), frame["time"].to_list())) if bad_time.any() else {}
        for pos, line, why in reasons.select("_pos", "_line", "_why").iter_rows():
            if why.startswith("has a time"):
                why = f"has a time that is not seconds or an ISO 8601 date-time: {bad_times.get(pos)!r}"
            column = "account" if why == "has no account" else "time" if why.startswith("has a time") else "message_id"
            problems.append(RowError(int(line), why, column=column, file=path.name))
        frame = frame.filter(~frame["_pos"].is_in(reasons["_pos"].implode()))
    problems.sort(key=lambda p: p.line)
    if "_line" not in frame.columns:
        frame = frame.with_columns((pl.col("_pos").cast(pl.Int64) + 2).alias("_line"))  # only exact without multi-line cells
    select = [pl.col("_t").alias("time"), pl.col("account")]
    for name in COLUMNS:
        if name in ("time", "account") or name not in frame.columns:
            continue
        value = pl.col(name).fill_null("")
        if name in _LISTS:
            value = value.str.split(" ").list.eval(pl.element().filter(pl.element() != ""))
        select.append(value.alias(name))
    return ActionFile(frame=frame.select(*select, pl.col("_line").alias("line")), problems=tuple(problems), rows_read=rows_read)


def _data_rows(path: pathlib.Path):
    """``(position, line, cells)`` for each non-blank data row: its 0-based position among the data
    rows and the physical line it starts on (header = line 1; quoted cells may span lines)."""
    with path.open(encoding="utf-8-sig", newline="", errors="replace") as f:
        reader = csv.reader(f)
        next(reader, None)
        previous_end = reader.line_num
        pos = 0
        for cells in reader:
            line, previous_end = previous_end + 1, reader.line_num
            if not cells:
                continue
            yield pos, line, cells
            pos += 1


def _short_rows(path: pathlib.Path, positions: set[int], width: int) -> list[tuple[int, int, int]]:
    """``(position, line, cells)`` for the rows among ``positions`` that have fewer than ``width`` cells."""
    return [(pos, line, len(cells)) for pos, line, cells in _data_rows(path) if pos in positions and len(cells) < width]


def _physical_lines(path: pathlib.Path, positions: list[int]) -> list[int]:
    """The physical line on which each 0-based data row starts (header = line 1)."""
    wanted = set(positions)
    found = {pos: line for pos, line, _ in _data_rows(path) if pos in wanted}
    return [found.get(p, p + 2) for p in positions]


__all__ = ["ALIASES", "ActionFile", "read_actions"]
