"""Finding accounts that act together: the same thing shared by different accounts within seconds.

The question from the Home Office was whether people harassing candidates in different
constituencies are working together. One co-action is weak evidence (two people can retweet the
same post in the same minute by chance); many co-actions between the same accounts are not. This
engine therefore follows the coordination-network literature (the QUT coordination-network-toolkit,
CooRTweet, Pacheco et al. 2021).

The stages, exactly (a port, such as ``coordination_spark``, must produce the same result; how each
stage is computed here is an implementation detail, what it yields is not):

0. **Actions.** :func:`action_frame`: one row per action with the columns of :data:`COLUMNS`; a
   message without an id is named ``row-<position>``. Accounts are numbered in sorted-name order.
1. **Objects.** Each action shares objects, each with a *behaviour* (the pair is the object):
   ``repost``/``reply``: ``repost_of``/``reply_to`` when not empty; ``url``, ``observable``,
   ``image``: each distinct non-empty value of ``urls``, ``observables``, ``images``; ``domain``
   (not a default behaviour): the host of each URL in ``urls`` (:func:`domain_of`: lower case, no
   scheme, user, port, path or leading ``www.``; values whose host has no dot have none) plus each
   value of ``domains`` in lower case; ``hashtag``: ``hashtags`` plus every ``#\\w+`` in ``text``,
   lower case, without ``#``; ``text``: the normalised text (:func:`normalise_text`) when it has at
   least ``max(min_text_words, 1)`` words (words = the normalised text split on single spaces) and
   the action is not a repost (``repost_of`` empty: a repost's text is the original's).
2. **Popularity.** An object shared by more than ``max_object_accounts`` distinct accounts (over the
   whole input, every time; off by default since issue 13) is dropped: a stock phrase, a viral post, a popular candidate's post says
   nothing about coordination. (This is CooRTweet's and Pacheco et al.'s down-weighting of popular
   objects in its simplest form: weight 0 above the cap, 1 below.)
2b. **Crowds.** With ``max_crowd`` (default 100) and a window above 0, an object (a kept one, per
   behaviour) that has more than ``max_crowd`` shares in some time bucket ``floor(t / window)`` and
   the two next to it is dropped whole (:func:`crowd_totals`): a debate-night hashtag, a popular
   post's first minute.
3. **Co-actions.** Two different rows ``i``, ``j`` co-act with behaviour ``b`` when they share a
   kept object of behaviour ``b`` and ``max(t_i, t_j) <= min(t_i, t_j) + window`` (the addition
   rounded once as a double). **Near-identical text**: rows ``i``, ``j`` whose texts are eligible for
   ``text`` (stage 1) and not dropped as popular (stage 2), whose normalised texts differ, within
   the window, with Jaccard similarity ``|A ∩ B| / |A ∪ B| >= similarity`` of their sets of
   shingles (runs of ``shingle_size`` words; a text shorter than that is the one shingle made of its
   first word). This is exact: prefix filtering (rarest tokens first) finds every candidate, a
   bitmap bound discards most impossible ones, and every remaining one is checked; there is no
   MinHash guesswork, so a similar pair is never missed. A co-action is the set ``{i, j}`` with its
   behaviour; the same pair may co-act through several behaviours.
4. **Loops.** A co-action of an account with itself is dropped unless ``loops``.
4b. **Significance** (unless ``fdr`` is None): pairs of different accounts whose co-actions chance
   explains are dropped, with all their co-actions; :func:`significance` defines the null model, the
   p-values and the Benjamini–Hochberg cut exactly (loops, when kept, are not tested). Content shares of a thing that is
   *usual* at that time (posted that hour, in runs no larger than the share's own, more often than in
   its run: a stock phrase, :func:`usual_copies`) form null classes of their own.
5. **Directed weights.** Each co-action ``{i, j}`` gives ``(account_i → account_j, message i)`` and
   ``(account_j → account_i, message j)``. **Participation** (CooRTweet's ``min_participation``): an
   account is *active* when it is the source of at least ``min_account_actions`` distinct messages;
   only pairs of active accounts are kept. ``weight(u → v)`` = the number of distinct messages of
   ``u`` among them (the toolkit's ``count(distinct message_id)``); ``directed_edges`` counts those
   with ``weight >= min_edge_weight`` (the toolkit's edge count).
6. **Edges.** The undirected edge ``{a, b}`` (``a <= b`` by name) weighs ``max(weight(a → b),
   weight(b → a))`` and survives when that is at least ``min_edge_weight``; its behaviours and time
   span come from the co-actions of its pair.
7. **Campaigns** are the connected components of the surviving edges, each split into dense
   communities when they are clearly apart (:func:`campaign_labels`; edges between two campaigns
   belong to neither), with their accounts, the messages of the co-actions on their edges, constituencies, police forces, candidates, time span,
   evidence (the ``evidence_per_campaign`` earliest co-actions, ordered by time, then message id,
   each written earlier message first) and a score (total edge weight × edge density), ordered by
   score, then size, then accounts, and numbered ``C1``, ``C2``, … in that order. Shuffling the
   input rows never changes the output (given message ids).
7b. **Campaigns chance explains** (unless ``fdr`` is None): a campaign whose links, as many as it has at
   each p-value, are what chance gives somewhere among all the pairs tested (:func:`campaign_chance`
   above ``fdr``) is not reported; its links stay in the edge list, in no campaign
   (:func:`campaigns_chance_explains`).
8. **Kind.** A campaign is ``scheduled`` when more than half of its members post on a timer, judged
   from every posting time of each member in the input (:mod:`.automation`: a test per account at a
   controlled error), else ``coordinated``; a scheduled campaign's explanation starts with its timer.

Input is a Polars frame with the columns in :data:`COLUMNS` (missing ones are filled in), or an
iterable of :class:`Action`. Pure Python + numpy + Polars: no Django. A million messages take
8 to 15 s wall, 11 to 21 CPU-seconds and at most 1.4 GB with the significance test on a quiet 2-core machine (three generators; docs/coordination.md, "Fifth round"); ten million took 409 s and 11.6 GB; large inputs are compared in time slices so
memory stays bounded.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import polars as pl

from .automation import COORDINATED, Timer, classify, member_times


class Behaviour(str, enum.Enum):
    """What two accounts did alike. The value is the code used in frames and output files."""

    TEXT = "text"
    NEAR_TEXT = "near_text"
    URL = "url"
    HASHTAG = "hashtag"
    REPLY = "reply"
    REPOST = "repost"
    OBSERVABLE = "observable"
    DOMAIN = "domain"
    IMAGE = "image"

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
            "domain": "links to the same website",
            "image": "the same image",
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
    "domains": pl.List(pl.String()),
    "images": pl.List(pl.String()),
}
"""The action frame: one row per action. ``time`` is in seconds (any consistent origin)."""

_LIST_COLUMNS = ("urls", "hashtags", "observables", "domains", "images")
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
    domains: tuple[str, ...] = ()
    """Web sites linked to, when known without the URL (hosts of ``urls`` are added automatically)."""
    images: tuple[str, ...] = ()
    """Image identities, e.g. perceptual hashes: the same value means the same picture."""


FDR_OFF = frozenset({"off", "none", "0"})


def parse_fdr(text: object) -> float | None:
    """A false-discovery rate as people write it (command lines, settings): ``off``, ``none`` or ``0``
    skip the significance test (None); anything else must be a rate strictly between 0 and 1. Raises
    ``ValueError`` with a message that says so."""
    value = str(text).strip().lower()
    if value in FDR_OFF:
        return None
    try:
        rate = float(value)
    except ValueError:
        rate = -1.0
    if not 0 < rate < 1:
        raise ValueError(f"{text!r} is not a false-discovery rate: give a rate between 0 and 1, e.g. 0.001, or 'off'")
    return rate


@dataclass(frozen=True)
class Settings:
    """How to detect. Defaults suit replies to candidates; the toolkit's behaviour is
    ``Settings(min_edge_weight=1, min_account_actions=1, max_object_accounts=None, min_text_words=0)``."""

    window: float = 60.0
    """Two shares are co-actions when ``|Δt| ≤ window`` seconds."""
    similarity: float = 0.7
    """Minimum Jaccard similarity of word-shingle sets for near-identical text. 0.7 since issue 13: when
    each member of a group edits a slogan of about a dozen words by one word, two members' texts differ
    by two words each way and fall below 0.8 (the stress corpus's near-duplicate groups, 3 of 12, were
    missed at 0.8); chance pairs that a lower threshold lets in are the significance test's to drop.
    Lower still (0.6) costs twice the time and memory at 1,000,000 messages."""
    behaviours: frozenset[Behaviour] = frozenset(Behaviour) - {Behaviour.DOMAIN, Behaviour.REPLY}
    """Default: everything but ``domain`` (a news site is linked by everyone) and ``reply``; ask for
    either explicitly. Replying to the same post within the window is what a popular candidate's
    followers do: on three corpora written by three people (the project generator, the stress corpus,
    the independent held-out corpus) co-reply edges were 0 to 8% inside planted groups and linked
    almost none of their pairs, while on the held-out corpus they drew in most background accounts
    (superfans and busy repliers; 300,000 messages, seeds 1/2/3: 59/30/50 background accounts with
    ``reply``, 5/7/7 without, every group found either way; the other two corpora unchanged). A
    pile-on that shares words, a link or a hashtag is still found by those."""
    min_edge_weight: int = 2
    """Two or more co-actions: one coincidence is not a pattern (and a course of conduct needs two occasions)."""
    min_account_actions: int = 2
    """An account must take part in at least this many coordinated messages (CooRTweet's min_participation)."""
    max_object_accounts: int | None = None
    """Objects shared by more accounts than this over the whole input are ignored; None (the default)
    keeps all. A whole-span count punishes the campaigns that come back (a slogan reused by several
    groups on different days), so noise is controlled by ``fdr`` instead; the cap stays for the
    QUT toolkit's behaviour and for analysts who want it."""
    fdr: float | None = 0.001
    """Significance (stage 4b): keep only account pairs whose co-actions chance explains poorly, at this
    false-discovery rate (Benjamini–Hochberg over every pair that co-acted); and (stage 7b) report only
    campaigns whose chance bound (:func:`campaign_chance`, an approximate probability that chance links
    alone make such a campaign) is at most this (:func:`campaigns_chance_explains`). None skips both."""
    null_block: float = 3600.0
    """Seconds per time block of the null model: an account's activity and a behaviour's share and
    co-action counts are measured per block (at least ``window``), so a reply storm or a debate
    night raises the chance expectation only when and where it happens."""
    min_text_words: int = 3
    """Texts with fewer words ("well said", "resign") are never compared."""
    loops: bool = False
    """Keep an account's co-actions with itself (two messages of the same account within the window)."""
    shingle_size: int = 1
    """Words per shingle. 1 (word sets) matches the toolkit's similarity and tolerates small edits in short posts."""
    max_crowd: int | None = 100
    """An object that at some moment drew a crowd of more than this many shares (in a ``window``-second
    time bucket and the two next to it) is not paired at all (stage 2b): a debate-night hashtag, a
    popular candidate's post in its first minute. In a crowd that size every participant meets every
    other by chance, so its co-actions carry next to no evidence, and there would be tens of millions
    of them (1,000,000 messages of the project generator: 40 million co-actions and 17.8 GB with a
    limit of 1,000 that drops only the crowded moments; 0.5 million and 1.4 GB with this one). A
    slogan that groups reuse on other days, or ordinary people post at other times, is not affected:
    what counts is the crowd at one moment. None pairs every share."""
    seed: int = 20240704
    evidence_per_campaign: int = 3

    def __post_init__(self) -> None:
        if self.window < 0:
            raise ValueError("window must be zero or more seconds")
        if not 0 < self.similarity <= 1:
            raise ValueError("similarity must be in (0, 1]")
        if self.min_edge_weight < 1 or self.min_account_actions < 1:
            raise ValueError("min_edge_weight and min_account_actions must be at least 1")
        if self.fdr is not None and not 0 < self.fdr < 1:
            raise ValueError("fdr must be in (0, 1), or None to skip the significance test")
        if not self.null_block > 0:
            raise ValueError("null_block must be more than zero seconds")
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
    co_actions: int = 0
    """Co-actions of the pair (distinct pairs of messages, every behaviour)."""
    expected: float | None = None
    """Co-actions chance would give this pair (the null model of :func:`significance`, summed over
    behaviours); None when the significance test is skipped (``fdr=None``)."""
    p_value: float | None = None
    """Probability of this many co-actions or more by chance (the smallest over the pair's cells, times
    their number); None when the significance test is skipped."""


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
    co_actions: tuple[tuple[str, int, float], ...] = ()
    """Per behaviour, ``(behaviour, co-actions on the campaign's edges, co-actions chance would give)``."""
    p_value: float | None = None
    """The weakest link: the largest p-value of the campaign's edges (None without the significance test)."""
    explanation: str = ""
    """Why this is a campaign, in plain English."""
    kind: str = COORDINATED
    """``coordinated`` (people acting together) or ``scheduled`` (most members post on a timer: scheduled
    software); decided by :func:`.automation.classify` from the members' posting times."""
    timer: Timer | None = None
    """The timer most members follow, for a ``scheduled`` campaign; None otherwise."""


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
            schema={"account_a": pl.String, "account_b": pl.String, "weight": pl.Int64, "weight_ab": pl.Int64, "weight_ba": pl.Int64, "behaviours": pl.String, "first_time": pl.Float64, "last_time": pl.Float64,
                    "co_actions": pl.Int64, "expected": pl.Float64, "p_value": pl.Float64},
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
    frame = frame.with_row_index("row")
    if (frame["message_id"] == "").any():
        frame = frame.with_columns(
            pl.when(pl.col("message_id") == "").then(pl.format("row-{}", pl.col("row"))).otherwise(pl.col("message_id")).alias("message_id")
        )
    return frame


def normalise_text(texts: pl.Expr) -> pl.Expr:
    """Lower case, links and @mentions removed, punctuation to spaces, runs of spaces collapsed:
    differences that do not change what a message says must not hide a copy."""
    # Same result as replacing every run of [^\w#] by one space, but a run made only of one ordinary
    # space (the common case) is never matched, which makes it several times faster.
    return (
        texts.str.to_lowercase()
        .str.replace_all(_URL_RE, " ")
        .str.replace_all(_MENTION_RE, " ")
        .str.replace_all(r"[^\w#\s]+", " ")
        .str.replace_all(r"\s{2,}|[^\S ]", " ")
        .str.strip_chars()
    )


# --------------------------------------------------------------------------- the sliding window


def window_pair_steps(objects: np.ndarray, times: np.ndarray, window: float) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The pairs of :func:`window_pairs`, one batch per step of the lock-step walk (each batch at most
    one pair per share), so that a caller can filter each batch before keeping it and memory follows
    what it keeps, not every candidate.

    Sorted by (object, time), the partners of share ``i`` are the run after it up to the last share of
    the same object with time ≤ t_i + W. Rather than search for that end, the run is walked in
    lock-step for all shares at once: step ``k`` keeps the shares whose ``k``-th successor is still
    the same object and still inside the window, so the work is the number of pairs plus the number
    of shares, and no pair across a time-bucket boundary can be lost (there are no buckets).
    """
    n = len(times)
    if n < 2:
        return
    objects = np.asarray(objects)
    times = np.asarray(times, dtype=np.float64)
    order = pl.DataFrame({"o": objects, "t": times}).select(pl.arg_sort_by("o", "t"))["o"].to_numpy().astype(np.int64)
    obj = objects[order]
    t = times[order]
    limit = t + window
    active = np.arange(n - 1)
    k = 1
    while active.size:
        partner = active + k
        ok = (obj[partner] == obj[active]) & (t[partner] <= limit[active])
        active = active[ok]
        if not active.size:
            break
        yield order[active], order[active + k]
        k += 1
        active = active[active + k < n]


def window_pairs(objects: np.ndarray, times: np.ndarray, window: float) -> tuple[np.ndarray, np.ndarray]:
    """Every pair ``(i, j)``, ``i != j``, with ``objects[i] == objects[j]`` and ``max(t) ≤ min(t) + window``
    (``t_i + W`` rounded once as a double: the engine's ``|Δt| ≤ W``), each unordered pair once, as two
    index arrays into the inputs (how they are found: :func:`window_pair_steps`)."""
    firsts: list[np.ndarray] = []
    seconds: list[np.ndarray] = []
    for first, second in window_pair_steps(objects, times, window):
        firsts.append(first)
        seconds.append(second)
    if not firsts:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(firsts), np.concatenate(seconds)


# --------------------------------------------------------------------------- near-identical text


def _tokens(norm: pl.Series, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(doc, token)``: for each text (its position in ``norm``) the 64-bit hashes of its runs of
    ``size`` words (a text shorter than ``size`` words is one token: its first word). Not unique."""
    words = norm.str.split(" ").list.eval(pl.element().hash(seed=seed))
    lengths = words.list.len().to_numpy()
    h = words.explode().to_numpy().astype(np.uint64, copy=False)
    del words
    doc = np.repeat(np.arange(len(norm), dtype=np.int32), lengths)
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
            with np.errstate(over="ignore"):
                combined = combined * np.uint64(0x9E3779B97F4A7C15) ^ shifted
        starts = np.concatenate(([True], doc[1:] != doc[:-1]))
        has_any = np.zeros(len(norm), bool)
        has_any[doc[valid]] = True
        keep = valid | (starts & ~has_any[doc])
        h = np.where(valid, combined, h)[keep]
        doc = doc[keep]
    return doc, h


def jaccard(a: set, b: set) -> float:
    """The similarity the engine uses: ``|a ∩ b| / |a ∪ b|`` (0 for two empty sets)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def _bitmaps(doc: np.ndarray, token: np.ndarray, n: int, words: int = 4) -> np.ndarray:
    """``(n, words)`` uint64: for each text, the XOR of one bit per token (bit chosen by a hash of the
    token). ``doc`` must be sorted and ``(doc, token)`` unique."""
    out = np.zeros((n, words), np.uint64)
    if not len(doc):
        return out
    with np.errstate(over="ignore"):
        bit = ((token.astype(np.uint32) * np.uint32(0x9E3779B1)) >> np.uint32(24)).astype(np.uint8)  # 0..255
    starts = np.flatnonzero(np.concatenate(([True], doc[1:] != doc[:-1])))
    present = doc[starts]
    zero = np.uint64(0)
    for w in range(words):
        values = np.where((bit >> 6) == w, np.left_shift(np.uint64(1), (bit & 63).astype(np.uint64)), zero)
        out[present, w] = np.bitwise_xor.reduceat(values, starts)
        del values
    return out


def _expand_runs(keys: np.ndarray, start: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(owner, row)``: for each position ``k`` of ``keys``, the rows ``start[g] .. start[g] + count[g] - 1``
    of ``g = keys[k]`` in a table sorted by key (a text's tokens, an account's share counts), each tagged
    with ``k``."""
    n = count[keys]
    owner = np.repeat(np.arange(len(keys), dtype=np.int64), n)
    row = np.repeat(start[keys] - (np.cumsum(n) - n), n) + np.arange(int(n.sum()), dtype=np.int64)
    return owner, row


def _near_pairs(norm: pl.Series, rows: np.ndarray, text_key: np.ndarray, times: np.ndarray, s: Settings,
                anchor_before: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``(a, b)`` among ``rows`` (texts ``norm``, in the same order) whose texts differ but have
    word-shingle Jaccard similarity ≥ ``s.similarity``, within the window. Exact: candidates come from
    prefix filtering, which cannot miss a pair, and every candidate is checked.

    Prefix filtering (Chaudhuri et al. 2006; Bayardo et al. 2007): order all tokens by how often they
    occur (rarest first, ties by hash). If J(x, y) ≥ t then |x ∩ y| ≥ ⌈t·|x|⌉, so x and y share a
    token among the first ``|x| − ⌈t·|x|⌉ + 1`` of x's tokens in that order (its *prefix*) — and so do
    y's. Prefix tokens are objects for the sliding window like any other, rare ones by construction,
    so candidate pairs are few. Any fixed order gives the same pairs; frequency only makes it fast.
    With ``anchor_before``, only pairs whose earlier row is before that time are returned (time chunks).
    """
    empty = (np.empty(0, np.int64), np.empty(0, np.int64))
    if len(rows) < 2:
        return empty
    doc, h = _tokens(norm, s.shingle_size, s.seed)
    counts = pl.DataFrame({"h": h}).group_by("h").len()
    ranked = counts.sort("len", "h").with_row_index("rank")
    key = (
        pl.DataFrame({"h": h}).join(ranked.select("h", "rank"), on="h", how="left", maintain_order="left")["rank"]
        .to_numpy().astype(np.uint64)
    )
    del h, counts, ranked
    key |= doc.astype(np.uint64) << np.uint64(32)
    del doc
    key = pl.Series(key).sort().to_numpy()
    key = key[np.concatenate(([True], key[1:] != key[:-1]))]  # (doc, rank), sorted, each once
    halves = key.view(np.uint32).reshape(-1, 2)  # little-endian: [rank, doc]
    e = halves[:, 1].astype(np.int32)
    r = halves[:, 0].copy()
    del halves
    size = np.bincount(e, minlength=len(rows))
    start = np.cumsum(size) - size
    overlap = np.maximum(np.ceil(s.similarity * size - 1e-9), 1)  # a slightly long prefix is always safe
    prefix = (np.arange(len(key)) - start[e]) < (size - overlap + 1)[e]
    pe = e[prefix]
    # Cheap filters that never reject a similar pair, applied to each step's candidates before they
    # are kept (texts whose common words are all frequent, such as many short replies built from a
    # small vocabulary, make hundreds of millions of candidates, and keeping them all first cost
    # gigabytes): different texts, sizes within the ratio t, and the bitmap bound. Each text's tokens
    # are XORed into 256 bits; bits of tokens in both texts cancel, so popcount(bx ^ by) ≤ |x Δ y| and
    # |x ∩ y| ≤ (|x| + |y| − popcount(bx ^ by)) / 2 (Sandes et al. 2020), which must reach t/(1+t)·(|x|+|y|).
    bits = _bitmaps(e, r, len(rows))
    kept: list[np.ndarray] = []
    for i, j in window_pair_steps(r[prefix], times[rows[pe]], s.window):
        a, b = pe[i], pe[j]
        sa, sb = size[a], size[b]
        small, large = np.minimum(sa, sb), np.maximum(sa, sb)
        ok = (a != b) & (text_key[a] != text_key[b]) & (small >= s.similarity * large - 1e-9 * large)
        a, b, sa, sb = a[ok], b[ok], sa[ok], sb[ok]
        differ = sum(np.bitwise_count(bits[a, w] ^ bits[b, w]).astype(np.int64) for w in range(bits.shape[1]))
        need = s.similarity / (1 + s.similarity) * (sa + sb) - 1e-9 * (sa + sb)
        ok = (sa + sb - differ) / 2 >= need
        if anchor_before is not None:
            ok &= np.minimum(times[rows[a]], times[rows[b]]) < anchor_before
        a, b = a[ok], b[ok]
        kept.append(np.minimum(a, b).astype(np.uint64) << np.uint64(32) | np.maximum(a, b).astype(np.uint64))
    del pe, prefix
    if not kept:
        return empty
    pair = pl.Series(np.concatenate(kept)).unique().to_numpy()
    del kept
    a = (pair >> np.uint64(32)).astype(np.int64)
    b = (pair & np.uint64(0xFFFFFFFF)).astype(np.int64)
    sa, sb = size[a], size[b]
    if not len(a):
        return empty
    # Exact |x ∩ y|: look each token of the smaller text up in the other's sorted tokens.
    x = np.where(sa <= sb, a, b)
    y = np.where(sa <= sb, b, a)
    inter = np.zeros(len(a), np.int64)
    step = max(1, 20_000_000 // max(int(size.mean()), 1))
    for lo in range(0, len(a), step):  # bounded memory when candidates are many
        xs, ys = x[lo: lo + step], y[lo: lo + step]
        owner, token = _expand_runs(xs, start, size)
        q = (ys[owner].astype(np.uint64) << np.uint64(32)) | r[token].astype(np.uint64)
        at = np.minimum(np.searchsorted(key, q), len(key) - 1)
        inter[lo: lo + step] = np.bincount(owner, weights=key[at] == q, minlength=len(xs)).astype(np.int64)
    similar = inter / (sa + sb - inter) >= s.similarity
    return rows[a[similar]], rows[b[similar]]


# --------------------------------------------------------------------------- stages

NEAR_CHUNK_ROWS = 200_000
"""Near-identical text is found in time slices of about this many texts (overlapping by the window), so
memory stays bounded on large inputs; the result does not depend on it."""
NEAR_THREADS = min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
"""Threads that look for near-identical text in different time slices at once, from :data:`NEAR_THREADED_ROWS`
texts."""
NEAR_THREADED_ROWS = 4_000_000
"""Below this many texts the slices are few and a second thread buys nothing for its memory (held-out
corpus, 1,000,000 messages: 11.5 s and 1,418 MiB with one thread, 12.0 s and 1,513 MiB with two)."""
NORM_KEEP_ROWS = 2_000_000
"""Up to this many actions, normalised texts are kept between the identical- and near-text stages;
above it they are normalised again per slice (less memory, a little more time). Same result."""


def _object_pairs(rows: np.ndarray, keys: np.ndarray, account: np.ndarray, times: np.ndarray, s: Settings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Co-actions through shared objects: ``(ri, rj, popular)`` where ``rows[n]`` shares object ``keys[n]``.
    An object shared by more than ``max_object_accounts`` accounts is dropped (its keys are returned as
    ``popular``); one shared by a single account can only give loops, dropped unless ``loops``."""
    frame = pl.DataFrame({"r": rows.astype(np.int64), "k": keys.astype(np.uint64)}).filter(pl.col("k").is_duplicated())
    popular = np.empty(0, np.uint64)
    if frame.height and (s.max_object_accounts is not None or not s.loops):
        frame = frame.with_columns(pl.Series("a", account[frame["r"].to_numpy()]))
        accounts = frame.group_by("k").agg(pl.col("a").n_unique().alias("n"))
        keep = pl.lit(True) if s.loops else pl.col("n") >= 2
        if s.max_object_accounts is not None:
            popular = accounts.filter(pl.col("n") > s.max_object_accounts)["k"].to_numpy()
            keep = keep & (pl.col("n") <= s.max_object_accounts)
        frame = frame.join(accounts.filter(keep).select("k"), on="k", how="semi")
    if s.max_crowd is not None and s.window > 0 and frame.height > s.max_crowd:
        frame = frame.with_columns(pl.Series("b", np.floor(times[frame["r"].to_numpy()] / s.window).astype(np.int64)))
        crowded = crowd_totals(frame.select("k", "b")).filter(pl.col("crowd") > s.max_crowd)
        if crowded.height:
            frame = frame.join(crowded.select("k").unique(), on="k", how="anti")
        frame = frame.drop("b")
    r = frame["r"].to_numpy()
    i, j = window_pairs(frame["k"].to_numpy(), times[r], s.window)
    return r[i], r[j], popular


def crowd_totals(shares: pl.DataFrame) -> pl.DataFrame:
    """``(k, b, crowd)`` from one row per share ``(k, b)`` (object, bucket ``floor(t / window)``): how many
    shares of the object fall in the bucket and the two next to it, at least the number within the
    window on either side of any of its shares (the crowd guard's measure, stage 2b: an object whose
    crowd ever exceeds ``max_crowd`` is dropped whole)."""
    counts = shares.group_by("k", "b").len("c")
    return pl.concat([counts, counts.with_columns(pl.col("b") + 1), counts.with_columns(pl.col("b") - 1)]).group_by("k", "b").agg(
        pl.col("c").sum().alias("crowd"))


def _hash(column: pl.Expr, kind: Behaviour, s: Settings) -> pl.Expr:
    return column.hash(seed=s.seed + _CODE[kind])


def _list_shares(frame: pl.DataFrame, kind: Behaviour, values: pl.Expr, s: Settings) -> tuple[np.ndarray, np.ndarray]:
    """``(rows, keys)`` for a list-valued behaviour: each distinct non-empty value of each row."""
    exploded = (
        frame.select("row", values.list.unique().alias("v"))
        .filter(pl.col("v").list.len() > 0)
        .explode("v")
        .filter(pl.col("v").is_not_null() & (pl.col("v") != ""))
        .select("row", _hash(pl.col("v"), kind, s).alias("k"))
    )
    return exploded["row"].to_numpy(), exploded["k"].to_numpy()


_DOMAIN_RE = r"^(?:[a-z][a-z0-9+.\-]*://)?(?:[^@/?#]*@)?(?:www\.)?([^/:?#]+)"


def domain_of(urls: pl.Expr) -> pl.Expr:
    """The host of each URL in a list: lower case, without scheme, user, port, path or a leading ``www.``.
    Values without a dot in the host (opaque link ids, as in anonymised data) have no host and are left out."""
    host = pl.element().str.strip_chars().str.to_lowercase().str.extract(_DOMAIN_RE, 1)
    return urls.list.eval(host).list.eval(pl.element().filter(pl.element().str.contains(".", literal=True)))


def _simple_shares(frame: pl.DataFrame, s: Settings):
    """``(behaviour, rows, keys)`` for every behaviour except text: one object per shared value."""
    for kind, column in ((Behaviour.REPOST, "repost_of"), (Behaviour.REPLY, "reply_to")):
        if kind in s.behaviours:
            part = frame.filter(pl.col(column) != "").select("row", _hash(pl.col(column), kind, s).alias("k"))
            yield kind, part["row"].to_numpy(), part["k"].to_numpy()
    for kind, column in ((Behaviour.URL, "urls"), (Behaviour.OBSERVABLE, "observables"), (Behaviour.IMAGE, "images")):
        if kind in s.behaviours:
            yield (kind, *_list_shares(frame, kind, pl.col(column), s))
    if Behaviour.DOMAIN in s.behaviours:
        yield (Behaviour.DOMAIN, *_list_shares(frame, Behaviour.DOMAIN, domain_of(pl.col("urls")).list.concat(pl.col("domains").list.eval(pl.element().str.to_lowercase())), s))
    if Behaviour.HASHTAG in s.behaviours:
        has = frame.filter((pl.col("hashtags").list.len() > 0) | pl.col("text").str.contains("#", literal=True))
        tags = pl.col("hashtags").list.concat(pl.col("text").str.extract_all(r"#\w+")).list.eval(pl.element().str.to_lowercase().str.strip_chars_start("#"))
        yield (Behaviour.HASHTAG, *_list_shares(has, Behaviour.HASHTAG, tags, s))


def _text_pairs(frame: pl.DataFrame, account: np.ndarray, times: np.ndarray, s: Settings, stats: dict) -> tuple[list[tuple[np.ndarray, np.ndarray, int]], np.ndarray, np.ndarray]:
    """Identical-text and near-identical-text co-actions, the rows whose text is eligible and their texts' keys."""
    text = frame["text"]
    whole = frame.height <= NORM_KEEP_ROWS
    words = np.zeros(frame.height, np.int64)
    text_key = np.zeros(frame.height, np.uint64)
    kept_norm = []
    for lo in range(0, frame.height, NORM_KEEP_ROWS):
        norm = normalise_text_series(text.slice(lo, NORM_KEEP_ROWS))
        words[lo: lo + len(norm)] = (norm.str.count_matches(" ", literal=True) + 1).fill_null(0).to_numpy() * (norm != "").to_numpy()
        text_key[lo: lo + len(norm)] = norm.hash(seed=s.seed + _CODE[Behaviour.TEXT]).to_numpy()
        if whole:
            kept_norm.append(norm)
        del norm
    # A repost's text is the original post's ("RT @handle: …"), not words the reposter chose: reposting
    # together is the repost behaviour's evidence, and comparing the copies as text made every repost
    # of a popular post, and the post's author, look like a copy-paste group (and cost gigabytes).
    words[(frame["repost_of"] != "").to_numpy()] = 0
    eligible = np.flatnonzero(words >= max(s.min_text_words, 1))
    stats["shares_text"] = len(eligible)
    text_rows = eligible
    text_keys = text_key[eligible]
    ri, rj, popular = _object_pairs(eligible, text_key[eligible], account, times, s)
    out = []
    if Behaviour.TEXT in s.behaviours:
        out.append((ri, rj, _CODE[Behaviour.TEXT]))
    if Behaviour.NEAR_TEXT not in s.behaviours:
        return out, text_rows, text_keys
    if len(popular):  # a stock phrase is not compared with anything
        eligible = eligible[~np.isin(text_key[eligible], popular)]
    eligible = eligible[np.argsort(times[eligible], kind="stable")]
    t = times[eligible]
    bounds = np.unique(t[:: NEAR_CHUNK_ROWS])

    def slice_pairs(c: int) -> tuple[np.ndarray, np.ndarray]:
        low = bounds[c]
        high = bounds[c + 1] if c + 1 < len(bounds) else np.inf
        lo = int(np.searchsorted(t, low, side="left"))
        hi = int(np.searchsorted(t, high + s.window + max(abs(high), 1.0) * 1e-12, side="right")) if np.isfinite(high) else len(t)
        rows = eligible[lo:hi]
        norm = kept_norm[0].gather(rows) if whole else normalise_text_series(text.gather(rows))
        return _near_pairs(norm, rows, text_key[rows], times, s, anchor_before=high if np.isfinite(high) else None)

    # The slices are independent, and most of the work is NumPy on large arrays, which lets go of the
    # interpreter: on large inputs two threads use both cores of a small machine (held-out corpus,
    # 10,000,000 messages: 120 s to 72.5 s). Results are put together in slice order, so the output does
    # not depend on the threads.
    if NEAR_THREADS > 1 and len(eligible) >= NEAR_THREADED_ROWS:
        with ThreadPoolExecutor(max_workers=NEAR_THREADS) as pool:
            found = list(pool.map(slice_pairs, range(len(bounds))))
    else:
        found = [slice_pairs(c) for c in range(len(bounds))]
    parts_a = [np.empty(0, np.int64), *(a for a, _ in found)]
    parts_b = [np.empty(0, np.int64), *(b for _, b in found)]
    del found
    out.append((np.concatenate(parts_a), np.concatenate(parts_b), _CODE[Behaviour.NEAR_TEXT]))
    return out, text_rows, text_keys


def normalise_text_series(texts: pl.Series) -> pl.Series:
    return texts.to_frame("t").select(normalise_text(pl.col("t")))["t"]


# --------------------------------------------------------------------------- significance


def null_block(s: Settings) -> float:
    """The null model's block length: ``null_block``, and never shorter than the window (so a
    co-action's later share is at most one block after its earlier one)."""
    return max(s.null_block, s.window)


def block_shares(account: pl.Expr, time: pl.Expr, s: Settings) -> tuple[pl.Expr, pl.Expr]:
    """``(block, spill)`` expressions for shares: a share counts in its block ``floor(t / B)`` and, when
    it lies within the window of the block's start (``t - W < block·B``), in the block before as well,
    where it can be the later half of a co-action anchored there."""
    size = null_block(s)
    block = (time / size).floor().cast(pl.Int64)
    spill = (time - s.window) < block.cast(pl.Float64) * size
    return block, spill


CONTENT = frozenset({Behaviour.TEXT, Behaviour.NEAR_TEXT, Behaviour.URL, Behaviour.IMAGE, Behaviour.OBSERVABLE})
"""Behaviours that share content: what was said, linked or shown. The others (reply, repost, hashtag,
domain) say only where two accounts acted."""
CONTENT_CODES = [_CODE[b] for b in sorted(CONTENT, key=lambda b: _CODE[b])]

ALONE = 3
"""The crowd class of a share of a non-:data:`CONTENT` behaviour that co-acted with nobody. Co-actions
never involve such shares, so they count in no cell's activity ``M``: for replies, reposts and
hashtags, an account's ``π`` is its part of the shares made *in crowds* (of its crowd's size, see
:func:`share_class`). Identical text, a link or an
image shared alone stays in class 0 with the small crowds: there co-actions are rare, and measuring
activity among them alone would let a group's own burst be all the activity there is and explain
itself."""

SHARE_ROWS_PER_SLICE = 100_000
"""Pairs whose chance is summed over every cell at once (:func:`chance_everywhere`) are taken in slices whose
accounts have about this many rows of share counts in all: bounded memory, and the result does not
depend on it."""

CROWD_CLASSES = (64, 1024)
"""Crowd sizes at which an account's activity is counted apart: a share made in a crowd of fewer than 64
(alone, or among up to 63 others sharing the same thing within the window: every group the issue
describes, 5 to 40), of 64 to 1,023 (a reply storm), or of 1,024 or more (a debate-night flood). A
hyperactive replier is judged by how often it joins storms, not by how often it posts."""


def share_counts(shares: pl.DataFrame, s: Settings) -> pl.DataFrame:
    """``(account, kind, cls, block, n)`` from one row per share ``(account, kind, time, degree[, usual])`` (``degree``:
    the share's co-actions in that behaviour, loops included), spill-over included; ``cls`` is :func:`share_class`."""
    block, spill = block_shares(pl.col("account"), pl.col("time"), s)
    # Where sharing alone is not the norm to be compared against (a reply, a repost, a hashtag: see
    # ALONE), a share that met nobody is counted apart, and one that met others is counted with the
    # crowds of its size (share_class): an account that always replies in a popular post's first minute
    # is judged by how often it is in crowds like those, not by how often it posts.
    cls = share_class(pl.col("degree"), pl.col("kind"), pl.col("usual") if "usual" in shares.columns else None)
    with_block = shares.select("account", "kind", cls.alias("cls"), block.alias("block"), spill.alias("spill"), *(["n"] if "n" in shares.columns else []))
    both = pl.concat([
        with_block.select("account", "kind", "cls", "block"),
        with_block.filter(pl.col("spill")).select("account", "kind", "cls", (pl.col("block") - 1).alias("block")),
    ])
    if "n" in shares.columns:  # rows already counted (coordination_spark collects them so)
        both = pl.concat([
            with_block.select("account", "kind", "cls", "block", "n"),
            with_block.filter(pl.col("spill")).select("account", "kind", "cls", (pl.col("block") - 1).alias("block"), "n"),
        ])
        return both.group_by("account", "kind", "cls", "block").agg(pl.col("n").sum().cast(pl.UInt32))
    return both.group_by("account", "kind", "cls", "block").len("n")


def _round(values: pl.Expr) -> pl.Expr:
    """To 12 significant digits: sums whose order differs between engines (and Polars' threads) agree."""
    digits = (12 - values.abs().log10().floor() - 1).fill_nan(0).clip(-300, 300).cast(pl.Int32)
    return pl.when(values == 0).then(0.0).otherwise((values * pl.lit(10.0).pow(digits)).round(0) / pl.lit(10.0).pow(digits))


def poisson_tail(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """``P(X ≥ observed)`` for ``X ~ Poisson(expected)``: the regularised lower incomplete gamma
    function ``P(observed, expected)`` (1 when nothing was observed)."""
    from scipy.special import gammainc

    observed = np.asarray(observed, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    out = np.ones(len(observed))
    some = observed > 0
    out[some] = gammainc(observed[some], expected[some])
    return out


def benjamini_hochberg(p: np.ndarray, alpha: float, tests: int | None = None) -> np.ndarray:
    """Which hypotheses the Benjamini–Hochberg step-up rejects at false-discovery rate ``alpha``.
    ``tests`` (≥ ``len(p)``) counts hypotheses not listed, whose p-value is 1; they never change
    which listed ones are rejected except through the number of tests."""
    p = np.asarray(p, dtype=np.float64)
    m = max(tests if tests is not None else len(p), len(p))
    if not len(p):
        return np.zeros(0, bool)
    ordered = np.sort(p)
    passing = np.flatnonzero(ordered <= alpha * np.arange(1, len(p) + 1) / m)
    if not len(passing):
        return np.zeros(len(p), bool)
    return p <= ordered[passing[-1]]


def crowd_stratum(degree: pl.Expr) -> pl.Expr:
    """A co-action's *crowd* stratum: ``floor(log2(1 + d))`` where ``d = max(d_i, d_j)`` and ``d_i`` is how
    many co-actions of the same behaviour row ``i`` has (loops included): the size of the crowd that
    shared that thing at that moment, 1 for a pair alone, 8 for a crowd of about 500 replying to one post."""
    return (degree.cast(pl.Float64) + 1.0).log(2).floor().cast(pl.Int8)


def crowd_class(crowd: pl.Expr) -> pl.Expr:
    """0, 1 or 2: the class of a crowd size (1 + co-actions of a share) in :data:`CROWD_CLASSES`."""
    return (crowd >= CROWD_CLASSES[0]).cast(pl.Int8) + (crowd >= CROWD_CLASSES[1]).cast(pl.Int8)


CONTEXT_CLASS_BASE = 4
"""The first crowd class of a non-:data:`CONTENT` share that met someone: ``4 + floor(log2(crowd))``."""

CONTEXT_CLASS_BITS = 24
"""Crowds up to ``2**24`` shares are told apart (more would take a class of their own; none is that big)."""

CLASS_SPAN = CONTEXT_CLASS_BASE + CONTEXT_CLASS_BITS + 1
"""Crowd classes per side in a cell's code (every class is below it)."""


def usual_copies(shares: pl.DataFrame, s: Settings) -> pl.DataFrame:
    """``(row, kind, usual)``, ``usual`` 1 or 0, for every content share (:data:`CONTENT`) among ``shares`` = ``(row, kind, key,
    time)``, ``key`` the thing shared (for near-identical text, the text itself).

    The shares of one thing are chained into *runs* (ordered by time, each within ``window`` seconds of
    the previous one: a burst, however many accounts join it and however slowly). A share is *usual*
    when, in its null block (``floor(t / null_block)``), the shares of the other runs of the same thing
    that are no larger than its own run outnumber its run (``> size``): the thing is posted at that time
    more often by crowds no bigger than this one, apart from it, than in it. A stock phrase is posted
    in many small runs an hour, so even a storm of hyperactive repliers posting it at once is usual; a
    campaign's slogan is not, even one that some ordinary people post in the same hour (a few runs of
    one), that another group posts in the same hour (a larger run, not counted; a smaller one, fewer
    shares), or that the same group posts twice in one hour (equal runs: not more).
    A message that shares several things of one behaviour (two links) is usual in it when every one of
    them is. Shared with ``coordination_spark``, which computes the same with window functions. Only the
    usual ``(row, kind)`` are returned (``usual`` = 1), once each; every other content share is not usual."""
    content = shares.filter(pl.col("kind").is_in([_CODE[b] for b in CONTENT])).select("row", "kind", "key", "time")
    text, near = _CODE[Behaviour.TEXT], _CODE[Behaviour.NEAR_TEXT]
    # Near-identical text is drawn from the same shares as identical text, with the same keys: computed once.
    copy_near = bool((content["kind"] == text).any() and (content["kind"] == near).any())
    if copy_near:
        content = content.filter(pl.col("kind") != near)
    new_thing = (pl.col("kind") != pl.col("kind").shift(1)) | (pl.col("key") != pl.col("key").shift(1))
    new_run = new_thing | (pl.col("time") > pl.col("time").shift(1) + s.window)
    ordered = content.sort("kind", "key", "time", "row").select(
        "row", "kind", new_thing.fill_null(True).cum_sum().cast(pl.UInt32).alias("thing"), new_run.fill_null(True).cum_sum().cast(pl.UInt32).alias("run"),
        (pl.col("time") / null_block(s)).floor().cast(pl.Int64).alias("block"))
    del content
    ordered = ordered.with_columns(pl.len().over("run").cast(pl.UInt32).alias("burst"))
    # Per block, each run's shares there (``here``) and its whole size (``burst``); then, for each size, the
    # shares in the block of the runs no larger than it (ties included), from which a share's own run is taken away.
    runs = ordered.group_by("run", "block").agg(pl.col("thing").first(), pl.len().cast(pl.UInt32).alias("here"), pl.col("burst").first())
    upto = (runs.group_by("thing", "block", "burst").agg(pl.col("here").sum()).sort("thing", "block", "burst")
            .with_columns(pl.col("here").cum_sum().over("thing", "block").alias("upto")).drop("here"))
    usual = (runs.join(upto, on=["thing", "block", "burst"]).filter(pl.col("upto") - pl.col("here") > pl.col("burst")).select("run", "block"))
    # A message that shares several things of one behaviour (two links) is one share row for the co-actions
    # (its crowd degree counts them all): it is usual when every one of them is.
    things = ordered.group_by("row", "kind").len("things")
    out = (ordered.join(usual, on=["run", "block"], how="semi").group_by("row", "kind").len("usual_things")
           .join(things, on=["row", "kind"]).filter(pl.col("usual_things") == pl.col("things"))
           .select("row", "kind", pl.lit(1, pl.Int8).alias("usual")))
    if copy_near:
        out = pl.concat([out, out.filter(pl.col("kind") == text).with_columns(pl.lit(near, pl.Int8).alias("kind"))])
    return out


def share_class(degree: pl.Expr, kind: pl.Expr, usual: pl.Expr | None = None) -> pl.Expr:
    """The crowd class of a share with ``degree`` co-actions of behaviour code ``kind`` and ``usual``
    flag (:func:`usual_copies`; content only, 0 when not given). Content (:data:`CONTENT`):
    :func:`crowd_class` of ``degree + 1`` (0, 1, 2) plus 3 when its thing is usual: coarse in the crowd, so that a group's own
    burst (a crowd under 64) stays with the small crowds and cannot explain itself, and apart by how
    common the thing is at that time, so that the chance of two accounts posting the same stock phrase is
    measured among those who post stock phrases (issue 13, third round). Context (reply, repost, hashtag,
    domain): :data:`ALONE` when it met nobody, else ``4 + floor(log2(degree + 1))``, one class per
    doubling of the crowd, counted exactly with integer comparisons (so every engine agrees). Where
    acting in crowds is the habit (a hyperactive replier on the top posts' first minute), an account is
    compared only with the activity in crowds of its size: its habit of joining crowds of thirty is not
    diluted by the small crowds everyone else makes."""
    crowd = degree.cast(pl.Int64) + 1
    doublings = pl.sum_horizontal([(crowd >= (1 << k)).cast(pl.Int8) for k in range(1, CONTEXT_CLASS_BITS + 1)])
    is_context = kind.is_in([_CODE[b] for b in Behaviour if b not in CONTENT])
    content = crowd_class(crowd)
    if usual is not None:
        content = content + 3 * usual.cast(pl.Int8)
    return (pl.when(~is_context).then(content)
            .when(degree == 0).then(pl.lit(ALONE, pl.Int8))
            .otherwise(doublings + CONTEXT_CLASS_BASE).cast(pl.Int8))


def null_inputs(share_rows: pl.DataFrame, co_rows: pl.DataFrame, s: Settings) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The two inputs of :func:`significance` from collected rows (shared with ``coordination_spark``):
    ``share_rows`` = ``(account, kind, time, degree)`` per share, spill-over not yet added;
    ``co_rows`` = ``(a, b, kind, dm, glo, ghi, block, n, x)`` aggregated co-actions with ``dm`` the larger
    row degree (the stratum is computed here, in one place, so both engines round alike)."""
    shares = share_counts(share_rows, s)
    co = co_rows.with_columns(crowd_stratum(pl.col("dm")).alias("stratum")).drop("dm")
    return shares, co


def chance_everywhere(pairs: pl.DataFrame, shares: pl.DataFrame, directed_w: pl.DataFrame) -> pl.DataFrame:
    """``(a, b, kind, cell, lam)``: for each pair ``(a, b)`` of ``pairs``, what chance gives it in each cell
    over every block and class pair where both accounts had shares: ``Σ n_a(block, ga) · w(cell, block,
    ga, gb) · n_b(block, gb)``, ``w`` from ``directed_w`` = ``(kind, cell, block, ga, gb, w)``, the cells'
    weights with both orders of two classes.

    Each pair's share rows are gathered by position from ``shares`` sorted by account (a slice never
    scans the whole table: with a scan per slice, 10,000,000 messages took 150 s here, ten times
    3,000,000's), the two sides are joined on the blocks both were active in, and only then with the
    weights, so nothing is built for a block or class the other account never used. Pairs are taken
    in slices of about :data:`SHARE_ROWS_PER_SLICE` rows of both accounts' share counts (a hyperactive
    account is the second of many pairs): bounded memory, and the result does not depend on the slices."""
    schema = {"a": pl.Int64, "b": pl.Int64, "kind": shares.schema["kind"], "cell": pl.Int64, "lam": pl.Float64}
    if not pairs.height:
        return pl.DataFrame(schema=schema)
    involved = np.union1d(pairs["a"].to_numpy(), pairs["b"].to_numpy())
    table = shares.filter(pl.col("account").is_in(pl.Series(involved).implode())).sort("account")
    codes = np.searchsorted(involved, table["account"].to_numpy())
    count = np.bincount(codes, minlength=len(involved))
    start = np.cumsum(count) - count
    body = table.drop("account")
    del table, codes
    first, second = pairs["a"].to_numpy(), pairs["b"].to_numpy()
    a_code, b_code = np.searchsorted(involved, first), np.searchsorted(involved, second)
    rows = count[a_code] + count[b_code]
    cut = np.floor_divide(np.cumsum(rows) - rows, SHARE_ROWS_PER_SLICE)
    bounds = np.r_[np.flatnonzero(np.r_[True, cut[1:] != cut[:-1]]), pairs.height]
    parts = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        owner_a, row_a = _expand_runs(a_code[lo:hi], start, count)
        owner_b, row_b = _expand_runs(b_code[lo:hi], start, count)
        side_a = body[row_a].select("kind", "block", pl.col("cls").alias("ga"), pl.col("n").alias("na")).with_columns(pl.Series("pair", owner_a))
        side_b = body[row_b].select("kind", "block", pl.col("cls").alias("gb"), pl.col("n").alias("nb")).with_columns(pl.Series("pair", owner_b))
        lam = (side_a.join(side_b, on=["pair", "kind", "block"]).join(directed_w, on=["kind", "block", "ga", "gb"])
               .group_by("pair", "kind", "cell").agg((pl.col("na").cast(pl.Float64) * pl.col("nb").cast(pl.Float64) * pl.col("w")).sum().alias("lam")))
        pair = lam["pair"].to_numpy() + lo
        parts.append(lam.select(pl.Series("a", first[pair]), pl.Series("b", second[pair]), "kind", pl.col("cell").cast(pl.Int64), "lam"))
    return pl.concat(parts) if parts else pl.DataFrame(schema=schema)


_PAIR_SHIFT = 1 << 32
"""Two account codes (each below 2**32) packed into one 64-bit key."""


def _unpair(key: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    return (key // _PAIR_SHIFT).cast(pl.Int64).alias("a"), (key % _PAIR_SHIFT).cast(pl.Int64).alias("b")


def significance(shares: pl.DataFrame, co: pl.DataFrame, s: Settings) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Which account pairs co-acted more than chance explains (stage 4b). Shared with ``coordination_spark``,
    which aggregates on executors and calls this on the driver.

    ``shares``: ``(account, kind, cls, block, n)``: how many shares of each behaviour each account made in
    each block, by the crowd class of the share (:func:`share_counts`; near-identical text uses the
    text shares). ``co``: ``(a, b, kind, stratum, glo, ghi, block, n, x)``: ``n`` co-actions (distinct
    pairs of rows) between accounts ``a ≤ b`` anchored at the block of the earlier share, by crowd
    stratum (:func:`crowd_stratum`) and the crowd classes of its two shares (``glo ≤ ghi``), loops
    included (they are part of what chance makes); ``x`` = the smaller of the numbers of distinct
    messages of ``a`` and of ``b`` among them.

    What is counted for a pair is ``x``, not ``n``: two accounts that each reply five times in one
    storm make 25 co-actions but at most five *meetings*; co-actions in one crowd are not independent
    events, and counting them as such would find coordination in every busy pair. ``x`` is at most
    ``n`` and its mean under the null at most ``n``'s, so testing ``x`` against ``n``'s mean ``λ`` is
    conservative.

    The null model is the stochastic degree sequence model's (Neal 2014) Chung–Lu form, per *cell*:
    behaviour, crowd stratum, the two crowd classes (:func:`share_class`: for replies, reposts and
    hashtags one per doubling of the crowd; for content the three of :data:`CROWD_CLASSES`, apart for
    shares of a usual thing, :func:`usual_copies`), and the
    activity level of the block
    (``floor(log2 M)``, M its shares of that behaviour). Within a block ``h`` the account behind
    each share of class ``g`` is drawn independently, being ``u`` with probability ``π_u(g) =
    n_u(h, g) / M(h, g)`` (its part of that activity), whatever was shared. Each of the cell's
    ``C(h)`` co-actions then joins ``u`` and ``v`` with probability ``π_u(g1) π_v(g2) + π_u(g2)
    π_v(g1)``, so their co-actions in the cell are nearly Poisson with mean ``λ`` = the sum of that
    over the cell's co-actions. Object popularity *at that time* is in ``C`` and in the stratum: a
    reply storm makes many co-actions in a large-crowd cell, where two storm-chasing repliers (whose
    ``π`` is their part of storm replies) meet by chance; identical text shared by a dozen accounts
    falls in a small-crowd cell that a stock phrase's crowd of hundreds cannot inflate. Quiet hours,
    where a group may be all there is and would explain itself, are cells of their own.

    Per pair, three views: (1) ``p = P(Poisson(λ) ≥ X)`` per cell it co-acted in, the smallest times the
    number of those cells; (2) per behaviour and crowd stratum, ``X`` summed over the pair's cells of
    that stratum against ``λ`` summed over *every* cell of that behaviour and stratum (every block and
    class pair where both accounts had shares, whether they met there or not), the smallest times the
    number of such strata with ``λ > 0`` (Bonferroni); (3) for content behaviours only, (2)'s ``X`` and
    ``λ`` summed over every crowd stratum of the behaviour, the smallest times the number of content
    behaviours with ``λ > 0`` (a group that comes back with bursts of different sizes is one group).
    The pair's p-value is three times the smallest view;
    then Benjamini–Hochberg at ``s.fdr`` over every pair that co-acted. Pairs with fewer than
    ``min_edge_weight`` co-actions in all cannot become edges and get p = 1 without being computed.
    The pair's ``expected`` is the sum of (2)'s ``λ``.

    Returns ``(pairs, cells)``: ``pairs`` = ``(a, b, observed, expected, p, keep)`` for every pair
    ``a < b`` that co-acted; ``cells`` = ``(a, b, kind, cell, observed, expected, p)`` for the pairs
    whose λ was computed."""
    alpha = s.fdr if s.fdr is not None else 1.0
    names = None
    # Accounts are packed in pairs as two 32-bit codes below. Spark's accounts are names, and integers
    # outside [0, 2**32) would not pack: those are coded here in sorted order, so every order below is the same.
    if not shares["account"].dtype.is_integer() or any(
            len(c) and (c.min() < 0 or c.max() >= _PAIR_SHIFT) for c in (shares["account"], co["a"], co["b"])):
        names = pl.concat([shares["account"], co["a"], co["b"]]).unique().sort()
        shares = shares.with_columns(pl.Series("account", names.search_sorted(shares["account"]), pl.Int64))
        co = co.with_columns(pl.Series("a", names.search_sorted(co["a"]), pl.Int64), pl.Series("b", names.search_sorted(co["b"]), pl.Int64))
    size_m = shares.group_by("kind", "cls", "block").agg(pl.col("n").sum().alias("m"))
    level = size_m.group_by("kind", "block").agg(pl.col("m").sum().cast(pl.Float64).log(2).floor().cast(pl.Int32).alias("level"))
    co = co.join(level, on=["kind", "block"], how="left").with_columns(
        (((pl.col("stratum").cast(pl.Int64) * CLASS_SPAN + pl.col("glo").cast(pl.Int64)) * CLASS_SPAN + pl.col("ghi").cast(pl.Int64)) * 64 + pl.col("level").fill_null(0)).alias("cell")
    )
    size_c = co.group_by("kind", "cell", "glo", "ghi", "block").agg(pl.col("n").sum().alias("c"))
    m = size_m.select("kind", "block", "cls", pl.col("m").cast(pl.Float64))
    weight = (
        size_c.join(m.rename({"cls": "glo", "m": "m_lo"}), on=["kind", "block", "glo"], how="left")
        .join(m.rename({"cls": "ghi", "m": "m_hi"}), on=["kind", "block", "ghi"], how="left")
        .select("kind", "cell", "glo", "ghi", "block",
                (pl.col("c").cast(pl.Float64) / (pl.col("m_lo") * pl.col("m_hi")) * pl.when(pl.col("glo") == pl.col("ghi")).then(2.0).otherwise(1.0)).alias("w"))
    )
    # A pair is one 64-bit key (two account codes) while every pair that co-acted is counted, and only
    # the pairs that can become edges are grouped by cell: grouping all 18 million co-action rows of
    # 10,000,000 messages by six columns took 5.4 GB above the stage's inputs.
    pair = (pl.col("a").cast(pl.UInt64) * _PAIR_SHIFT + pl.col("b").cast(pl.UInt64)).alias("ab")
    nonloop = co.filter(pl.col("a") != pl.col("b")).select(pair, "kind", "cell", "glo", "ghi", "x")
    totals = nonloop.group_by("ab").agg(pl.col("x").sum().alias("total"))
    tests = totals.height
    cand = (nonloop.join(totals.filter(pl.col("total") >= s.min_edge_weight).select("ab"), on="ab", how="semi")
            .group_by("ab", "kind", "cell", "glo", "ghi").agg(pl.col("x").sum()))
    del nonloop
    totals = totals.select(*_unpair(pl.col("ab")), "total")
    cand = cand.select(*_unpair(pl.col("ab")), "kind", "cell", "glo", "ghi", "x")
    # What chance gives each candidate pair in every cell where both accounts had shares (λ's terms:
    # for each block, n_a(g1) n_b(g2), and n_a(g2) n_b(g1) when the classes differ, times the block's
    # weight): the cells where they met are view (1)'s, and all of them, summed per stratum, view (2)'s.
    directed_w = pl.concat([
        weight.select("kind", "cell", "block", pl.col("glo").alias("ga"), pl.col("ghi").alias("gb"), "w"),
        weight.filter(pl.col("glo") != pl.col("ghi")).select("kind", "cell", "block", pl.col("ghi").alias("ga"), pl.col("glo").alias("gb"), "w"),
    ])
    everywhere = chance_everywhere(cand.select("a", "b").unique().sort("a", "b"), shares, directed_w)
    terms = everywhere.join(cand.select("a", "b", "kind", "cell").unique(), on=["a", "b", "kind", "cell"], how="semi")
    cells = (
        cand.group_by("a", "b", "kind", "cell").agg(pl.col("x").sum())
        .join(terms, on=["a", "b", "kind", "cell"], how="left").with_columns(_round(pl.col("lam").fill_null(0.0)).alias("lam"))
        .sort("a", "b", "kind", "cell")
    )
    cells = cells.with_columns(pl.Series("p", poisson_tail(cells["x"].to_numpy(), cells["lam"].to_numpy())))
    # Views of the same evidence, each valid on its own (a third, content pooled over strata, below): (1) the most improbable cell times the
    # number of cells the pair met in (a quiet hour cannot be diluted by busy ones); (2) each behaviour
    # and crowd stratum pooled over every block and activity level where the pair could have met, times
    # the number of such strata with λ > 0 (identical text in small crowds is judged against the
    # chance of identical text in small crowds, not drowned by co-replies or a stock phrase's crowds;
    # occasions in several hours add up). Chance in (2) is counted over every block and crowd class in
    # which both accounts were active, not only those where they met: leaving out the occasions where
    # chance gave them nothing made an active pair's few meetings look improbable (issue 13: most of
    # the ordinary accounts drawn in). The pair's p-value is three times the smallest view. (Pooling
    # every behaviour together as well was measured: its multiplicity cost planted groups more than
    # it found; pooling each content behaviour over strata, view 3, did not.)
    per_pair = cells.group_by("a", "b").agg(
        pl.col("x").sum().alias("observed"), (pl.col("p").min() * pl.len()).clip(upper_bound=1.0).alias("p_cell"),
    )
    stratum = (pl.col("cell") // (CLASS_SPAN * CLASS_SPAN * 64)).alias("stratum")
    everywhere = everywhere.group_by("a", "b", "kind", stratum).agg(pl.col("lam").sum())
    per_stratum = (
        cells.group_by("a", "b", "kind", stratum).agg(pl.col("x").sum(), pl.col("lam").sum().alias("seen"))
        .join(everywhere, on=["a", "b", "kind", "stratum"], how="full", coalesce=True)
        .with_columns(pl.col("x").fill_null(0), _round(pl.max_horizontal(pl.col("lam").fill_null(0.0), pl.col("seen").fill_null(0.0))).alias("lam"))
        .sort("a", "b", "kind", "stratum")
    )
    per_stratum = per_stratum.with_columns(pl.Series("p", poisson_tail(per_stratum["x"].to_numpy(), per_stratum["lam"].to_numpy())))
    # Bonferroni over the strata in which chance could have joined the pair (λ > 0); the others have
    # p = 1 whatever happens and cannot be a false discovery.
    per_pair = per_pair.join(
        per_stratum.group_by("a", "b").agg(_round(pl.col("lam").sum()).alias("expected"),
                                           (pl.col("p").min() * pl.max_horizontal((pl.col("lam") > 0).sum(), 1)).clip(upper_bound=1.0).alias("p_stratum")),
        on=["a", "b"], how="left").sort("a", "b")
    # (3) Content pooled over crowd strata: a group that comes back is one group whether 31 or 35 of
    # its members joined a burst, but view (2) splits its meetings by the burst's size (two in one
    # stratum, one in the next), which made three meetings weaker evidence than two. λ and X add up.
    pooled = (
        per_stratum.filter(pl.col("kind").is_in(CONTENT_CODES)).group_by("a", "b", "kind").agg(pl.col("x").sum(), _round(pl.col("lam").sum()).alias("lam"))
        .sort("a", "b", "kind")
    )
    pooled = pooled.with_columns(pl.Series("p", poisson_tail(pooled["x"].to_numpy(), pooled["lam"].to_numpy())))
    per_pair = per_pair.join(
        pooled.group_by("a", "b").agg((pl.col("p").min() * pl.max_horizontal((pl.col("lam") > 0).sum(), 1)).clip(upper_bound=1.0).alias("p_pooled")),
        on=["a", "b"], how="left").sort("a", "b")
    best = np.minimum(np.minimum(per_pair["p_cell"].to_numpy(), per_pair["p_stratum"].to_numpy()), per_pair["p_pooled"].fill_null(1.0).to_numpy())
    per_pair = per_pair.with_columns(pl.Series("p", np.minimum(1.0, 3.0 * best)))
    pairs = totals.join(per_pair, on=["a", "b"], how="left").select(
        "a", "b", pl.coalesce("observed", "total").alias("observed"), pl.col("expected").fill_null(float("nan")), pl.col("p").fill_null(1.0)
    ).sort("a", "b")
    keep = benjamini_hochberg(pairs["p"].to_numpy(), alpha, tests) if s.fdr is not None else np.ones(pairs.height, bool)
    pairs = pairs.with_columns(pl.Series("keep", keep))
    cells = cells.select("a", "b", "kind", "cell", pl.col("x").alias("observed"), pl.col("lam").alias("expected"), "p")
    if names is not None:
        pairs, cells = (part.with_columns(names.gather(part["a"]).alias("a"), names.gather(part["b"]).alias("b")) for part in (pairs, cells))
    return pairs, cells


# --------------------------------------------------------------------------- the whole run


def _account_codes(frame: pl.DataFrame) -> tuple[list[str], np.ndarray]:
    """Accounts as integers in sorted-name order, so every tie below breaks the same way every time."""
    names = frame["account"].unique().sort()
    codes = frame["account"].replace_strict(names, pl.int_range(len(names), dtype=pl.Int64, eager=True), return_dtype=pl.Int64)
    return names.to_list(), np.asarray(codes.to_numpy(), dtype=np.int64)


def detect(actions: pl.DataFrame | Iterable[Action | dict], settings: Settings | None = None) -> Detection:
    """Find coordinated campaigns in ``actions``. Deterministic: the order of the input rows never matters
    (given message ids; rows without one are named by position)."""
    s = settings or Settings()
    frame = action_frame(actions)
    stats = {"actions": frame.height}
    times = frame["time"].to_numpy()
    name, account = _account_codes(frame)

    parts: list[tuple[np.ndarray, np.ndarray, int]] = []
    share_parts: list[pl.DataFrame] = []  # (account, kind, block, n) per behaviour, for the null model
    shares = 0

    def count_shares(rows: np.ndarray, kind: Behaviour, keys: np.ndarray) -> None:
        if s.fdr is not None and kind in s.behaviours:
            share_parts.append(pl.DataFrame({"row": rows.astype(np.uint32), "kind": np.full(len(rows), _CODE[kind], np.int8),
                                             "key": keys.astype(np.uint64)}))

    for kind, rows, keys in _simple_shares(frame, s):
        shares += len(rows)
        count_shares(rows, kind, keys)
        ri, rj, _ = _object_pairs(rows, keys, account, times, s)
        parts.append((ri, rj, _CODE[kind]))
    if {Behaviour.TEXT, Behaviour.NEAR_TEXT} & s.behaviours:
        text_parts, text_rows, text_keys = _text_pairs(frame, account, times, s, stats)
        parts += text_parts
        shares += stats.pop("shares_text")
        count_shares(text_rows, Behaviour.TEXT, text_keys)
        count_shares(text_rows, Behaviour.NEAR_TEXT, text_keys)  # a near copy is drawn from the same texts
        del text_parts, text_rows, text_keys
    stats["shares"] = shares
    if parts:
        ri = np.concatenate([p[0] for p in parts])
        rj = np.concatenate([p[1] for p in parts])
        kind = np.concatenate([np.full(len(p[0]), p[2], np.int8) for p in parts])
    else:
        ri = rj = np.empty(0, np.int64)
        kind = np.empty(0, np.int8)
    pairs = pl.DataFrame({
        "ri": np.minimum(ri, rj).astype(np.uint32), "rj": np.maximum(ri, rj).astype(np.uint32), "kind": kind,
    }).filter(pl.col("ri") != pl.col("rj")).unique()
    # What is no longer needed goes as soon as it is not (10,000,000 messages hold gigabytes of these).
    del parts, ri, rj, kind
    stats["co_actions"] = pairs.height
    for k in range(len(_BEHAVIOURS)):
        stats[f"co_actions_{_BEHAVIOURS[k].value}"] = int((pairs["kind"] == k).sum())

    pr = pairs.with_columns(
        pl.Series("ai", account[pairs["ri"].to_numpy()]), pl.Series("aj", account[pairs["rj"].to_numpy()])
    )
    tested = kinds_tested = None
    if s.fdr is not None:
        size = null_block(s)
        first = np.minimum(times[pairs["ri"].to_numpy()], times[pairs["rj"].to_numpy()])
        degree = pl.concat([pairs.select(pl.col("ri").alias("r"), "kind"), pairs.select(pl.col("rj").alias("r"), "kind")]).group_by("r", "kind").len("d")
        share_rows = pl.concat(share_parts) if share_parts else pl.DataFrame(schema={"row": pl.UInt32, "kind": pl.Int8, "key": pl.UInt64})
        share_parts.clear()
        share_rows = share_rows.join(degree.rename({"r": "row", "d": "degree"}), on=["row", "kind"], how="left").with_columns(pl.col("degree").fill_null(0))
        content = share_rows.filter(pl.col("kind").is_in([_CODE[b] for b in CONTENT])).select("row", "kind", "key")
        usual = usual_copies(content.with_columns(pl.Series("time", times[content["row"].to_numpy()])), s).rename({"row": "r"})
        del content
        degree = degree.join(usual, on=["r", "kind"], how="left").with_columns(pl.col("usual").fill_null(0))
        co = (
            pr.select("ri", "rj", "kind", pl.min_horizontal("ai", "aj").alias("a"), pl.max_horizontal("ai", "aj").alias("b"),
                      pl.when(pl.col("ai") <= pl.col("aj")).then(pl.col("ri")).otherwise(pl.col("rj")).alias("ra"),
                      pl.when(pl.col("ai") <= pl.col("aj")).then(pl.col("rj")).otherwise(pl.col("ri")).alias("rb"),
                      pl.Series("block", np.floor(first / size).astype(np.int64)))
            .join(degree.rename({"r": "ri", "d": "di", "usual": "ui"}), on=["ri", "kind"], how="left")
            .join(degree.rename({"r": "rj", "d": "dj", "usual": "uj"}), on=["rj", "kind"], how="left")
            .select("a", "b", "kind", pl.max_horizontal("di", "dj").alias("dm"),
                    pl.min_horizontal(share_class(pl.col("di"), pl.col("kind"), pl.col("ui")), share_class(pl.col("dj"), pl.col("kind"), pl.col("uj"))).alias("glo"),
                    pl.max_horizontal(share_class(pl.col("di"), pl.col("kind"), pl.col("ui")), share_class(pl.col("dj"), pl.col("kind"), pl.col("uj"))).alias("ghi"), "block", "ra", "rb")
            .group_by("a", "b", "kind", "dm", "glo", "ghi", "block")
            .agg(pl.len().cast(pl.Int64).alias("n"), pl.min_horizontal(pl.col("ra").n_unique(), pl.col("rb").n_unique()).cast(pl.Int64).alias("x"))
        )
        del first, degree
        share_rows = share_rows.join(usual.rename({"r": "row"}), on=["row", "kind"], how="left")
        r = share_rows["row"].to_numpy()
        share_rows = share_rows.select(pl.Series("account", account[r]), "kind", pl.Series("time", times[r]), pl.col("degree").cast(pl.Int64),
                                       pl.col("usual").fill_null(0).cast(pl.Int64))
        del r
        share_table, co = null_inputs(share_rows, co, s)
        del share_rows, usual
        tested, kinds_tested = significance(share_table, co, s)
        del share_table, co
        stats["pairs_tested"] = tested.height
        stats["pairs_significant"] = int(tested["keep"].sum())
    if not s.loops:
        pr = pr.filter(pl.col("ai") != pl.col("aj"))
    if tested is not None:
        # Stage 4b: co-actions of pairs that chance explains are dropped (loops are never tested: kept).
        pr = pr.with_columns(pl.min_horizontal("ai", "aj").alias("_a"), pl.max_horizontal("ai", "aj").alias("_b"))
        pr = pr.join(tested.filter(pl.col("keep")).select(pl.col("a").alias("_a"), pl.col("b").alias("_b")), on=["_a", "_b"], how="semi")
        if s.loops:
            pr = pl.concat([pr, pairs.with_columns(pl.Series("ai", account[pairs["ri"].to_numpy()]), pl.Series("aj", account[pairs["rj"].to_numpy()]))
                            .filter(pl.col("ai") == pl.col("aj")).with_columns(pl.col("ai").alias("_a"), pl.col("aj").alias("_b"))])
        pr = pr.drop("_a", "_b")

    directed = pl.concat([
        pr.select(pl.col("ai").alias("src"), pl.col("aj").alias("dst"), pl.col("ri").alias("msg")),
        pr.select(pl.col("aj").alias("src"), pl.col("ai").alias("dst"), pl.col("rj").alias("msg")),
    ]).unique()
    # CooRTweet's participation: coordinated messages per account.
    active = directed.group_by("src").agg(pl.col("msg").n_unique().alias("n")).filter(pl.col("n") >= s.min_account_actions).select(pl.col("src").alias("code"))
    directed = directed.join(active, left_on="src", right_on="code", how="semi").join(active, left_on="dst", right_on="code", how="semi")
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
    kept = kept.with_columns(
        pl.Series("ti", times[kept["ri"].to_numpy()]), pl.Series("tj", times[kept["rj"].to_numpy()])
    )
    per_edge = kept.group_by("a", "b").agg(
        pl.col("kind").unique().sort().alias("kinds"),
        pl.min_horizontal("ti", "tj").min().alias("first"),
        pl.max_horizontal("ti", "tj").max().alias("last"),
        pl.len().alias("co_actions"),
    )
    und = und.join(per_edge, on=["a", "b"]).sort("a", "b")
    if tested is not None:
        und = und.join(tested.select("a", "b", "expected", "p"), on=["a", "b"], how="left")
    else:
        und = und.with_columns(pl.lit(None, pl.Float64).alias("expected"), pl.lit(None, pl.Float64).alias("p"))
    stats["edges"] = und.height

    edges = tuple(
        Edge(name[r["a"]], name[r["b"]], int(r["weight"]), int(r["w_ab"]), int(r["w_ba"]), tuple(_BEHAVIOURS[k].value for k in r["kinds"]), float(r["first"]), float(r["last"]),
             int(r["co_actions"]), _float(r["expected"]), _float(r["p"]))
        for r in und.iter_rows(named=True)
    )
    campaigns = _campaigns(frame, kept, und, name, s, stats)
    if kinds_tested is not None:
        kinds_tested = kinds_tested.join(und.select("a", "b"), on=["a", "b"], how="semi").with_columns(
            pl.col("a").replace_strict(range(len(name)), name, return_dtype=pl.String), pl.col("b").replace_strict(range(len(name)), name, return_dtype=pl.String)
        ) if und.height else None
    campaigns = explain(campaigns, edges, kinds_tested, s)
    campaigns = classify(campaigns, member_times(frame, {a for c in campaigns for a in c.accounts}))
    stats["campaigns"] = len(campaigns)
    return Detection(campaigns=campaigns, edges=edges, directed_edges=directed_edges, stats=stats)


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


SPLIT_MIN_DENSITY = 0.5
"""A component is split into communities only when each is dense: more than this share of its pairs linked."""
SPLIT_MAX_BETWEEN = 0.25
"""... and the communities are apart: at most this share of the pairs across two communities linked."""


def campaign_labels(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """The campaign of each node ``0..n-1`` (labelled by its smallest member) from undirected edges
    ``a``–``b``: the connected components (stage 7), each split into communities when they are clearly
    apart. Two groups that share a member or two, or one chance link between two campaigns, make one
    component; a campaign is a dense group, so such a component is split.

    Communities: the Louvain method (Blondel et al. 2008) on the component's edges, unweighted, made
    deterministic: nodes are visited in number order, a node moves to the neighbouring community with
    the largest modularity gain only when it beats staying (ties: the smallest label), and communities
    are merged into nodes level by level until nothing moves. The split is kept only when every
    community has at least three members and is dense (more than :data:`SPLIT_MIN_DENSITY` of its
    pairs linked) and every two communities are apart (at most :data:`SPLIT_MAX_BETWEEN` of the pairs
    across them linked); otherwise the component stays whole (a loose chain is not cut into pieces). The input order of the edges does not matter. Shared with ``coordination_spark``, which
    runs it on the driver on the collected edges."""
    label = _components(a, b, n)
    if not len(a):
        return label
    pairs = sorted({(min(x, y), max(x, y)) for x, y in zip(a.tolist(), b.tolist()) if x != y})
    neighbours: dict[int, list[int]] = {}
    for x, y in pairs:
        neighbours.setdefault(x, []).append(y)
        neighbours.setdefault(y, []).append(x)
    for members in _groups(label, sorted(neighbours)):
        if len(members) < 6:
            continue
        inside = set(members)
        own = _louvain({v: {w: 1.0 for w in neighbours[v]} for v in members})
        sizes: dict[int, int] = {}
        for v in members:
            sizes[own[v]] = sizes.get(own[v], 0) + 1
        if len(sizes) < 2 or min(sizes.values()) < 3:
            continue
        within: dict[int, int] = {}
        between: dict[tuple[int, int], int] = {}
        for x, y in pairs:
            if x in inside:
                if own[x] == own[y]:
                    within[own[x]] = within.get(own[x], 0) + 1
                else:
                    key = (min(own[x], own[y]), max(own[x], own[y]))
                    between[key] = between.get(key, 0) + 1
        dense = all(within.get(c, 0) > SPLIT_MIN_DENSITY * k * (k - 1) / 2 for c, k in sizes.items())
        apart = all(count <= SPLIT_MAX_BETWEEN * sizes[c] * sizes[d] for (c, d), count in between.items())
        if not (dense and apart):
            continue
        for v in members:
            label[v] = own[v]
    return label


def campaign_chance(p: np.ndarray, tests: int) -> float:
    """How well chance alone explains a campaign whose links have p-values ``p``, in a run that tested
    ``tests`` account pairs: ``K · min_i P(Poisson(tests · p_(i)) ≥ i)`` over its ``K`` links sorted by
    p-value (capped at 1).

    The reasoning, and where it is approximate: links of p-value at most ``t`` between accounts that are
    not working together turn up about ``tests · t`` times among the pairs tested; a campaign made of
    chance links only, ``i`` of them at ``p ≤ p_(i)``, needs the run to hold at least ``i`` such links,
    and their number is taken as Poisson; the ``K`` levels ``i`` are Bonferroni-corrected. Three
    approximations, stated rather than hidden: ``tests`` counts the pairs that co-acted at least once
    (as the pair-level Benjamini–Hochberg does), not every pair that could have, and a pair chosen
    because it co-acted has a p-value below ``t`` more often than ``t``; links that share an account
    or a burst are positively dependent, so a chance triangle is likelier than the Poisson count says;
    and no correction is made over the campaigns of a run. The pair p-values are conservative (each is
    three times the smallest of three Bonferroni-corrected views), which is what the figures on the
    held-out seeds rely on. So a lone pair at p = 1e-5 among 150,000 tests (chance gives about 1.5
    such pairs) is explained; a clique of forty with hundreds of links at 1e-5 is not; and a real
    campaign of two is reported only when its link is below about ``alpha / tests`` (7e-9 at 150,000
    tests and 0.001)."""
    p = np.sort(np.asarray(p, dtype=np.float64))
    if not len(p):
        return 1.0
    tail = poisson_tail(np.arange(1, len(p) + 1), tests * p)
    return float(min(1.0, len(p) * tail.min()))


def campaigns_chance_explains(label: np.ndarray, a: np.ndarray, b: np.ndarray, p: np.ndarray, tests: int, alpha: float) -> tuple[np.ndarray, int]:
    """Which nodes are in a campaign (labels from :func:`campaign_labels`, links ``a``–``b`` with p-values
    ``p``) that chance explains as a whole (:func:`campaign_chance` above ``alpha``), per node, and how
    many such campaigns there are. Callers leave out every edge touching such a node, its loops too, so
    it is named in no campaign while its links stay in the edge list. Shared with
    ``coordination_spark``. The links' p-values must be finite (loops, never tested, are not links of a
    campaign here).

    Why a campaign-level test beside the pair-level false-discovery rate: what an analyst is shown, and
    what can hurt an innocent person, is a campaign and the accounts named in it, and a rate over pairs
    does not bound those. Benjamini–Hochberg is adaptive — the more true links, the looser its cut — so
    a few large groups (thousands of true links) let a few chance links through, and each names two
    innocent accounts as a campaign of their own (issue 13's held-out corpus: 7 to 9 accounts at
    300,000 messages, 26 at 1,000,000, every one in a lone pair or triangle with p near 1e-5)."""
    inside = (a != b) & (label[a] == label[b])
    c, q = label[a[inside]], np.asarray(p, dtype=np.float64)[inside]
    if not np.isfinite(q).all():
        raise ValueError("a campaign's link has no p-value: the edges and the significance stage disagree")
    order = np.argsort(c, kind="stable")
    c, q = c[order], q[order]
    starts = np.flatnonzero(np.r_[True, c[1:] != c[:-1]]) if len(c) else np.zeros(0, np.int64)
    ends = np.r_[starts[1:], len(c)]
    chance = [c[lo] for lo, hi in zip(starts, ends) if campaign_chance(q[lo:hi], tests) > alpha]
    return np.isin(label, chance), len(chance)


def _louvain(graph: dict[int, dict[int, float]]) -> dict[int, int]:
    """Community of each node (its smallest member) by the Louvain method, deterministic (see
    :func:`campaign_labels`). ``graph``: node → {neighbour: weight}, symmetric; self-loops allowed."""
    members = {v: [v] for v in graph}  # node of the current level → original nodes
    while True:
        nodes = sorted(graph)
        degree = {v: sum(graph[v].values()) + graph[v].get(v, 0.0) for v in nodes}
        total = sum(degree.values())
        if total == 0:
            break
        community = {v: v for v in nodes}
        tot = dict(degree)
        moved_any = False
        for _ in range(100):
            moved = False
            for v in nodes:
                here = community[v]
                tot[here] -= degree[v]
                links: dict[int, float] = {}
                for w in sorted(graph[v]):
                    if w != v:
                        links[community[w]] = links.get(community[w], 0.0) + graph[v][w]
                def gain(c: int) -> float:
                    return links.get(c, 0.0) - tot.get(c, 0.0) * degree[v] / total
                best, best_gain = here, gain(here)
                for c in sorted(links):
                    g = gain(c)
                    if g > best_gain + 1e-12:
                        best, best_gain = c, g
                community[v] = best
                tot[best] = tot.get(best, 0.0) + degree[v]
                if best != here:
                    moved = moved_any = True
            if not moved:
                break
        if not moved_any:
            break
        merged: dict[int, dict[int, float]] = {}
        grouped: dict[int, list[int]] = {}
        for v in nodes:
            c = community[v]
            grouped.setdefault(c, []).extend(members[v])
            row = merged.setdefault(c, {})
            for w, weight in graph[v].items():
                d = community[w]
                row[d] = row.get(d, 0.0) + (weight if w != v else weight)
        # A self-loop's weight counts once per endpoint in the rows above, which is the convention the
        # degree formula expects (internal edges appear from both sides).
        for c in merged:
            if c in merged[c]:
                merged[c][c] /= 2.0
        graph = merged
        members = grouped
    out: dict[int, int] = {}
    for group in members.values():
        smallest = min(group)
        for v in group:
            out[v] = smallest
    return out


def _groups(label: np.ndarray, nodes: list[int]) -> list[list[int]]:
    out: dict[int, list[int]] = {}
    for v in nodes:
        out.setdefault(int(label[v]), []).append(v)
    return [out[k] for k in sorted(out)]


def _campaigns(frame: pl.DataFrame, kept: pl.DataFrame, und: pl.DataFrame, name: list[str], s: Settings, stats: dict) -> tuple[Campaign, ...]:
    if und.height == 0:
        return ()
    label = campaign_labels(und["a"].to_numpy(), und["b"].to_numpy(), len(name))
    dropped = np.zeros(len(name), bool)
    if "pairs_tested" in stats:  # the significance stage ran (fdr set)
        dropped, stats["campaigns_chance_explains"] = campaigns_chance_explains(
            label, und["a"].to_numpy(), und["b"].to_numpy(), und["p"].to_numpy(), stats["pairs_tested"], s.fdr)
    # Edges between two campaigns (after a split) stay in the edge list but belong to neither campaign,
    # and so do those of a campaign chance explains (its loops too).
    und = und.filter(pl.Series((label[und["a"].to_numpy()] == label[und["b"].to_numpy()]) & ~dropped[und["a"].to_numpy()]))
    kept = kept.filter(pl.Series((label[kept["a"].to_numpy()] == label[kept["b"].to_numpy()]) & ~dropped[kept["a"].to_numpy()]))
    a = und["a"].to_numpy()
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
    # Evidence: the earliest co-actions, each written earlier message first (ties by message id), so
    # that neither the input order nor row numbers can change which are shown or how.
    ids = frame["message_id"]
    oriented = kept.select("c", "kind", "ri", "rj", "ti", "tj").with_columns(
        pl.Series("mi", ids.gather(kept["ri"])), pl.Series("mj", ids.gather(kept["rj"]))
    )
    swap = (pl.col("tj") < pl.col("ti")) | ((pl.col("tj") == pl.col("ti")) & (pl.col("mj") < pl.col("mi")))
    oriented = oriented.select(
        "c", "kind", *[pl.when(swap).then(pl.col(y)).otherwise(pl.col(x)).alias(x) for x, y in (("ri", "rj"), ("rj", "ri"), ("ti", "tj"), ("tj", "ti"), ("mi", "mj"), ("mj", "mi"))]
    )
    order = ["c", "ti", "tj", "mi", "mj", "kind"]
    evidence_rows = oriented.sort(order).group_by("c", maintain_order=True).head(s.evidence_per_campaign)
    evidence: dict[int, list[Evidence]] = {}
    looked_up = frame.select("row", "account", "message_id", "time", "text", "urls", "hashtags", "reply_to", "repost_of", "observables", "domains", "images")
    detail = evidence_rows.join(looked_up.rename(lambda c: c + "_i"), left_on="ri", right_on="row_i").join(
        looked_up.rename(lambda c: c + "_j"), left_on="rj", right_on="row_j"
    ).sort(order)
    for r in detail.iter_rows(named=True):
        evidence.setdefault(r["c"], []).append(_evidence_of(r))
    rows = ({**r, "accounts": [name[c] for c in r["codes"]]} for r in table.rename({"message_id": "message_ids"}).iter_rows(named=True))
    return _assemble_campaigns(rows, evidence)


def _float(value: Any) -> float | None:
    return None if value is None or value != value else float(value)


def _count(n: float) -> str:
    if n != n:  # NaN: not computed
        return "not computed"
    if n >= 10:
        return f"{n:,.0f}"
    if n >= 0.01:
        return f"{n:.2f}"
    return f"{n:.1g}"


def explain(campaigns: Sequence[Campaign], edges: Sequence[Edge], kinds: pl.DataFrame | None, s: Settings) -> tuple[Campaign, ...]:
    """Add to each campaign what its edges' co-actions were per behaviour, what chance would give, its
    weakest link's p-value and a plain-English explanation. Shared with ``coordination_spark``.
    ``kinds``: ``(a, b, kind, observed, expected, p)`` per edge (account names) and behaviour, from
    :func:`significance`; None when the test was skipped."""
    where = {a: n for n, c in enumerate(campaigns) for a in c.accounts}
    observed: dict[int, dict[int, int]] = {}
    expected: dict[int, dict[int, float]] = {}
    if kinds is not None:
        for a, kind, x, lam in kinds.group_by("a", "b", "kind").agg(pl.col("observed").sum(), pl.col("expected").sum()).sort("a", "b", "kind").select("a", "kind", "observed", "expected").iter_rows():
            n = where.get(a)
            if n is not None:
                observed.setdefault(n, {})[kind] = observed.get(n, {}).get(kind, 0) + int(x)
                expected.setdefault(n, {})[kind] = expected.get(n, {}).get(kind, 0.0) + float(lam)
    worst: dict[int, float] = {}
    for e in edges:
        n = where.get(e.account_a)
        if n is not None and e.p_value is not None:
            worst[n] = max(worst.get(n, 0.0), e.p_value)
    out = []
    for n, c in enumerate(campaigns):
        per = tuple(sorted(((_BEHAVIOURS[k].value, observed[n][k], round(expected[n][k], 6)) for k in observed.get(n, {})), key=lambda t: (-t[1], t[0])))
        p = worst.get(n) if kinds is not None else None
        places = f"{len(c.constituencies)} constituenc{'y' if len(c.constituencies) == 1 else 'ies'}" if c.constituencies else "no known constituency"
        forces = f" ({len(c.forces)} police force{'' if len(c.forces) == 1 else 's'}: {', '.join(c.forces)})" if c.forces else ""
        text = f"{len(c.accounts)} accounts aimed at {places}{forces} acted alike within {s.window:g} seconds of each other"
        if per:
            what = "; ".join(f"{Behaviour(b).label} {x:,} time{'' if x == 1 else 's'} (chance would give {_count(lam)})" for b, x, lam in per)
            text += f": {what}. Chance is judged from how active each account was and how popular each shared thing was in the same hour."
            text += f" Every link between them is improbable by chance: the weakest has p = {p:.2g}, kept at a {s.fdr:.2%} false-discovery rate."
        else:
            text += f" ({', '.join(Behaviour(b).label for b in c.behaviours)}); no significance test was run, so the links are counts only: at least {s.min_edge_weight} co-actions each."
        out.append(Campaign(**{**{f.name: getattr(c, f.name) for f in fields(Campaign)}, "co_actions": per, "p_value": p, "explanation": text}))
    return tuple(out)


def _evidence_of(r: Mapping[str, Any]) -> Evidence:
    """One co-action as evidence, from a row with its ``kind`` code and, for each side (``_i``
    written first, ``_j``), the action's columns (``account_i``, ``message_id_i``, ``time_i``,
    ``text_i``, …). Shared with ``coordination_spark`` so both engines word evidence alike."""
    kind = _BEHAVIOURS[r["kind"]]
    return Evidence(kind.value, _shared_label(kind, r), r["account_i"], r["message_id_i"], r["time_i"], r["account_j"], r["message_id_j"], r["time_j"])


def _assemble_campaigns(rows: Iterable[Mapping[str, Any]], evidence: Mapping[Any, Sequence[Evidence]]) -> tuple[Campaign, ...]:
    """The end of stage 7, shared with ``coordination_spark``: one :class:`Campaign` per component,
    scored (total edge weight × edge density), ordered (score, then size, then accounts) and
    numbered ``C1``, ``C2``, …

    Each row (a dict, a Polars row, a Spark ``Row``) has the component label ``c`` (the key of its
    list in ``evidence``, already ordered), ``accounts`` (names, sorted), ``message_ids``,
    ``candidate``, ``constituency`` and ``force`` (distinct non-empty values, sorted), ``kinds``
    (behaviour codes, sorted), ``first`` and ``last`` (times), ``edges`` (how many) and ``total``
    (their summed weight)."""
    campaigns = []
    for r in rows:
        n = len(r["accounts"])
        density = 1.0 if n < 2 else min(1.0, r["edges"] / (n * (n - 1) / 2))
        campaigns.append(
            Campaign(
                id="",
                accounts=tuple(r["accounts"]),
                message_ids=tuple(r["message_ids"]),
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


def _hosts(urls) -> list[str]:
    if not urls:
        return []
    return pl.DataFrame({"u": [list(urls)]}, schema={"u": pl.List(pl.String)}).select(domain_of(pl.col("u")))["u"][0].to_list()


def _shared_label(kind: Behaviour, r: dict) -> str:
    """What was shared, in words, for one piece of evidence."""
    if kind in (Behaviour.TEXT, Behaviour.NEAR_TEXT):
        text = r["text_i"] if kind is Behaviour.TEXT else f"{r['text_i']} ~ {r['text_j']}"
        return text if len(text) <= 200 else text[:199] + "…"
    if kind is Behaviour.REPOST:
        return r["repost_of_i"]
    if kind is Behaviour.REPLY:
        return r["reply_to_i"]
    if kind is Behaviour.DOMAIN:
        hosts = lambda r, side: {h for h in _hosts(r["urls" + side]) + [d.lower() for d in (r["domains" + side] or ())] if h}
        common = sorted(hosts(r, "_i") & hosts(r, "_j"))
        return ", ".join(common) if common else kind.label
    column = {Behaviour.URL: "urls", Behaviour.OBSERVABLE: "observables", Behaviour.HASHTAG: "hashtags", Behaviour.IMAGE: "images"}[kind]
    common = sorted(set(r[column + "_i"] or ()) & set(r[column + "_j"] or ()))
    if kind is Behaviour.HASHTAG and not common:
        tags = lambda t: {w.lower().lstrip("#") for w in (t or "").split() if w.startswith("#")}
        common = sorted(tags(r["text_i"]) & tags(r["text_j"]))
    return ", ".join(common) if common else kind.label


__all__ = ["COLUMNS", "Action", "Behaviour", "Campaign", "Detection", "Edge", "Evidence", "Settings", "action_frame", "benjamini_hochberg", "campaign_chance", "campaigns_chance_explains", "detect", "domain_of",
           "explain", "jaccard", "normalise_text", "poisson_tail", "significance", "window_pairs"]
