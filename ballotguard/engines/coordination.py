"""Finding accounts that act together: the same thing shared by different accounts within seconds.

The question from the Home Office was whether people harassing candidates in different
constituencies are working together. One co-action is weak evidence (two people can retweet the
same post in the same minute by chance); many co-actions between the same accounts are not. This
engine therefore follows the coordination-network literature (the QUT coordination-network-toolkit,
CooRTweet, Pacheco et al. 2021):

1. **Shares.** Every action is broken into the objects it shares, each with a *behaviour*:
   identical text, near-identical text, a link, a hashtag, a reply target, a repost target, an
   incident observable (phone number, e-mail, vehicle registration, handle).
2. **Noise control before pairing.** An object shared by more than ``max_object_accounts``
   accounts (a viral post, a stock phrase such as "well said") says nothing about coordination
   and would create quadratically many pairs, so it is dropped; texts shorter than
   ``min_text_words`` words are not compared at all.
3. **A true sliding window.** For each object its shares are sorted by time and each share is
   paired with every later share within ``window`` seconds (``|Δt| ≤ W``), found with a vectorised
   binary search. Fixed time buckets would miss pairs that straddle a bucket boundary.
4. **Near-identical text** is found with MinHash-LSH (numpy, no per-pair Python): texts whose
   word-shingle signatures agree on a whole band share a *bucket*, buckets are objects like any
   other, and every candidate pair the window finds is then checked with the exact Jaccard
   similarity of the two shingle sets, so LSH only ever decides what is compared, never what is
   reported.
5. **Edges.** The weight of ``u → v`` is the number of distinct messages of ``u`` that co-occur
   with some message of ``v`` (the toolkit's ``count(distinct message_id)``); the undirected edge
   weight is the larger of the two directions, so an edge passes a threshold exactly when the
   toolkit would draw it. Two messages of the same account make a *loop*, excluded by default.
   Accounts must take part in at least ``min_account_actions`` coordinated messages (CooRTweet's
   ``min_participation``) and edges must weigh at least ``min_edge_weight``.
6. **Campaigns** are the connected components of what survives, reported with their accounts,
   messages, constituencies, police forces, candidates, time span, a few pieces of evidence and a
   score, in a deterministic order (shuffling the input never changes the output).

Input is a Polars frame with the columns in :data:`COLUMNS` (missing ones are filled in), or an
iterable of :class:`Action`. Pure Python + numpy + Polars: no Django.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field, fields

import numpy as np
import polars as pl


class Behaviour(str, enum.Enum):
    """What two accounts did alike. The value is the code used in frames and output files."""

    TEXT = "text"
    NEAR_TEXT = "near_text"
    URL = "url"
    HASHTAG = "hashtag"
    REPLY = "reply"
    REPOST = "repost"
    OBSERVABLE = "observable"

    @property
    def label(self) -> str:
        return {
            "text": "identical text",
            "near_text": "near-identical text",
            "url": "same link",
            "hashtag": "same hashtag",
            "reply": "replies to the same message",
            "repost": "reposts of the same message",
            "observable": "same observable in incidents",
        }[self.value]


_BEHAVIOURS = list(Behaviour)
_CODE = {b: i for i, b in enumerate(_BEHAVIOURS)}

COLUMNS: dict[str, pl.DataType] = {
    "account": pl.String(),
    "time": pl.Float64(),
    "message_id": pl.String(),
    "username": pl.String(),
    "text": pl.String(),
    "urls": pl.List(pl.String()),
    "hashtags": pl.List(pl.String()),
    "reply_to": pl.String(),
    "repost_of": pl.String(),
    "candidate": pl.String(),
    "constituency": pl.String(),
    "force": pl.String(),
    "observables": pl.List(pl.String()),
}
"""The action frame: one row per action. ``time`` is in seconds (any consistent origin)."""

_LIST_COLUMNS = ("urls", "hashtags", "observables")
_URL_RE = r"https?://\S+|www\.\S+"
_MENTION_RE = r"@\w+"


@dataclass(frozen=True)
class Action:
    """One thing an account did at a time. Convenient for small inputs and tests; large inputs
    should arrive as a Polars frame (see :func:`action_frame`)."""

    account: str
    time: float
    message_id: str = ""
    text: str = ""
    urls: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()
    reply_to: str = ""
    repost_of: str = ""
    candidate: str = ""
    constituency: str = ""
    force: str = ""
    observables: tuple[str, ...] = ()
    username: str = ""


@dataclass(frozen=True)
class Settings:
    """How to detect. Defaults suit replies to candidates; the toolkit's behaviour is
    ``Settings(min_edge_weight=1, min_account_actions=1, max_object_accounts=None, min_text_words=0)``."""

    window: float = 60.0
    """Two shares are co-actions when ``|Δt| ≤ window`` seconds."""
    similarity: float = 0.8
    """Minimum Jaccard similarity of word-shingle sets for near-identical text."""
    behaviours: frozenset[Behaviour] = frozenset(Behaviour)
    min_edge_weight: int = 2
    """Two or more co-actions: one coincidence is not a pattern (and a course of conduct needs two occasions)."""
    min_account_actions: int = 2
    """An account must take part in at least this many coordinated messages (CooRTweet's min_participation)."""
    max_object_accounts: int | None = 100
    """Objects shared by more accounts than this (viral posts, stock phrases) are ignored; None keeps all."""
    min_text_words: int = 3
    """Texts with fewer words ("well said", "resign") are never compared."""
    loops: bool = False
    """Keep an account's co-actions with itself (two messages of the same account within the window)."""
    shingle_size: int = 1
    """Words per shingle. 1 (word sets) matches the toolkit's similarity and tolerates small edits in short posts."""
    bands: int = 10
    rows_per_band: int = 3
    """LSH shape: 10 bands of 3 find pairs at Jaccard 0.8 with probability 0.999 and at 0.3 with 0.24."""
    seed: int = 20240704
    evidence_per_campaign: int = 3

    def __post_init__(self) -> None:
        if self.window < 0:
            raise ValueError("window must be zero or more seconds")
        if not 0 < self.similarity <= 1:
            raise ValueError("similarity must be in (0, 1]")
        if self.min_edge_weight < 1 or self.min_account_actions < 1:
            raise ValueError("min_edge_weight and min_account_actions must be at least 1")
        object.__setattr__(self, "behaviours", frozenset(Behaviour(b) for b in self.behaviours))


@dataclass(frozen=True)
class Edge:
    """Two accounts that acted together. ``weight`` is max(``weight_ab``, ``weight_ba``)."""

    account_a: str
    account_b: str
    weight: int
    weight_ab: int
    weight_ba: int
    behaviours: tuple[str, ...]
    first_time: float
    last_time: float


@dataclass(frozen=True)
class Evidence:
    """One co-action, as a person would check it: who shared what, when."""

    behaviour: str
    shared: str
    account_a: str
    message_a: str
    time_a: float
    account_b: str
    message_b: str
    time_b: float


@dataclass(frozen=True)
class Campaign:
    """A connected group of coordinated accounts and what they did."""

    id: str
    accounts: tuple[str, ...]
    message_ids: tuple[str, ...]
    constituencies: tuple[str, ...]
    forces: tuple[str, ...]
    candidates: tuple[str, ...]
    behaviours: tuple[str, ...]
    first_time: float
    last_time: float
    edges: int
    total_weight: int
    score: float
    """Total edge weight × edge density: many co-actions among a tight group score highest."""
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class Detection:
    """The result: campaigns (best first), every surviving edge, and counts that explain the filtering."""

    campaigns: tuple[Campaign, ...]
    edges: tuple[Edge, ...]
    directed_edges: int
    """Surviving ordered pairs (u, v) with weight(u → v) ≥ min_edge_weight, the toolkit's edge count."""
    stats: dict[str, int] = field(default_factory=dict)

    def edge_frame(self) -> pl.DataFrame:
        return pl.DataFrame(
            [{f.name: getattr(e, f.name) if f.name != "behaviours" else " ".join(e.behaviours) for f in fields(Edge)} for e in self.edges],
            schema={"account_a": pl.String, "account_b": pl.String, "weight": pl.Int64, "weight_ab": pl.Int64, "weight_ba": pl.Int64, "behaviours": pl.String, "first_time": pl.Float64, "last_time": pl.Float64},
        )


# --------------------------------------------------------------------------- input


def action_frame(actions: pl.DataFrame | Iterable[Action | dict]) -> pl.DataFrame:
    """The canonical action frame: every column of :data:`COLUMNS`, nulls replaced by empty values,
    plus ``row`` (the position, used to name messages without their own id)."""
    if isinstance(actions, pl.DataFrame):
        frame = actions
    else:
        records = [a.__dict__ if isinstance(a, Action) else dict(a) for a in actions]
        records = [{k: (list(v) if isinstance(v, tuple) else v) for k, v in r.items()} for r in records]
        frame = pl.DataFrame(records, schema={k: v for k, v in COLUMNS.items() if not records or k in records[0]}) if records else pl.DataFrame(schema=COLUMNS)
    exprs = []
    for name, dtype in COLUMNS.items():
        if name not in frame.columns:
            exprs.append(pl.lit([] if name in _LIST_COLUMNS else ("" if dtype == pl.String() else None), dtype=dtype).alias(name))
        elif name in _LIST_COLUMNS:
            exprs.append(pl.col(name).cast(dtype).fill_null([]).alias(name))
        elif dtype == pl.String():
            exprs.append(pl.col(name).cast(pl.String).fill_null("").alias(name))
        else:
            exprs.append(pl.col(name).cast(dtype).alias(name))
    frame = frame.select(exprs)
    if frame["time"].null_count() or frame.filter(pl.col("account") == "").height:
        raise ValueError("every action needs an account and a time (coordination_io reports such rows instead)")
    return frame.with_row_index("row").with_columns(
        pl.when(pl.col("message_id") == "").then(pl.format("row-{}", pl.col("row"))).otherwise(pl.col("message_id")).alias("message_id")
    )


def normalise_text(texts: pl.Expr) -> pl.Expr:
    """Lower case, links and @mentions removed, punctuation to spaces, runs of spaces collapsed:
    differences that do not change what a message says must not hide a copy."""
    return (
        texts.str.to_lowercase()
        .str.replace_all(_URL_RE, " ")
        .str.replace_all(_MENTION_RE, " ")
        .str.replace_all(r"[^\w#]+", " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


# --------------------------------------------------------------------------- the sliding window


def window_pairs(objects: np.ndarray, times: np.ndarray, window: float) -> tuple[np.ndarray, np.ndarray]:
    """Every pair ``(i, j)``, ``i != j``, with ``objects[i] == objects[j]`` and ``|times[i] - times[j]| ≤ window``,
    each unordered pair once, as two index arrays into the inputs.

    Sorted by (object, time), the partners of share ``i`` are the run after it up to the last share of
    the same object with time ≤ t_i + W. That end is found by one binary search over an exact
    integer key: (object rank, rank of the time among all times and times + W). Ranks, not a float
    composite, so no pair at exactly ``|Δt| = W`` is lost to rounding.
    """
    n = len(times)
    if n < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    objects = np.asarray(objects)
    times = np.asarray(times, dtype=np.float64)
    order = np.lexsort((times, objects))
    obj = objects[order]
    t = times[order]
    group = np.concatenate(([0], np.cumsum(obj[1:] != obj[:-1]))).astype(np.int64)
    both = np.concatenate((t, t + window))
    _, inverse = np.unique(both, return_inverse=True)
    span = np.int64(inverse.max() + 1)
    key = group * span + inverse[:n]
    end = np.searchsorted(key, group * span + inverse[n:], side="right")
    counts = end - np.arange(1, n + 1)
    total = int(counts.sum())
    if total == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    first = np.repeat(np.arange(n), counts)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    second = first + 1 + (np.arange(total) - starts)
    return order[first], order[second]


# --------------------------------------------------------------------------- near-identical text


def _shingles(docs: pl.DataFrame, size: int, seed: int) -> pl.DataFrame:
    """``(doc, shingle)`` unique pairs: 64-bit hashes of runs of ``size`` words (a shorter text is one shingle)."""
    words = (
        docs.select("doc", pl.col("norm").str.split(" ").alias("word"))
        .explode("word")
        .with_columns(pl.col("word").hash(seed=seed).alias("h"))
    )
    doc = words["doc"].to_numpy()
    h = words["h"].to_numpy()
    if size > 1 and len(h):
        combined = h.copy()
        valid = np.ones(len(h), bool)
        for k in range(1, size):
            shifted = np.empty_like(h)
            shifted[:-k] = h[k:]
            shifted[-k:] = 0
            same = np.zeros(len(h), bool)
            same[:-k] = doc[k:] == doc[:-k]
            valid &= same
            combined = combined * np.uint64(0x9E3779B97F4A7C15) ^ shifted
        starts = np.concatenate(([True], doc[1:] != doc[:-1]))
        has_any = np.zeros(int(doc.max()) + 1, bool)
        np.logical_or.at(has_any, doc[valid], True)
        short_first = starts & ~has_any[doc]
        keep = valid | short_first
        h = np.where(valid, combined, h)[keep]  # a short text: its first word stands in (rare: < size words)
        doc = doc[keep]
    return pl.DataFrame({"doc": doc, "sh": h}).unique()


def _signatures(doc: np.ndarray, sh: np.ndarray, n_docs: int, n_perm: int, seed: int) -> np.ndarray:
    """MinHash signatures ``(n_docs, n_perm)`` with multiply-shift hashing of the 64-bit shingle hashes."""
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 2**63, n_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    b = rng.integers(0, 2**63, n_perm, dtype=np.uint64)
    order = np.argsort(doc, kind="stable")
    doc, sh = doc[order], sh[order]
    starts = np.flatnonzero(np.concatenate(([True], doc[1:] != doc[:-1])))
    sig = np.full((n_docs, n_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
    present = doc[starts]
    with np.errstate(over="ignore"):
        for p in range(n_perm):
            values = ((sh * a[p] + b[p]) >> np.uint64(32)).astype(np.uint32)
            sig[present, p] = np.minimum.reduceat(values, starts)
    return sig


def _band_keys(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """``(n_docs, bands)`` 64-bit keys: documents whose signatures agree on a whole band share its key."""
    mults = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93, 0xFF51AFD7ED558CCD], dtype=np.uint64)
    out = np.zeros((sig.shape[0], bands), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for band in range(bands):
            key = np.full(sig.shape[0], np.uint64(band + 1) * np.uint64(0xA24BAED4963EE407))
            for r in range(rows):
                key = (key ^ sig[:, band * rows + r].astype(np.uint64)) * mults[r % len(mults)]
            out[:, band] = key ^ (key >> np.uint64(29))
    return out


def _jaccard(pairs: pl.DataFrame, shingles: pl.DataFrame) -> pl.DataFrame:
    """Exact Jaccard similarity for unique ``(da, db)`` document pairs, by joining their shingle sets."""
    sizes = shingles.group_by("doc").len("size")
    inter = (
        pairs.join(shingles, left_on="da", right_on="doc")
        .join(shingles, left_on=["db", "sh"], right_on=["doc", "sh"])
        .group_by("da", "db")
        .len("inter")
    )
    return (
        pairs.join(inter, on=["da", "db"], how="left")
        .with_columns(pl.col("inter").fill_null(0))
        .join(sizes.rename({"doc": "da", "size": "sa"}), on="da")
        .join(sizes.rename({"doc": "db", "size": "sb"}), on="db")
        .with_columns((pl.col("inter") / (pl.col("sa") + pl.col("sb") - pl.col("inter"))).alias("jaccard"))
        .select("da", "db", "jaccard")
    )


# --------------------------------------------------------------------------- stages


def _shares(frame: pl.DataFrame, s: Settings) -> tuple[pl.DataFrame, pl.DataFrame | None, pl.DataFrame | None]:
    """``(row, account, kind, key)`` for every object an action shares; plus the row → text-document map and
    shingles when near-identical text is wanted."""
    parts: list[pl.DataFrame] = []
    base = frame.select("row", "account")

    def add(kind: Behaviour, df: pl.DataFrame, column: str) -> None:
        if kind in s.behaviours and df.height:
            parts.append(
                df.filter(pl.col(column) != "")
                .select("row", "account", pl.lit(_CODE[kind], pl.Int8).alias("kind"), pl.col(column).hash(seed=s.seed + _CODE[kind]).alias("key"))
            )

    add(Behaviour.REPOST, frame, "repost_of")
    add(Behaviour.REPLY, frame, "reply_to")
    for kind, column in ((Behaviour.URL, "urls"), (Behaviour.OBSERVABLE, "observables")):
        if kind in s.behaviours:
            add(kind, frame.select("row", "account", column).explode(column).drop_nulls(column), column)
    if Behaviour.HASHTAG in s.behaviours:
        tags = frame.select(
            "row", "account",
            pl.col("hashtags").list.concat(pl.col("text").str.extract_all(r"#\w+")).list.eval(pl.element().str.to_lowercase().str.strip_chars_start("#")).list.unique().alias("tag"),
        ).explode("tag").drop_nulls("tag")
        add(Behaviour.HASHTAG, tags, "tag")

    docs = None
    shingles = None
    if {Behaviour.TEXT, Behaviour.NEAR_TEXT} & s.behaviours:
        texts = frame.select("row", "account", normalise_text(pl.col("text")).alias("norm")).filter(
            (pl.col("norm") != "") & (pl.col("norm").str.count_matches(" ") + 1 >= max(s.min_text_words, 1))
        )
        add(Behaviour.TEXT, texts, "norm")
        if Behaviour.NEAR_TEXT in s.behaviours and texts.height:
            texts = texts.with_columns(pl.col("norm").hash(seed=s.seed).alias("dockey"))
            unique = texts.select("dockey", "norm").unique("dockey").sort("dockey").with_row_index("doc")
            docs = texts.select("row", "dockey").join(unique.select("dockey", "doc"), on="dockey").select("row", "doc")
            shingles = _shingles(unique, s.shingle_size, s.seed)
            n_perm = s.bands * s.rows_per_band
            sig = _signatures(shingles["doc"].to_numpy(), shingles["sh"].to_numpy(), unique.height, n_perm, s.seed)
            bands = _band_keys(sig, s.bands, s.rows_per_band)
            buckets = pl.DataFrame({"doc": np.repeat(np.arange(unique.height, dtype=np.uint32), s.bands), "key": bands.ravel()})
            # A bucket holding one distinct text adds nothing that identical-text matching does not.
            shared = buckets.group_by("key").len().filter(pl.col("len") > 1).select("key")
            buckets = buckets.join(shared, on="key")
            near = docs.join(buckets, on="doc").join(base, on="row").select(
                "row", "account", pl.lit(_CODE[Behaviour.NEAR_TEXT], pl.Int8).alias("kind"), "key"
            )
            if near.height:
                parts.append(near)
    if not parts:
        return pl.DataFrame(schema={"row": pl.UInt32, "account": pl.String, "kind": pl.Int8, "key": pl.UInt64}), docs, shingles
    shares = pl.concat(parts).unique(["row", "kind", "key"])
    if s.max_object_accounts is not None:
        popular = shares.group_by("kind", "key").agg(pl.col("account").n_unique().alias("n")).filter(pl.col("n") > s.max_object_accounts)
        shares = shares.join(popular.select("kind", "key"), on=["kind", "key"], how="anti")
    return shares, docs, shingles


def _pairs(frame: pl.DataFrame, shares: pl.DataFrame, docs, shingles, s: Settings) -> pl.DataFrame:
    """Co-actions ``(ri, rj, kind, key)``: two different rows sharing an object within the window;
    near-identical text only where the exact Jaccard similarity reaches the threshold."""
    if shares.height < 2:
        return pl.DataFrame(schema={"ri": pl.UInt32, "rj": pl.UInt32, "kind": pl.Int8, "key": pl.UInt64})
    # Object identity = (kind, key); fold the kind into the key's group number.
    obj = shares.select(pl.struct("kind", "key").rank("dense").alias("o"))["o"].to_numpy()
    times = frame["time"].to_numpy()
    rows = shares["row"].to_numpy()
    i, j = window_pairs(obj, times[rows], s.window)
    pairs = pl.DataFrame({"ri": rows[i], "rj": rows[j], "kind": shares["kind"].to_numpy()[i], "key": shares["key"].to_numpy()[i]})
    pairs = pairs.filter(pl.col("ri") != pl.col("rj"))
    near_code = _CODE[Behaviour.NEAR_TEXT]
    if docs is not None and pairs.filter(pl.col("kind") == near_code).height:
        near = (
            pairs.filter(pl.col("kind") == near_code)
            .join(docs.rename({"row": "ri", "doc": "di"}), on="ri")
            .join(docs.rename({"row": "rj", "doc": "dj"}), on="rj")
            .with_columns(pl.min_horizontal("di", "dj").alias("da"), pl.max_horizontal("di", "dj").alias("db"))
        )
        distinct = near.filter(pl.col("da") != pl.col("db")).select("da", "db").unique()
        sims = _jaccard(distinct, shingles).filter(pl.col("jaccard") >= s.similarity).select("da", "db")
        same = near.filter(pl.col("da") == pl.col("db"))
        ok = pl.concat([same.select(pairs.columns), near.join(sims, on=["da", "db"]).select(pairs.columns)])
        pairs = pl.concat([pairs.filter(pl.col("kind") != near_code), ok])
    return pairs.unique(["ri", "rj", "kind", "key"])


def _components(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """Connected-component label (the smallest member) for nodes ``0..n-1``: min-label propagation
    with pointer jumping, all in numpy."""
    labels = np.arange(n)
    while True:
        low = np.minimum(labels[a], labels[b])
        new = labels.copy()
        np.minimum.at(new, a, low)
        np.minimum.at(new, b, low)
        while True:
            jumped = new[new]
            if np.array_equal(jumped, new):
                break
            new = jumped
        if np.array_equal(new, labels):
            return labels
        labels = new


# --------------------------------------------------------------------------- the whole run


def detect(actions: pl.DataFrame | Iterable[Action | dict], settings: Settings | None = None) -> Detection:
    """Find coordinated campaigns in ``actions``. Deterministic: the order of the input rows never matters."""
    s = settings or Settings()
    frame = action_frame(actions)
    stats = {"actions": frame.height}
    shares, docs, shingles = _shares(frame, s)
    stats["shares"] = shares.height
    pairs = _pairs(frame, shares, docs, shingles, s)
    stats["co_actions"] = pairs.height

    # Accounts as integers in sorted-name order, so every tie below breaks the same way every time.
    names = frame["account"].unique().sort()
    code_of = pl.DataFrame({"account": names, "code": np.arange(len(names), dtype=np.int64)})
    row_code = frame.select("row", "account").join(code_of, on="account").sort("row")["code"].to_numpy()
    pr = pairs.select("ri", "rj", "kind").with_columns(
        pl.Series("ai", row_code[pairs["ri"].to_numpy()]), pl.Series("aj", row_code[pairs["rj"].to_numpy()])
    )
    if not s.loops:
        pr = pr.filter(pl.col("ai") != pl.col("aj"))

    directed = pl.concat([
        pr.select(pl.col("ai").alias("src"), pl.col("aj").alias("dst"), pl.col("ri").alias("msg")),
        pr.select(pl.col("aj").alias("src"), pl.col("ai").alias("dst"), pl.col("rj").alias("msg")),
    ]).unique()
    # CooRTweet's participation: coordinated messages per account.
    active = directed.group_by("src").agg(pl.col("msg").n_unique().alias("n")).filter(pl.col("n") >= s.min_account_actions).select(pl.col("src").alias("code"))
    directed = directed.join(active, left_on="src", right_on="code").join(active, left_on="dst", right_on="code")
    weights = directed.group_by("src", "dst").len("w")
    stats["directed_edges_before_threshold"] = weights.height
    directed_edges = weights.filter(pl.col("w") >= s.min_edge_weight).height

    und = (
        weights.with_columns(pl.min_horizontal("src", "dst").alias("a"), pl.max_horizontal("src", "dst").alias("b"))
        .group_by("a", "b")
        .agg(
            pl.col("w").filter(pl.col("src") == pl.col("a")).sum().alias("w_ab"),
            pl.col("w").filter(pl.col("src") != pl.col("a")).sum().alias("w_ba"),
        )
        .with_columns(pl.max_horizontal("w_ab", "w_ba").alias("weight"))
        .with_columns(pl.when(pl.col("a") == pl.col("b")).then(pl.col("w_ab")).otherwise(pl.col("w_ba")).alias("w_ba"))
        .filter(pl.col("weight") >= s.min_edge_weight)
        .sort("a", "b")
    )
    pr = pr.with_columns(pl.min_horizontal("ai", "aj").alias("a"), pl.max_horizontal("ai", "aj").alias("b"))
    kept = pr.join(und.select("a", "b"), on=["a", "b"])
    times = frame["time"].to_numpy()
    kept = kept.with_columns(
        pl.Series("ti", times[kept["ri"].to_numpy()]), pl.Series("tj", times[kept["rj"].to_numpy()])
    )
    per_edge = kept.group_by("a", "b").agg(
        pl.col("kind").unique().sort().alias("kinds"),
        pl.min_horizontal("ti", "tj").min().alias("first"),
        pl.max_horizontal("ti", "tj").max().alias("last"),
    )
    und = und.join(per_edge, on=["a", "b"]).sort("a", "b")
    stats["edges"] = und.height

    name = names.to_list()
    edges = tuple(
        Edge(name[r["a"]], name[r["b"]], int(r["weight"]), int(r["w_ab"]), int(r["w_ba"]), tuple(_BEHAVIOURS[k].value for k in r["kinds"]), float(r["first"]), float(r["last"]))
        for r in und.iter_rows(named=True)
    )
    campaigns = _campaigns(frame, kept, und, name, s)
    stats["campaigns"] = len(campaigns)
    return Detection(campaigns=campaigns, edges=edges, directed_edges=directed_edges, stats=stats)


def _campaigns(frame: pl.DataFrame, kept: pl.DataFrame, und: pl.DataFrame, name: list[str], s: Settings) -> tuple[Campaign, ...]:
    if und.height == 0:
        return ()
    a = und["a"].to_numpy()
    b = und["b"].to_numpy()
    label = _components(a, b, len(name))
    und = und.with_columns(pl.Series("c", label[a]))
    kept = kept.with_columns(pl.Series("c", label[kept["a"].to_numpy()]))
    members = (
        pl.concat([und.select("c", pl.col("a").alias("code")), und.select("c", pl.col("b").alias("code"))]).unique()
    )
    msgs = pl.concat([kept.select("c", pl.col("ri").alias("row")), kept.select("c", pl.col("rj").alias("row"))]).unique().join(
        frame.select("row", "message_id", "time", "candidate", "constituency", "force"), on="row"
    )
    by_c_edges = und.group_by("c").agg(pl.len().alias("edges"), pl.col("weight").sum().alias("total"), pl.col("kinds").list.explode(keep_nulls=False, empty_as_null=False).unique().sort().alias("kinds"))
    by_c_members = members.group_by("c").agg(pl.col("code").sort().alias("codes"))

    def values(col: str) -> pl.Expr:
        return pl.col(col).filter(pl.col(col) != "").unique().sort().alias(col)

    by_c_msgs = msgs.group_by("c").agg(
        pl.col("message_id").unique().sort(), values("candidate"), values("constituency"), values("force"),
        pl.col("time").min().alias("first"), pl.col("time").max().alias("last"),
    )
    table = by_c_edges.join(by_c_members, on="c").join(by_c_msgs, on="c")
    evidence_rows = (
        kept.sort("c", "ti", "tj", "ri", "rj", "kind").group_by("c", maintain_order=True).head(s.evidence_per_campaign)
    )
    evidence: dict[int, list[Evidence]] = {}
    looked_up = frame.select("row", "account", "message_id", "time", "text", "urls", "hashtags", "reply_to", "repost_of", "observables")
    detail = evidence_rows.join(looked_up.rename(lambda c: c + "_i"), left_on="ri", right_on="row_i").join(
        looked_up.rename(lambda c: c + "_j"), left_on="rj", right_on="row_j"
    ).sort("c", "ti", "tj", "ri", "rj", "kind")
    for r in detail.iter_rows(named=True):
        kind = _BEHAVIOURS[r["kind"]]
        evidence.setdefault(r["c"], []).append(
            Evidence(kind.value, _shared_label(kind, r), r["account_i"], r["message_id_i"], r["time_i"], r["account_j"], r["message_id_j"], r["time_j"])
        )
    campaigns = []
    for r in table.iter_rows(named=True):
        n = len(r["codes"])
        density = 1.0 if n < 2 else min(1.0, r["edges"] / (n * (n - 1) / 2))
        campaigns.append(
            Campaign(
                id="",
                accounts=tuple(name[c] for c in r["codes"]),
                message_ids=tuple(r["message_id"]),
                constituencies=tuple(r["constituency"]),
                forces=tuple(r["force"]),
                candidates=tuple(r["candidate"]),
                behaviours=tuple(_BEHAVIOURS[k].value for k in r["kinds"]),
                first_time=float(r["first"]),
                last_time=float(r["last"]),
                edges=int(r["edges"]),
                total_weight=int(r["total"]),
                score=round(r["total"] * density, 6),
                evidence=tuple(evidence.get(r["c"], ())),
            )
        )
    campaigns.sort(key=lambda c: (-c.score, -len(c.accounts), c.accounts))
    width = len(str(len(campaigns)))
    return tuple(
        Campaign(**{**{f.name: getattr(c, f.name) for f in fields(Campaign)}, "id": f"C{i:0{width}d}"}) for i, c in enumerate(campaigns, start=1)
    )


def _shared_label(kind: Behaviour, r: dict) -> str:
    """What was shared, in words, for one piece of evidence."""
    if kind in (Behaviour.TEXT, Behaviour.NEAR_TEXT):
        text = r["text_i"] if kind is Behaviour.TEXT else f"{r['text_i']} ~ {r['text_j']}"
        return text if len(text) <= 200 else text[:199] + "…"
    if kind is Behaviour.REPOST:
        return r["repost_of_i"]
    if kind is Behaviour.REPLY:
        return r["reply_to_i"]
    column = {Behaviour.URL: "urls", Behaviour.OBSERVABLE: "observables", Behaviour.HASHTAG: "hashtags"}[kind]
    common = sorted(set(r[column + "_i"] or ()) & set(r[column + "_j"] or ()))
    if kind is Behaviour.HASHTAG and not common:
        tags = lambda t: {w.lower().lstrip("#") for w in (t or "").split() if w.startswith("#")}  # noqa: E731
        common = sorted(tags(r["text_i"]) & tags(r["text_j"]))
    return ", ".join(common) if common else kind.label


__all__ = ["Action", "Behaviour", "COLUMNS", "Campaign", "Detection", "Edge", "Evidence", "Settings", "action_frame", "detect", "normalise_text", "window_pairs"]
