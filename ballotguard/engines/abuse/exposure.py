"""Detect a candidate's own home postcode, address or phone number in a message, without the plaintext.

Posting someone's address is how "we know where you live" becomes a plan. The scoring process must not
hold candidates' contact details in the clear, so matching works on keyed hashes:

* when contact details are saved (the app has the plaintext at that moment, before encrypting it),
  :func:`contact_fingerprints` turns them into HMAC-SHA256 digests of normalised tokens, which are stored
  beside the encrypted details;
* when a message is scored, :func:`message_fingerprints` extracts every postcode-, phone- and
  address-shaped token from the text, normalises it the same way and hashes it with the same key;
* :func:`find_exposures` intersects the two sets. Nothing is ever decrypted, and an :class:`Exposure`
  says only *what kind* of detail appeared: its reason never repeats the personal data.

Tokens (each hashed with a purpose prefix, so a postcode digest can never equal a phone digest):

* postcode: the full UK postcode, upper-case with one space before the inward code (``SW1A 1AA``); in a
  message found with or without the space, in any case;
* phone: E.164 (``+447700900123``) using the contact engine's normaliser (region GB, ``phonenumbers``);
  in a message found in UK formats with spaces, dashes, brackets, ``+44`` or ``0044``;
* address: house number + street name + street type, lower-case, with common abbreviations folded
  (``12 Acacia Ave`` → ``12 acacia avenue``; "St" is folded to "street" only as the last word, since
  at the front it is "Saint"); and, when the first line of the address has no number, the house name
  (two words or more, such as ``Rose Cottage``), matched against runs of 2 to 4 words in a message.

Two marker digests travel with a candidate's fingerprints: one saying the set is in this format, and
one saying how many words the house name has (if there is one). Hashing every run of two to four
words of a message was a third of an ingest's CPU, and most candidates have no house name; with the
markers, :func:`find_exposures` hashes only runs of the house name's length, or none. A set written
before the markers existed has neither, and is matched against every run as before.

Not done: the outward code alone (``SW1A``) is too common in ordinary messages ("the SW1A bubble") to
raise without false alarms, so district-level exposure is not reported; addresses written without a
house number ("Acacia Avenue") are not matched for the same reason.

The key must be secret (the app keeps it beside, not inside, the database): with the key, a digest of a
postcode can be tested against all 1.7 million postcodes in seconds.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from collections.abc import Collection
from dataclasses import dataclass

from ballotguard.engines.candidates.contact import ContactError, normalise_phone, normalise_postcode

KINDS = ("postcode", "address", "phone")

_REASONS = {
    "postcode": "Message contains the candidate's home postcode",
    "address": "Message contains the candidate's home address",
    "phone": "Message contains the candidate's phone number",
}

# Messages are cut to this length before extraction: enough for any real post, and it bounds the work.
MAX_CHARS = 20_000
# House names are matched against word runs of the message; this bounds how many are hashed.
_MAX_NAME_GRAMS = 4_000
HOUSE_NAME_SIZES = (2, 3, 4)
# Bumped if what the fingerprints hash changes; the marker lets the message side trust the others.
FINGERPRINT_FORMAT = "2"


@dataclass(frozen=True)
class Exposure:
    kind: str  # "postcode", "address" or "phone"
    reason: str  # plain English; never contains the matched value


# --------------------------------------------------------------------------------------------------
# Hashing


def _digest(key: bytes, kind: str, token: str) -> str:
    # Copying a keyed HMAC whose key schedule is already done costs half of a fresh hmac.new, and a
    # message yields dozens of candidate tokens (every run of two to four words may be a house name).
    h = _keyed(bytes(key) if isinstance(key, bytearray) else key).copy()
    h.update(f"exposure:{kind}\x00{token}".encode())
    return h.hexdigest()


@functools.lru_cache(maxsize=8)
def _keyed(key: bytes) -> hmac.HMAC:
    if not isinstance(key, bytes) or not key:
        raise ValueError("The exposure key must be non-empty bytes")
    return hmac.new(key, digestmod=hashlib.sha256)


# --------------------------------------------------------------------------------------------------
# Normalisation shared by both sides

_STREET_TYPES = {
    "road": "road", "rd": "road",
    "street": "street", "st": "street", "str": "street",
    "avenue": "avenue", "ave": "avenue", "av": "avenue", "avn": "avenue",
    "lane": "lane", "ln": "lane",
    "close": "close", "cl": "close",
    "drive": "drive", "dr": "drive", "drv": "drive",
    "crescent": "crescent", "cres": "crescent", "cresc": "crescent", "cr": "crescent",
    "court": "court", "ct": "court",
    "place": "place", "pl": "place",
    "square": "square", "sq": "square",
    "gardens": "gardens", "gdns": "gardens", "gdn": "gardens",
    "terrace": "terrace", "terr": "terrace", "ter": "terrace", "tce": "terrace",
    "grove": "grove", "gr": "grove", "gro": "grove",
    "parade": "parade", "pde": "parade",
    "way": "way", "wy": "way",
    "walk": "walk", "wlk": "walk",
    "mews": "mews", "mws": "mews",
    "hill": "hill", "rise": "rise", "row": "row", "park": "park", "view": "view", "green": "green", "gate": "gate",
    "heights": "heights", "hts": "heights", "boulevard": "boulevard", "blvd": "boulevard", "wharf": "wharf", "yard": "yard",
    "vale": "vale", "meadow": "meadow", "meadows": "meadows", "croft": "croft", "fold": "fold", "end": "end", "approach": "approach",
}
_STREET_TYPE_ALTERNATION = "|".join(sorted(_STREET_TYPES, key=len, reverse=True))
# A house number (12, 12a), then one to three words, then a street type.
_ADDRESS_RE = re.compile(
    rf"(?<![\w/-])(\d{{1,4}}[a-z]?)\s*,?\s+((?:[a-z][a-z'’\-]*\.?\s+){{1,3}}?)({_STREET_TYPE_ALTERNATION})\.?(?![\w'’])",
    re.IGNORECASE,
)
_WORD_RE = re.compile(r"[a-z0-9]+")
# A full postcode with or without the space; validated afterwards by the contact engine's rules.
_POSTCODE_RE = re.compile(r"(?<![a-z0-9])([a-z]{1,2}[0-9][a-z0-9]?)\s*([0-9][a-z]{2})(?![a-z0-9])", re.IGNORECASE)
_GIR_RE = re.compile(r"(?<![a-z0-9])gir\s*0aa(?![a-z0-9])", re.IGNORECASE)
# UK phone numbers: +44 / 0044 / 0, then 9 or 10 more digits with optional spaces, dashes and brackets.
_PHONE_RE = re.compile(r"(?<![\w+])(?:(?:\+|00)\s?44\s?(?:\(0\)\s?)?|\(?0)(?:[\s\-().]{0,2}\d){9,10}(?![\d])")


def _address_token(number: str, words: str, street_type: str) -> str:
    # "Saint" in a street name is written "St" as often as not; the street type itself is folded apart.
    parts = ["st" if w == "saint" else w for w in _WORD_RE.findall(words.lower().replace("'", "").replace("’", ""))]
    return " ".join([number.lower(), *parts, _STREET_TYPES[street_type.lower()]])


def _house_name(first_line: str) -> str:
    words = _WORD_RE.findall(first_line.lower().replace("'", "").replace("’", ""))
    return " ".join(words) if len(words) >= 2 else ""


# --------------------------------------------------------------------------------------------------
# Public API


def contact_fingerprints(key: bytes, *, postcode: str = "", address: str = "", phone: str = "") -> frozenset[str]:
    """Keyed digests of a candidate's normalised home postcode, address and phone, to store beside the
    encrypted details. Blank details are skipped; an invalid postcode or phone raises ``ContactError``
    (contact details are validated when saved, so this means a caller's bug)."""
    digests: set[str] = set()
    if postcode.strip():
        digests.add(_digest(key, "postcode", normalise_postcode(postcode)))
    if phone.strip():
        digests.add(_digest(key, "phone", normalise_phone(phone)))
    if address.strip():
        for match in _ADDRESS_RE.finditer(address):
            digests.add(_digest(key, "address", _address_token(*match.groups())))
        first_line = next((line for line in re.split(r"[\n,]", address) if line.strip()), "")
        if not re.search(r"\d", first_line):
            name = _house_name(first_line)
            if name:
                digests.add(_digest(key, "address", name))
                digests.add(_digest(key, "house-words", str(len(name.split()))))
    if digests:
        digests.add(_digest(key, "format", FINGERPRINT_FORMAT))
    return frozenset(digests)


def _house_sizes(key: bytes, stored: Collection[str] | None) -> tuple[int, ...]:
    """The word-run lengths worth hashing against ``stored``: the house name's, or none, where the set
    says (its markers); every length when it does not (no set given, or one written before markers)."""
    if stored is None or _digest(key, "format", FINGERPRINT_FORMAT) not in stored:
        return HOUSE_NAME_SIZES
    return tuple(n for n in HOUSE_NAME_SIZES if _digest(key, "house-words", str(n)) in stored)


def message_fingerprints(key: bytes, text: str, stored: Collection[str] | None = None) -> dict[str, str]:
    """Keyed digests of every postcode-, phone- and address-shaped token in a message, each mapped to
    its kind. The tokens themselves are not returned. Given the candidate's ``stored`` fingerprints,
    runs of words are hashed only at the length of their house name (none without one)."""
    text = (text or "")[:MAX_CHARS]
    found: dict[str, str] = {}
    for match in _POSTCODE_RE.finditer(text):
        try:
            value = normalise_postcode(match.group(1) + match.group(2))
        except ContactError:
            continue
        found[_digest(key, "postcode", value)] = "postcode"
    if _GIR_RE.search(text):
        found[_digest(key, "postcode", "GIR 0AA")] = "postcode"
    for match in _PHONE_RE.finditer(text):
        raw = re.sub(r"[^\d+]", "", match.group(0))
        try:
            value = normalise_phone(raw)
        except ContactError:
            continue
        if value:
            found[_digest(key, "phone", value)] = "phone"
    for match in _ADDRESS_RE.finditer(text):
        found[_digest(key, "address", _address_token(*match.groups()))] = "address"
    # House names: every run of 2 to 4 words.
    words = _WORD_RE.findall(text.lower().replace("'", "").replace("’", ""))
    grams = 0
    for size in _house_sizes(key, stored):
        for start in range(len(words) - size + 1):
            if grams >= _MAX_NAME_GRAMS:
                break
            found.setdefault(_digest(key, "address", " ".join(words[start : start + size])), "address")
            grams += 1
    return found


def find_exposures(key: bytes, text: str, fingerprints: Collection[str]) -> tuple[Exposure, ...]:
    """Which of the candidate's contact details (given as :func:`contact_fingerprints`) the message
    contains: at most one :class:`Exposure` per kind, in the order postcode, address, phone."""
    if not fingerprints or not text:
        return ()
    stored = fingerprints if isinstance(fingerprints, (set, frozenset)) else frozenset(fingerprints)
    kinds = {kind for digest, kind in message_fingerprints(key, text, stored).items() if digest in stored}
    return tuple(Exposure(kind, _REASONS[kind]) for kind in KINDS if kind in kinds)
