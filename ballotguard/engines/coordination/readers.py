"""Reading actions for coordination detection from CSV and JSONL files, with every bad row accounted for.

Analysts arrive with exports from other tools, so the reader accepts:

- the QUT coordination-network-toolkit's CSV (``message_id,user_id,username,repost_id,reply_id,
  message,timestamp,urls``; URLs space-separated; its own test file starts with a UTF-8 BOM), so
  its users can switch without converting anything;
- CooRTweet-style columns (``account_id``, ``content_id``, ``timestamp_share``; map ``object_id``
  to a behaviour with ``columns={"object_id": "repost_of"}``), including the ids of its multi-modal
  ``german_elections`` data (``post_id``, ``url_id``, ``hashtag_id``, ``domain_id``, ``phash_id``:
  links, hashtags, web sites and perceptual image hashes);
- plain CSV, JSONL (``.jsonl``/``.ndjson``) or Parquet (``.parquet``/``.pq``) with the engine's own
  names (see :data:`ballotguard.engines.coordination.detection.COLUMNS`); list fields are space-separated in
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
import datetime as dt
import io
import json
import pathlib
from dataclasses import dataclass

import numpy as np
import polars as pl

from ballotguard.engines.coordination.detection import COLUMNS, Detection, Settings
from ballotguard.engines.common.tabular import RowError

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
    "url_id": "urls",
    "hashtag": "hashtags",
    "hashtag_id": "hashtags",
    "domain": "domains",
    "domain_id": "domains",
    "phash": "images",
    "phash_id": "images",
    "image_hash": "images",
}
"""Other tools' column names and the engine's name for each."""

_LISTS = ("urls", "hashtags", "observables", "domains", "images")


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
        maybe = (raw[last].fill_null("") == "").to_numpy()
        if not maybe.any():
            return raw, []
        cells, lines = _records(path)
        if len(cells) == raw.height:  # otherwise the two parsers disagree: read it row by row below
            short = np.flatnonzero(maybe & (cells < raw.width - 1))
            if not len(short):
                return raw.with_columns(pl.Series("_line", lines, dtype=pl.Int64)), []
            problems = [RowError(int(lines[p]), f"has {int(cells[p])} cells but the header has {raw.width - 1} columns", file=path.name) for p in short]
            keep = np.ones(raw.height, bool)
            keep[short] = False
            return raw.filter(pl.Series(keep)).drop("_pos").with_row_index("_pos").with_columns(
                pl.Series("_line", lines[keep], dtype=pl.Int64)
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
            frame = frame.with_columns(pl.Series("_line", _physical_lines(path, frame["_pos"].to_numpy()), dtype=pl.Int64))
    bad_account = frame["account"] == ""
    bad_time = frame["_t"].is_null() & ~bad_account
    duplicate = pl.Series([False] * frame.height)
    if "message_id" in frame.columns:
        ok = ~(bad_account | bad_time)
        first = frame.select("_pos", "message_id").filter(pl.Series(ok) & (pl.col("message_id").fill_null("") != ""))
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
            reasons = reasons.with_columns(pl.Series("_line", _physical_lines(path, reasons["_pos"].to_numpy()), dtype=pl.Int64))
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


def _records(path: pathlib.Path, block: int = 1 << 23) -> tuple[np.ndarray, np.ndarray]:
    """``(cells, line)`` for each non-blank data record of a CSV file (header excluded): how many cells
    it has and the physical line it starts on (header = line 1; quoted cells may span lines).

    Vectorised over the bytes, a block at a time: a comma or newline separates only outside quotes,
    and "inside quotes" is the parity of the quote characters so far (an escaped ``""`` toggles twice).
    Agrees with the :mod:`csv` module on well-formed files, many times faster.
    """
    cells: list[np.ndarray] = []
    lines: list[np.ndarray] = []
    parity = np.uint8(0)
    carry_commas = carry_length = 0  # of the record in progress
    carry_line = 1
    newlines_before = 0
    with path.open("rb") as f:
        while True:
            data = np.frombuffer(f.read(block), dtype=np.uint8)
            last = len(data) < block
            if len(data):
                inside = np.bitwise_xor.accumulate(data == 34, dtype=np.uint8)  # 34 = '"'
                if parity:
                    inside ^= np.uint8(1)
                parity = inside[-1]
                outside = inside == 0
                del inside
                newline = np.flatnonzero(data == 10)
                ends = newline[outside[newline]]
                commas = np.flatnonzero((data == 44) & outside)  # 44 = ','
                del outside
                count = np.diff(np.searchsorted(commas, ends), prepend=0)
                starts = np.concatenate(([0], ends[:-1] + 1))
                length = ends - starts - (data[np.maximum(ends - 1, 0)] == 13)  # 13 = '\r'
                start_line = newlines_before + 1 + np.searchsorted(newline, starts)
                if len(ends):
                    count[0] += carry_commas
                    length[0] += carry_length
                    start_line[0] = carry_line
                    keep = length > 0
                    cells.append(count[keep] + 1)
                    lines.append(start_line[keep])
                    carry_commas = len(commas) - int(np.searchsorted(commas, ends[-1]))
                    carry_length = len(data) - int(ends[-1]) - 1
                    carry_line = newlines_before + 1 + int(np.searchsorted(newline, ends[-1]) + 1)
                else:
                    carry_commas += len(commas)
                    carry_length += len(data)
                newlines_before += len(newline)
            if last:
                break
    if carry_length > 0:  # a last record without a final newline
        cells.append(np.array([carry_commas + 1]))
        lines.append(np.array([carry_line]))
    cells_all = np.concatenate(cells) if cells else np.empty(0, np.int64)
    lines_all = np.concatenate(lines) if lines else np.empty(0, np.int64)
    return cells_all[1:], lines_all[1:]  # the first record is the header


def _physical_lines(path: pathlib.Path, positions: np.ndarray) -> np.ndarray:
    """The physical line on which each 0-based data row starts (header = line 1)."""
    _, lines = _records(path)
    positions = np.asarray(positions, dtype=np.int64)
    inside = (positions >= 0) & (positions < len(lines))
    return np.where(inside, lines[np.clip(positions, 0, max(len(lines) - 1, 0))] if len(lines) else 0, positions + 2)


def _link_key(urls: pl.Expr) -> pl.Expr:
    """How links are matched against a resolution table: no surrounding spaces, scheme or trailing
    slash, host in lower case (``https://T.co/AbC/`` and ``t.co/AbC`` are the same short link; the
    path keeps its case, as t.co and bit.ly codes are case-sensitive)."""
    bare = urls.str.strip_chars().str.replace(r"^[A-Za-z][A-Za-z0-9+.\-]*://", "").str.strip_chars_end("/")
    return bare.str.extract(r"^([^/]*)", 1).str.to_lowercase() + bare.str.extract(r"^[^/]*(/.*)?$", 1).fill_null("")


def read_link_table(path: str | pathlib.Path) -> dict[str, str]:
    """A short-link resolution table: a CSV with columns ``short`` and ``target`` (``url``/``expanded``
    and ``resolved``/``expanded_url`` are accepted too), one short link a row, as an analyst exports it
    from a link expander run elsewhere; no network call is ever made. Raises :class:`ValueError` naming
    the missing column or the first bad line."""
    path = pathlib.Path(path)
    try:
        table = pl.read_csv(path, infer_schema=False, encoding="utf8")
    except (OSError, pl.exceptions.PolarsError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path.name} cannot be read as CSV: {exc}") from None
    names = {c.strip().lower().lstrip("\ufeff"): c for c in table.columns}
    short = next((names[c] for c in ("short", "url", "short_url") if c in names), None)
    target = next((names[c] for c in ("target", "resolved", "expanded", "expanded_url", "long_url") if c in names), None)
    if short is None or target is None:
        raise ValueError(f"{path.name} needs the columns short and target (it has {', '.join(table.columns) or 'none'})")
    table = table.select(pl.col(short).fill_null("").str.strip_chars().alias("short"), pl.col(target).fill_null("").str.strip_chars().alias("target"))
    bad = table.with_row_index("line", offset=2).filter((pl.col("short") == "") | (pl.col("target") == ""))
    if bad.height:
        raise ValueError(f"{path.name} line {bad['line'][0]}: a short link and its target are both needed")
    keyed = table.select(_link_key(pl.col("short")).alias("key"), "target").unique("key", keep="first", maintain_order=True)
    return dict(zip(keyed["key"].to_list(), keyed["target"].to_list(), strict=True))


def resolve_links(frame: pl.DataFrame, table: dict[str, str]) -> pl.DataFrame:
    """``urls`` with every short link in ``table`` replaced by its target (others unchanged), so that two
    accounts posting different t.co links to one page share a link (and a web site)."""
    if not table or "urls" not in frame.columns:
        return frame
    keys = pl.Series(list(table.keys()), dtype=pl.String)
    targets = pl.Series(list(table.values()), dtype=pl.String)
    resolved = pl.element().pipe(_link_key).replace_strict(keys, targets, default=pl.element())
    return frame.with_columns(pl.col("urls").list.eval(resolved))


def _xml(value) -> str:
    from xml.sax.saxutils import quoteattr

    return quoteattr(str(value))


def write_graph(found: Detection, path: str | pathlib.Path, fmt: str) -> None:
    """The network of coordinated accounts for Gephi: ``graphml`` (as the QUT toolkit writes it) or
    ``gexf``. Nodes are accounts (with their campaign id); edges carry the weight, co-actions,
    behaviours, and the expected co-actions and p-value of the significance test. Deterministic."""
    campaign_of = {a: c.id for c in found.campaigns for a in c.accounts}
    nodes = sorted({a for e in found.edges for a in (e.account_a, e.account_b)})
    number = {a: n for n, a in enumerate(nodes)}
    attrs = [("weight", "int"), ("co_actions", "int"), ("behaviours", "string"), ("expected", "double"), ("p_value", "double")]

    def values(e) -> list:
        return [e.weight, e.co_actions, " ".join(e.behaviours), "" if e.expected is None else repr(e.expected), "" if e.p_value is None else repr(e.p_value)]

    lines = ['<?xml version="1.0" encoding="UTF-8"?>']
    if fmt == "graphml":
        lines.append('<graphml xmlns="http://graphml.graphdrawing.org/xmlns">')
        lines.append('  <key id="campaign" for="node" attr.name="campaign" attr.type="string"/>')
        lines.append('  <key id="label" for="node" attr.name="label" attr.type="string"/>')
        lines += [f'  <key id="{k}" for="edge" attr.name="{k}" attr.type="{t}"/>' for k, t in attrs]
        lines.append('  <graph id="coordination" edgedefault="undirected">')
        for a in nodes:
            lines.append(f'    <node id="n{number[a]}"><data key="label">{_text(a)}</data><data key="campaign">{_text(campaign_of.get(a, ""))}</data></node>')
        for k, e in enumerate(found.edges):
            data = "".join(f'<data key="{name}">{_text(v)}</data>' for (name, _), v in zip(attrs, values(e), strict=True) if v != "")
            lines.append(f'    <edge id="e{k}" source="n{number[e.account_a]}" target="n{number[e.account_b]}">{data}</edge>')
        lines += ["  </graph>", "</graphml>"]
    elif fmt == "gexf":
        kinds = {"int": "integer", "double": "double", "string": "string"}
        lines.append('<gexf xmlns="http://gexf.net/1.3" version="1.3">')
        lines.append('  <graph mode="static" defaultedgetype="undirected">')
        lines.append('    <attributes class="node"><attribute id="campaign" title="campaign" type="string"/></attributes>')
        lines.append('    <attributes class="edge">' + "".join(f'<attribute id="{k}" title="{k}" type="{kinds[t]}"/>' for k, t in attrs[1:]) + "</attributes>")
        lines.append("    <nodes>")
        for a in nodes:
            lines.append(f'      <node id="n{number[a]}" label={_xml(a)}><attvalues><attvalue for="campaign" value={_xml(campaign_of.get(a, ""))}/></attvalues></node>')
        lines.append("    </nodes>")
        lines.append("    <edges>")
        for k, e in enumerate(found.edges):
            vals = "".join(f'<attvalue for="{name}" value={_xml(v)}/>' for (name, _), v in zip(attrs[1:], values(e)[1:], strict=True) if v != "")
            lines.append(f'      <edge id="e{k}" source="n{number[e.account_a]}" target="n{number[e.account_b]}" weight="{e.weight}"><attvalues>{vals}</attvalues></edge>')
        lines += ["    </edges>", "  </graph>", "</gexf>"]
    else:
        raise ValueError(f"graph format must be graphml or gexf, not {fmt!r}")
    pathlib.Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def _text(value) -> str:
    from xml.sax.saxutils import escape

    return escape(str(value))


__all__ = ["ALIASES", "ActionFile", "read_actions", "read_link_table", "resolve_links", "write_graph"]


def _iso(seconds: float) -> str | None:
    try:
        return dt.datetime.fromtimestamp(seconds, tz=dt.UTC).isoformat().replace("+00:00", "Z")
    except (OverflowError, OSError, ValueError):
        return None


def campaigns_document(path: pathlib.Path, actions: ActionFile, found: Detection, settings: Settings) -> dict:
    """What ``campaigns.json`` holds. Pure data in a fixed order, so the file is reproducible."""
    return {
        "input": path.name,
        "settings": {
            "window_seconds": settings.window,
            "similarity": settings.similarity,
            "behaviours": sorted(b.value for b in settings.behaviours),
            "min_edge_weight": settings.min_edge_weight,
            "min_account_actions": settings.min_account_actions,
            "max_object_accounts": settings.max_object_accounts,
            "fdr": settings.fdr,
            "null_block_seconds": settings.null_block,
            "min_text_words": settings.min_text_words,
            "loops": settings.loops,
        },
        "rows_read": actions.rows_read,
        "rows_used": actions.frame.height,
        "bad_rows": len(actions.problems),
        "bad_row_details": [p.to_dict() for p in actions.problems],
        "edges": len(found.edges),
        "directed_edges": found.directed_edges,
        "campaigns": [
            {
                "id": c.id,
                "accounts": list(c.accounts),
                "account_count": len(c.accounts),
                "messages": len(c.message_ids),
                "message_ids": list(c.message_ids),
                "first_time": c.first_time,
                "last_time": c.last_time,
                "first_at": _iso(c.first_time),
                "last_at": _iso(c.last_time),
                "span_seconds": round(c.last_time - c.first_time, 3),
                "score": c.score,
                "edges": c.edges,
                "total_weight": c.total_weight,
                "behaviours": list(c.behaviours),
                "constituencies": list(c.constituencies),
                "forces": list(c.forces),
                "candidates": list(c.candidates),
                "kind": c.kind,
                "timer": None if c.timer is None else {
                    "period_seconds": c.timer.period, "every_seconds": c.timer.every, "offset_seconds": c.timer.offset,
                    "spread_seconds": c.timer.spread, "accounts": list(c.timer.accounts), "p_value": c.timer.p_value,
                },
                "why": c.explanation,
                "p_value": c.p_value,
                "chance": [{"behaviour": b, "co_actions": x, "expected": lam} for b, x, lam in c.co_actions],
                "evidence": [e.__dict__ for e in c.evidence],
            }
            for c in found.campaigns
        ],
    }


def dumps_json(value, **kwargs) -> str:
    """JSON as campaigns.json is written: UTF-8 text kept as it is."""
    return json.dumps(value, ensure_ascii=False, **kwargs)
