"""Scores how likely a message is to be abusive, with the features behind each score.

The model is a logistic regression over hashed TF-IDF features, trained by
``ballotguard train-abuse-model`` (see :mod:`ballotguard.engines.abuse.training` and
``docs/model-card-abuse.md``). It is a triage aid that orders a reviewer's queue; it never decides
anything on its own.

This module is the whole of inference and imports only the standard library and NumPy, so the
service starts fast, never downloads anything and never unpickles anything: the artifact is an
``.npz`` of plain arrays (loaded with ``allow_pickle=False``) beside a JSON file of parameters.

Features, computed for a whole batch at once with vectorised NumPy:

1. each message is normalised in Python (:func:`normalise`): HTML entities decoded, compatibility
   characters folded (NFKC), zero-width characters dropped, @mentions → ``@user``, links → ``url``,
   digits → ``0``, hashtags split into words (``#LockHerUp`` → ``# lock her up``), emoji → their
   Unicode names (``face_with_tears_of_joy``), lower case, runs of 3+ repeated characters cut to 2,
   punctuation runs split off words;
2. the batch is joined into one array of code points (messages separated by a NUL) and a polynomial
   hash of every substring is read off one prefix sum (mod 2**32, so it is the same on every
   machine, unlike Python's salted ``hash()``);
3. word unigrams and bigrams, and character n-grams of 2–5 code points that stay inside one word
   (with the spaces around it, like scikit-learn's ``char_wb``), are hashed into two bucket spaces;
4. sublinear term frequency (1 + ln tf) × IDF, each family L2-normalised on its own;
5. logit = features · weights + bias; probability = sigmoid(logit).

Two operating points are stored with the artifact, both chosen on an inner split of the training
rows (never on the held-out validation split, never on the hand-written test messages):

* ``threshold``: the macro-F1-best threshold (what the OLID benchmark figures use);
* ``review_threshold``: the lowest threshold at which the precision of the abusive class reaches
  :data:`REVIEW_PRECISION` (0.80), for flagging messages into a human review queue, where a flag
  that is usually wrong makes the queue useless.

Because the score is linear in the logit, :meth:`AbuseModel.explain` can say exactly how much each
word (its unigram plus all its character n-grams) and each word pair of the message contributed.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MODELS_DIR = Path(__file__).resolve().parent / "models"
DEFAULT_ARTIFACT = MODELS_DIR / "abuse-v1"

#: Messages are cut to this many characters before scoring. Abuse shows in the words used, and a
#: post on the platforms we watch is at most a few thousand characters; the cap bounds the time and
#: memory one hostile, enormous message can take from the batch it arrives in.
MAX_CHARS = 2000

#: How an artifact is rebuilt (named in the error an out-of-date artifact raises).
REBUILD_COMMAND = "ballotguard train-abuse-model --data-dir ../shared/data/abuse --out ballotguard/engines/abuse/models/abuse-v1 --seed 2019"

#: Precision of the abusive class that ``review_threshold`` must reach on the inner split.
REVIEW_PRECISION = 0.80

#: Bump when :func:`normalise` or the hashing changes: an artifact records the version it was
#: trained with and :meth:`AbuseModel.load` refuses a mismatch (the features would not agree).
FEATURISER_VERSION = 1

_MASK32 = 0xFFFFFFFF
_SEP = 0  # code point between messages: no n-gram may contain it
_SPACE = 32

_ZERO_WIDTH = {**dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None), **dict.fromkeys(map(ord, "\u2018\u2019\u02bc\u2032"), "'")}
_MENTION = re.compile(r"@\w+")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_HASHTAG = re.compile(r"#(\w+)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_DIGITS = re.compile(r"\d+")
_REPEAT = re.compile(r"(.)\1{2,}")
_PUNCT = re.compile(r"([^\w\s'*@]+)")
# Emoji and other pictographs (Unicode "So" symbols in the usual emoji blocks).
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff]")
_SKIN_AND_JOINERS = dict.fromkeys([*range(0x1F3FB, 0x1F400), 0xFE0F, 0xFE0E, 0x20E3], None)


def _emoji_name(match: re.Match[str]) -> str:
    name = unicodedata.name(match.group(0), "")
    return f" {name.lower().replace(' ', '_').replace('-', '_')} " if name else " "


def _split_hashtag(match: re.Match[str]) -> str:
    return " # " + _CAMEL.sub(" ", match.group(1)) + " "


def normalise(text: str) -> str:
    """The message as the featuriser sees it: one string of space-separated lower-case tokens."""
    text = text[:MAX_CHARS]
    if "\x00" in text:
        text = text.replace("\x00", " ")  # NUL separates messages in hashed_grams
    if "&" in text:
        text = html.unescape(text)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).translate(_ZERO_WIDTH).translate(_SKIN_AND_JOINERS)
        text = _EMOJI.sub(_emoji_name, text)
    text = _URL.sub(" url ", text)
    text = _MENTION.sub(" @user ", text)
    if "#" in text:
        text = _HASHTAG.sub(_split_hashtag, text)
    text = _DIGITS.sub("0", text.lower())
    text = _REPEAT.sub(r"\1\1", text)
    text = _PUNCT.sub(r" \1 ", text)
    return " ".join(text.split())


# ---------------------------------------------------------------------------------------------
# Hashing


@dataclass(frozen=True)
class FeaturiserParams:
    """Everything that fixes the feature space; stored in the artifact's JSON."""

    word_bits: int = 20
    char_bits: int = 20
    char_min: int = 2
    char_max: int = 5
    prime: int = 0x01000193  # FNV prime: odd, so invertible mod 2**32
    version: int = FEATURISER_VERSION
    #: hand-written insults and profanity (normalised form); every occurrence of one also counts
    #: towards one shared "lexicon" feature, so rare insults borrow strength from common ones
    lexicon: tuple[str, ...] = ()

    _INTS = ("word_bits", "char_bits", "char_min", "char_max", "prime", "version")

    @property
    def n_word(self) -> int:
        return 1 << self.word_bits

    @property
    def lexicon_column(self) -> int:
        return (1 << self.word_bits) + (1 << self.char_bits)

    @property
    def n_features(self) -> int:
        return self.lexicon_column + 1

    def to_json(self) -> dict:
        return {**{k: getattr(self, k) for k in self._INTS}, "lexicon": list(self.lexicon)}

    @classmethod
    def from_json(cls, data: dict) -> FeaturiserParams:
        return cls(**{k: int(data[k]) for k in cls._INTS}, lexicon=tuple(data.get("lexicon", ())))


def load_lexicon(path: str | Path = MODELS_DIR / "abuse-lexicon.txt") -> tuple[str, ...]:
    """The lexicon file: one term a line, ``#`` comments; terms are normalised like messages."""
    terms = set()
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            terms.update(normalise(line).split())
    return tuple(sorted(terms))


@functools.lru_cache(maxsize=8)
def _lexicon_hashes(lexicon: tuple[str, ...], prime: int) -> np.ndarray:
    """The raw polynomial hash of each lexicon term, as :func:`hashed_grams` computes it."""
    out = []
    for term in lexicon:
        h = 0
        for ch in term:
            h = (h * prime + ord(ch)) & _MASK32
        out.append(h)
    return np.array(sorted(out), dtype=np.uint32)


def _mix(h: np.ndarray, salt: int) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser, after xor-ing a salt (n-gram kind and length)."""
    h = h ^ np.uint32(salt)
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return h


@functools.lru_cache(maxsize=8)
def _powers(prime: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """prime**i and prime**-i mod 2**32 for i < n (uint32 arithmetic wraps, as wanted)."""
    inv = pow(prime, -1, 1 << 32)
    up = np.full(n, prime, dtype=np.uint32)
    up[0] = 1
    down = np.full(n, inv, dtype=np.uint32)
    down[0] = 1
    return np.cumprod(up, dtype=np.uint32), np.cumprod(down, dtype=np.uint32)


def _next_pow2(n: int) -> int:
    return 1 << max(10, (n - 1).bit_length())


@dataclass
class _Grams:
    """The hashed n-grams of a batch: one entry per occurrence."""

    row: np.ndarray  # message index
    col: np.ndarray  # feature column (word buckets first, then character buckets)
    start: np.ndarray  # code-point offsets into the joined batch, for explain()
    stop: np.ndarray
    stream: str = ""
    offsets: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def hashed_grams(normalised: Sequence[str], params: FeaturiserParams, *, keep_text: bool = False) -> _Grams:
    """Every word 1–2-gram and word-bounded character n-gram of the (normalised) messages."""
    n_msgs = len(normalised)
    stream = "\x00".join(f" {t} " for t in normalised)
    codes = np.frombuffer(stream.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)  # lone surrogates happen
    length = len(codes)
    lens = np.fromiter((len(t) + 2 for t in normalised), dtype=np.int64, count=n_msgs)
    starts_of_msg = np.zeros(n_msgs, dtype=np.int64)
    if n_msgs > 1:
        starts_of_msg[1:] = np.cumsum(lens[:-1] + 1)
    msg_of = np.repeat(np.arange(n_msgs, dtype=np.int64), lens + 1)[:length]

    p_up, p_down = _powers(params.prime, _next_pow2(length + 1))
    # prefix[i] = sum_{j<i} c_j * p^-j; hash(a, b) = (prefix[b] - prefix[a]) * p^(b-1)
    prefix = np.zeros(length + 1, dtype=np.uint32)
    np.cumsum(codes * p_down[:length], dtype=np.uint32, out=prefix[1:])

    def substring_hash(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return (prefix[b] - prefix[a]) * p_up[b - 1]

    is_space = codes == _SPACE
    is_sep = codes == _SEP
    space_prefix = np.zeros(length + 1, dtype=np.int32)
    np.cumsum(is_space, out=space_prefix[1:])
    sep_prefix = np.zeros(length + 1, dtype=np.int32)
    np.cumsum(is_sep, out=sep_prefix[1:])

    rows, cols, starts, stops = [], [], [], []
    # Words: maximal runs of code points that are neither space nor separator.
    is_word = ~(is_space | is_sep)
    edges = np.diff(np.concatenate(([False], is_word, [False])).astype(np.int8))
    w_start = np.flatnonzero(edges == 1)
    w_stop = np.flatnonzero(edges == -1)
    word_mask = np.uint32(params.n_word - 1)
    if len(w_start):
        raw = substring_hash(w_start, w_stop)
        h = _mix(raw, 0x57000001) & word_mask
        rows.append(msg_of[w_start]), cols.append(h.astype(np.int64)), starts.append(w_start), stops.append(w_stop)
        if params.lexicon:
            hit = np.isin(raw, _lexicon_hashes(params.lexicon, params.prime))
            rows.append(msg_of[w_start[hit]]), starts.append(w_start[hit]), stops.append(w_stop[hit])
            cols.append(np.full(int(hit.sum()), params.lexicon_column, dtype=np.int64))
        same = msg_of[w_start[:-1]] == msg_of[w_start[1:]]
        b_start, b_stop = w_start[:-1][same], w_stop[1:][same]
        h = _mix(substring_hash(b_start, b_stop), 0x57000002) & word_mask
        rows.append(msg_of[b_start]), cols.append(h.astype(np.int64)), starts.append(b_start), stops.append(b_stop)
    # Character n-grams inside " word ": no separator at all, no space except at either end.
    char_mask = np.uint32((1 << params.char_bits) - 1)
    for n in range(params.char_min, params.char_max + 1):
        if length < n:
            break
        a = np.arange(length - n + 1, dtype=np.int64)
        b = a + n
        inner_spaces = space_prefix[b - 1] - space_prefix[a + 1]
        ok = (inner_spaces == 0) & (sep_prefix[b] == sep_prefix[a]) & (space_prefix[b] - space_prefix[a] < n)
        a, b = a[ok], b[ok]
        h = _mix(substring_hash(a, b), 0xC4000000 + n) & char_mask
        rows.append(msg_of[a]), cols.append(h.astype(np.int64) + params.n_word), starts.append(a), stops.append(b)
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return _Grams(empty, empty, empty, empty)
    grams = _Grams(np.concatenate(rows), np.concatenate(cols), np.concatenate(starts), np.concatenate(stops))
    if keep_text:
        grams.stream, grams.offsets = stream, starts_of_msg
    return grams


@dataclass
class FeatureMatrix:
    """A sparse batch × features matrix in coordinate form (what training turns into CSR)."""

    row: np.ndarray
    col: np.ndarray
    value: np.ndarray
    n_rows: int
    n_cols: int


def term_counts(texts: Sequence[str], params: FeaturiserParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, col, count) of every distinct feature in every message."""
    grams = hashed_grams([normalise(t) for t in texts], params)
    key = grams.row * params.n_features + grams.col
    key, counts = np.unique(key, return_counts=True)
    return key // params.n_features, key % params.n_features, counts


def tfidf(row: np.ndarray, col: np.ndarray, counts: np.ndarray, idf: np.ndarray, n_rows: int, params: FeaturiserParams) -> FeatureMatrix:
    """Sublinear TF × IDF, the word and character families each scaled to unit length."""
    value = (1.0 + np.log(counts, dtype=np.float64)) * idf[col]
    family = row * 2 + ((col >= params.n_word) & (col != params.lexicon_column))
    norms = np.sqrt(np.bincount(family, weights=value * value, minlength=2 * n_rows))
    value = value / np.where(norms > 0, norms, 1.0)[family]
    return FeatureMatrix(row, col, value, n_rows, params.n_features)


def featurise(texts: Sequence[str], idf: np.ndarray, params: FeaturiserParams) -> FeatureMatrix:
    row, col, counts = term_counts(texts, params)
    return tfidf(row, col, counts, idf, len(texts), params)


# ---------------------------------------------------------------------------------------------
# The model


class ArtifactError(ValueError):
    """The artifact is missing, malformed, or was made by another featuriser version."""


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # no overflow warnings for large |z|


class Scorer:
    """What every abuse scorer offers on top of its ``logits``: the probability and its two operating
    points. The default model, the optional embedding stack and the optional fine-tuned network all
    inherit it, so the queue can use any of them (``monitoring.services.scoring.scorer``)."""

    threshold: float
    review_threshold: float

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        raise NotImplementedError

    def score(self, texts: Sequence[str]) -> np.ndarray:
        """The probability that each message is abusive (offensive), as float64 in [0, 1]."""
        return _sigmoid(self.logits(texts))

    def is_abusive(self, texts: Sequence[str]) -> np.ndarray:
        """At the macro-F1 operating point (``threshold``)."""
        return self.score(texts) >= self.threshold

    def needs_review(self, texts: Sequence[str]) -> np.ndarray:
        """At the review-queue operating point (``review_threshold``, precision-first)."""
        return self.score(texts) >= self.review_threshold


def sha256_file(path: str | Path) -> str:
    """Of an artifact or a data file, read in 1 MiB blocks (ONNX networks are ~90 MB)."""
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def package_version(module: str) -> str | None:
    """For the environment recorded in an artifact's metadata; ``None`` when not installed."""
    try:
        return __import__(module).__version__
    except (ImportError, AttributeError):
        return None


class AbuseModel(Scorer):
    """A trained abuse scorer. Load with :meth:`load`; :func:`default_model` caches the default."""

    #: messages featurised at once inside :meth:`score` (bounds memory for huge batches)
    chunk_size = 4096

    def __init__(
        self, weights: np.ndarray, idf: np.ndarray, bias: float, params: FeaturiserParams, *,
        threshold: float, review_threshold: float, version: str, metadata: dict,
    ):
        if weights.shape != (params.n_features,) or idf.shape != (params.n_features,):
            raise ArtifactError(f"weights/idf must have {params.n_features} entries, got {weights.shape} and {idf.shape}")
        self.weights = np.asarray(weights, dtype=np.float64)
        self.idf = np.asarray(idf, dtype=np.float64)
        self.bias = float(bias)
        self.params = params
        self.version = version
        self.metadata = metadata
        self.threshold = threshold
        self.review_threshold = review_threshold

    # Both operating points live in ``metadata`` too (so the saved JSON and ``model.metadata``
    # always show the ones in use); assigning a new ``metadata`` dict keeps the current ones.

    @property
    def metadata(self) -> dict:
        """The artifact's JSON metadata, including ``threshold`` and ``review_threshold``."""
        return self._metadata

    @metadata.setter
    def metadata(self, value: dict) -> None:
        value = dict(value)
        if hasattr(self, "_metadata"):
            value.update(threshold=self.threshold, review_threshold=self.review_threshold)
        self._metadata = value

    @property
    def threshold(self) -> float:
        """The macro-F1-best operating point (the one the OLID benchmark figures use)."""
        return self._threshold

    @threshold.setter
    def threshold(self, value: float) -> None:
        self._threshold = float(value)
        self._metadata["threshold"] = self._threshold

    @property
    def review_threshold(self) -> float:
        """The review-queue operating point: the lowest threshold at which the abusive class's
        precision is >= REVIEW_PRECISION on the inner split of the training rows."""
        return self._review_threshold

    @review_threshold.setter
    def review_threshold(self, value: float) -> None:
        self._review_threshold = float(value)
        self._metadata["review_threshold"] = self._review_threshold

    def __repr__(self) -> str:
        return f"<AbuseModel {self.version} threshold={self.threshold:.3f} review_threshold={self.review_threshold:.3f}>"

    # -- loading and saving --------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | Path | None = None) -> AbuseModel:
        """Load ``PATH.npz`` + ``PATH.json`` (PATH may name either file or the common stem)."""
        stem = Path(DEFAULT_ARTIFACT if path is None else path)
        if stem.suffix in (".npz", ".json"):
            stem = stem.with_suffix("")
        npz, meta_path = stem.with_suffix(".npz"), stem.with_suffix(".json")
        if not npz.is_file() or not meta_path.is_file():
            raise ArtifactError(f"abuse model artifact not found: {npz} and {meta_path} are both needed")
        metadata = json.loads(meta_path.read_text(encoding="utf-8"))
        params = FeaturiserParams.from_json(metadata["featuriser"])
        if params.version != FEATURISER_VERSION:
            raise ArtifactError(f"{meta_path} was trained with featuriser v{params.version}; this code is v{FEATURISER_VERSION}: retrain")
        if "review_threshold" not in metadata:
            # Artifacts from before the review operating point existed are refused rather than
            # given review_threshold = threshold: the review queue would silently flag half of all
            # harmless messages again.
            raise ArtifactError(f"{meta_path} has no review_threshold (made before it was added): rebuild it with `{REBUILD_COMMAND}`")
        with np.load(npz, allow_pickle=False) as arrays:
            weights, idf, bias = arrays["weights"], arrays["idf"], arrays["bias"]
        return cls(
            weights, idf, float(bias.reshape(-1)[0]), params,
            threshold=metadata["threshold"], review_threshold=metadata["review_threshold"], version=metadata["version"], metadata=metadata,
        )

    def save(self, path: str | Path) -> tuple[Path, Path]:
        """Write ``PATH.npz`` (float16 weights and IDF) and ``PATH.json``; returns both paths."""
        stem = Path(path)
        if stem.suffix in (".npz", ".json"):
            stem = stem.with_suffix("")
        stem.parent.mkdir(parents=True, exist_ok=True)
        npz, meta_path = stem.with_suffix(".npz"), stem.with_suffix(".json")
        with npz.open("wb") as f:
            np.savez_compressed(f, weights=self.weights.astype(np.float16), idf=self.idf.astype(np.float16), bias=np.array([self.bias], dtype=np.float32))
        metadata = dict(self.metadata, version=self.version, featuriser=self.params.to_json())
        meta_path.write_text(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return npz, meta_path

    def rounded(self) -> AbuseModel:
        """The model as it will be after a save/load round trip (float16 weights and IDF)."""
        return AbuseModel(
            self.weights.astype(np.float16), self.idf.astype(np.float16), float(np.float32(self.bias)), self.params,
            threshold=self.threshold, review_threshold=self.review_threshold, version=self.version, metadata=self.metadata,
        )

    # -- scoring -------------------------------------------------------------------------------

    def _check(self, texts: Sequence[str]) -> None:
        for t in texts:
            if not isinstance(t, str):
                raise TypeError(f"texts must be str, got {type(t).__name__}")

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("score() takes a sequence of messages, not one string")
        texts = list(texts)
        self._check(texts)
        out = np.empty(len(texts), dtype=np.float64)
        for lo in range(0, len(texts), self.chunk_size):
            chunk = texts[lo : lo + self.chunk_size]
            m = featurise(chunk, self.idf, self.params)
            out[lo : lo + len(chunk)] = np.bincount(m.row, weights=m.value * self.weights[m.col], minlength=len(chunk)) + self.bias
        return out

    def explain(self, text: str, top: int = 5) -> list[tuple[str, float]]:
        """The message's own strongest features and their signed contributions to the logit.

        A word's contribution is its unigram plus every character n-gram inside it (so misspellings
        and obfuscations still point at the word); a pair of adjacent words is a ``phrase:``. The
        contributions of all features plus ``bias`` add up to the logit, so they are exact, not a
        post-hoc approximation. Returns the ``top`` largest by absolute value, strongest positive
        (towards "abusive") first, labelled ``word:…`` or ``phrase:…``.
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be str, got {type(text).__name__}")
        contributions = self.contributions(text)
        strongest = sorted(contributions.items(), key=lambda kv: -abs(kv[1]))[: max(0, top)]
        return sorted(strongest, key=lambda kv: -kv[1])

    def contributions(self, text: str) -> dict[str, float]:
        """Every word's and phrase's contribution to the logit of ``text`` (see :meth:`explain`)."""
        normalised = normalise(text)
        grams = hashed_grams([normalised], self.params, keep_text=True)
        if not len(grams.col):
            return {}
        key, inverse, counts = np.unique(grams.col, return_inverse=True, return_counts=True)
        m = tfidf(np.zeros(len(key), dtype=np.int64), key, counts, self.idf, 1, self.params)
        # share each distinct feature's contribution equally among its occurrences
        per_occurrence = (m.value * self.weights[key] / counts)[inverse]
        stream = grams.stream
        # the word each occurrence lies in: character n-grams may include the padding spaces
        word_bounds = [(mt.start() , mt.end()) for mt in re.finditer(r"[^ \x00]+", stream)]
        w_starts = np.array([s for s, _ in word_bounds], dtype=np.int64)
        result: dict[str, float] = {}
        for start, stop, col, c in zip(grams.start, grams.stop, grams.col, per_occurrence, strict=True):
            if col < self.params.n_word and " " in stream[start:stop]:  # a word bigram
                label = "phrase:" + stream[start:stop]
            else:
                inner = start + (stream[start] == " ")
                i = int(np.searchsorted(w_starts, inner, side="right")) - 1
                s, e = word_bounds[i]
                label = "word:" + stream[s:e]
            result[label] = result.get(label, 0.0) + float(c)
        return result


@functools.lru_cache(maxsize=1)
def default_model() -> AbuseModel:
    """The committed model (``ballotguard/engines/abuse/models/abuse-v1``), loaded once per process."""
    return AbuseModel.load(None)
