"""Details about a perpetrator ("observables") that a candidate reports, made comparable across incidents.

The same harasser turns up in different reports written in different ways: ``@JoeBloggs`` in one,
``https://twitter.com/joebloggs?s=20`` in another; ``ab12cde`` and ``AB12 CDE``; ``07700 900123`` and
``+44 7700 900123``. Each observable therefore has a normalised ``value`` that is what gets matched
(the app HMACs ``match_key``, so the plain value never needs to be indexed) and a ``display`` that is
what a person is shown. Normalising a ``display`` (or a ``value``) again gives the same ``value``.

Free-text descriptions ("tall man in a red coat") are kept but never matched: loose matching of
prose would link unrelated people.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote_from_bytes, unquote, unquote_to_bytes, urlsplit

import phonenumbers

from ballotguard.engines.candidates.contact import ContactError, normalise_email, normalise_phone
from ballotguard.engines.common.i18n import gettext_noop

MAX_LENGTH = 500
# Links to posts carry long paths and tracking parameters (which are removed), so they get more room.
MAX_URL_LENGTH = 2048


class ObservableKind(str, enum.Enum):
    HANDLE = "handle"
    PHONE = "phone"
    EMAIL = "email"
    VEHICLE = "vehicle"
    URL = "url"
    NAME = "name"
    DESCRIPTION = "description"

    @property
    def label(self) -> str:
        return {
            "handle": gettext_noop("Social media handle"),
            "phone": gettext_noop("Phone number"),
            "email": gettext_noop("Email address"),
            "vehicle": gettext_noop("Vehicle registration"),
            "url": gettext_noop("Web address"),
            "name": gettext_noop("Name"),
            "description": gettext_noop("Description"),
        }[self.value]

    @property
    def matchable(self) -> bool:
        """Whether reports sharing this value are linked. Descriptions are prose, so they are not."""
        return self is not ObservableKind.DESCRIPTION


class ObservableError(ValueError):
    """An observable is not valid. ``field`` is the kind's value (``"vehicle"``), ``message`` says why in
    plain English; ``line`` is set by :func:`parse_observable_lines` (and already named in ``message``)."""

    def __init__(self, field: str, message: str, line: int | None = None):
        super().__init__(message)
        self.field = field
        self.message = message
        self.line = line


@dataclass(frozen=True)
class Observable:
    kind: ObservableKind
    value: str
    display: str

    @property
    def match_key(self) -> str | None:
        """``"vehicle:AB12CDE"`` for kinds that are matched across incidents, else ``None``."""
        return f"{self.kind.value}:{self.value}" if self.kind.matchable else None


_EMPTY = {
    ObservableKind.HANDLE: "Enter a social media handle, like @name",
    ObservableKind.PHONE: "Enter a telephone number",
    ObservableKind.EMAIL: "Enter an email address",
    ObservableKind.VEHICLE: "Enter a UK vehicle registration, like AB12 CDE",
    ObservableKind.URL: "Enter a web address, like https://www.example.com/page",
    ObservableKind.NAME: "Enter a name",
    ObservableKind.DESCRIPTION: "Enter a description",
}

# Zero-width characters come along with copy and paste, and are inserted on purpose to dodge filters;
# they are invisible, so nobody means them.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))


def normalise_observable(kind: ObservableKind | str, raw: str) -> Observable:
    """Validate and normalise one observable; raise :class:`ObservableError` if it cannot be used."""
    kind = _kind(kind)
    text = (raw or "").translate(_INVISIBLE).strip()
    if not text:
        raise ObservableError(kind.value, _EMPTY[kind])
    limit = MAX_URL_LENGTH if kind is ObservableKind.URL else MAX_LENGTH
    if len(text) > limit:
        raise ObservableError(kind.value, f"{kind.label} must be {limit} characters or fewer")
    value, display = _NORMALISERS[kind](text)
    if not value:  # a name of nothing but accents, say
        raise ObservableError(kind.value, _EMPTY[kind])
    if len(value) > limit or len(display) > limit:
        raise ObservableError(kind.value, f"{kind.label} must be {limit} characters or fewer")
    return Observable(kind, value, display)


def parse_observable_lines(kind: ObservableKind | str, text: str) -> tuple[list[Observable], list[ObservableError]]:
    """One observable per non-blank line of a textarea, de-duplicated by value in the order given.

    Every line is checked, so a person sees all the problems at once; each error names its line.
    """
    kind = _kind(kind)
    found: list[Observable] = []
    seen: set[str] = set()
    errors: list[ObservableError] = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.translate(_INVISIBLE).strip():
            continue
        try:
            observable = normalise_observable(kind, line)
        except ObservableError as err:
            errors.append(ObservableError(err.field, f"Line {number}: {err.message}", line=number))
            continue
        if observable.value not in seen:
            seen.add(observable.value)
            found.append(observable)
    return found, errors


def _kind(kind: ObservableKind | str) -> ObservableKind:
    try:
        return ObservableKind(kind)
    except ValueError:
        raise ObservableError("kind", "Select what kind of detail this is") from None


# --- phone and email: the contact engine's rules, so candidates' own details and perpetrators' match


def _phone(text: str) -> tuple[str, str]:
    try:
        value = normalise_phone(text)
    except ContactError as err:
        raise ObservableError(ObservableKind.PHONE.value, err.message) from None
    display = phonenumbers.format_number(phonenumbers.parse(value, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return value, display


def _email(text: str) -> tuple[str, str]:
    try:
        return normalise_email(text), text
    except ContactError as err:
        raise ObservableError(ObservableKind.EMAIL.value, err.message) from None


# --- social media handles

_HANDLE_SITES = "X, Instagram, Facebook, TikTok, Threads, YouTube or Bluesky"
_NOT_A_PROFILE = f"Enter a handle, like @name, or the web address of a profile on {_HANDLE_SITES}"
# First path segments that are pages of the site, not people.
_RESERVED = {
    "x.com": {"i", "home", "search", "explore", "hashtag", "intent", "share", "settings", "notifications", "messages", "compose", "login", "signup", "tos", "privacy"},
    "instagram.com": {"p", "reel", "reels", "explore", "accounts", "direct", "tv", "about", "legal"},
    "facebook.com": {"profile.php", "people", "pages", "groups", "events", "watch", "share", "story.php", "permalink.php", "photo", "photo.php", "photos", "marketplace", "gaming", "login", "hashtag"},
}


def _handle(text: str) -> tuple[str, str]:
    """``@Name``, ``Name`` or a profile address → (``name``, ``@Name``). The platform is dropped, so a
    report that names it and one that does not still match."""
    text = unicodedata.normalize("NFKC", text)
    handle = _handle_from_url(text) if ("/" in text or text.lower().startswith(("http:", "https:"))) else text
    if handle.startswith("@"):
        handle = handle[1:]
    if not handle:
        raise ObservableError(ObservableKind.HANDLE.value, _EMPTY[ObservableKind.HANDLE])
    if any(ch.isspace() for ch in handle):
        raise ObservableError(ObservableKind.HANDLE.value, "Enter a handle without spaces, like @name")
    if not all(ch in "_.-" or unicodedata.category(ch)[0] in "LNM" for ch in handle):
        raise ObservableError(ObservableKind.HANDLE.value, "A handle can only contain letters, numbers, underscores (_), full stops and hyphens")
    # NFKC after case-folding, as Unicode's NFKC_Casefold does, so that folding the value again changes nothing.
    return unicodedata.normalize("NFKC", handle.casefold()), f"@{handle}"


def _handle_from_url(text: str) -> str:
    try:
        parts = urlsplit(text if "://" in text else f"https://{text.lstrip('/')}")
        host = (parts.hostname or "").rstrip(".")
    except ValueError:
        raise ObservableError(ObservableKind.HANDLE.value, _NOT_A_PROFILE) from None
    host = _strip_host_prefix(host)
    host = {"twitter.com": "x.com", "threads.com": "threads.net", "fb.com": "facebook.com"}.get(host, host)
    segments = [unquote(s) for s in parts.path.split("/") if s]
    first = segments[0] if segments else ""
    handle = ""
    if host in ("x.com", "instagram.com", "facebook.com"):
        if host == "instagram.com" and first == "stories" and len(segments) > 1:
            first = segments[1]
        if host == "facebook.com" and first == "profile.php":
            raise ObservableError(ObservableKind.HANDLE.value, "This Facebook address has no user name: enter it as a web address instead")
        if first.lower() not in _RESERVED[host]:
            handle = first.lstrip("@")
    elif host in ("tiktok.com", "threads.net"):
        handle = first[1:] if first.startswith("@") else ""
    elif host == "youtube.com":
        if first.startswith("@"):
            handle = first[1:]
        elif first in ("c", "user") and len(segments) > 1:
            handle = segments[1]
    elif host == "bsky.app":
        handle = segments[1] if first == "profile" and len(segments) > 1 else ""
    if not handle:
        raise ObservableError(ObservableKind.HANDLE.value, _NOT_A_PROFILE)
    return handle


# --- vehicle registrations
# Current (2001-): region letter (never I, Q or Z), a second memory-tag letter, a two-digit age
# identifier, then three random letters (never I or Q).
# Prefix (1983-2001): age letter (not I, O, U or Z; Q is used for vehicles of unknown age), 1-3 digits,
# three letters. Suffix (1963-1983): three letters, 1-3 digits, age letter (not I, O, Q, U or Z).
# Northern Ireland: an optional serial letter, then a two-letter county code with I or Z, up to four digits.
# Dateless (before 1963, and cherished marks): 1-3 letters then 1-4 digits, or 1-4 digits then 1-3 letters.

_VEHICLE_FORMATS = (
    ("current", re.compile(r"^([A-HJ-PR-Y][A-HJ-PR-Z][0-9]{2})([A-HJ-PR-Z]{3})$")),
    ("prefix", re.compile(r"^([A-HJ-NP-TV-Y][0-9]{1,3})([A-Z]{3})$")),
    ("suffix", re.compile(r"^([A-Z]{3})([0-9]{1,3}[A-HJ-NPR-TV-Y])$")),
    ("northern_ireland", re.compile(r"^([A-Z]?(?:[A-Z][IZ]|[IZ][A-Z]))([0-9]{1,4})$")),
    ("dateless", re.compile(r"^([A-Z]{1,3})([0-9]{1,4})$")),
    ("dateless", re.compile(r"^([0-9]{1,4})([A-Z]{1,3})$")),
)
_VEHICLE_ERROR = "Enter a UK vehicle registration, like AB12 CDE"


def vehicle_format(raw: str) -> str | None:
    """Which UK format a registration is in (``current``, ``prefix``, ``suffix``, ``northern_ireland``,
    ``dateless``), or ``None`` if it is not one."""
    found = _vehicle_match(raw)
    return found[0] if found else None


def _vehicle_match(raw: str) -> tuple[str, re.Match[str]] | None:
    compact = re.sub(r"[\s\-]+", "", raw).upper()
    for name, pattern in _VEHICLE_FORMATS:
        match = pattern.match(compact)
        if match:
            return name, match
    return None


def _vehicle(text: str) -> tuple[str, str]:
    found = _vehicle_match(text)
    if found is None:
        raise ObservableError(ObservableKind.VEHICLE.value, _VEHICLE_ERROR)
    match = found[1]
    return match.group(1) + match.group(2), f"{match.group(1)} {match.group(2)}"


# --- web addresses

_URL_ERROR = "Enter a web address, like https://www.example.com/page"
_SCHEME_ERROR = "Enter a web address that starts with http:// or https://"
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_HOST_PREFIXES = ("www.", "m.", "mobile.")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_IPV4 = re.compile(r"^(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}$")
_TRACKING = {"fbclid", "gclid", "dclid", "msclkid", "igshid", "igsh", "si", "ref_src", "mc_cid", "mc_eid"}
_TRACKING_ON_HOST = {"x.com": {"s", "t", "ref_url"}}
# RFC 3986: unreserved characters are never escaped; sub-delimiters, ":" and "@" are kept as they are.
_PATH_SAFE = "-._~!$&'()*+,;=:@"
_QUERY_SAFE = "-._~!$'()*,;:@/?"


def _strip_host_prefix(host: str) -> str:
    for prefix in _HOST_PREFIXES:
        if host.startswith(prefix) and "." in host[len(prefix):]:
            return host[len(prefix):]
    return host


def _url(text: str) -> tuple[str, str]:
    """Canonicalise a web address so that two links to the same page compare equal."""
    # As browsers do: tabs and line breaks are dropped, other spaces are escaped, control characters refused.
    text = re.sub(r"[\t\r\n]", "", text)
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise ObservableError(ObservableKind.URL.value, _URL_ERROR)
    text = re.sub(r"\s", "%20", text)
    scheme = _SCHEME.match(text)
    if scheme and "." not in scheme.group(1) and not text[scheme.end():].split("/", 1)[0].isdigit():
        if scheme.group(1).lower() not in ("http", "https"):
            raise ObservableError(ObservableKind.URL.value, _SCHEME_ERROR)
        if not text[scheme.end():].startswith("//"):
            raise ObservableError(ObservableKind.URL.value, _URL_ERROR)
    else:
        text = "https://" + text.lstrip("/")
    try:
        parts = urlsplit(text)
        port = parts.port
        host = parts.hostname or ""
    except ValueError:
        raise ObservableError(ObservableKind.URL.value, _URL_ERROR) from None
    scheme_name = parts.scheme.lower()
    host = _canonical_host(host)
    host = _strip_host_prefix(host)
    if host == "twitter.com":
        host = "x.com"
    netloc = host if port in (None, {"http": 80, "https": 443}[scheme_name]) else f"{host}:{port}"
    path = _canonical_path(parts.path)
    query = _canonical_query(parts.query, host)
    value = f"{scheme_name}://{netloc}{path}" + (f"?{query}" if query else "")
    return value, value


def _canonical_host(host: str) -> str:
    host = host.rstrip(".")
    if ":" in host:  # IPv6, already unbracketed and lower-cased by urlsplit
        if not re.match(r"^[0-9a-f:.]+$", host):
            raise ObservableError(ObservableKind.URL.value, _URL_ERROR)
        return f"[{host}]"
    if _IPV4.match(host):
        return host
    try:
        host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise ObservableError(ObservableKind.URL.value, _URL_ERROR) from None
    labels = host.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        raise ObservableError(ObservableKind.URL.value, _URL_ERROR)
    return host


def _canonical_path(path: str) -> str:
    segments: list[str] = []
    for segment in path.split("/")[1:] if path.startswith("/") else path.split("/"):
        raw = unquote_to_bytes(segment)
        if raw == b".":
            continue
        if raw == b"..":
            if segments:
                segments.pop()
            continue
        segments.append(quote_from_bytes(raw, safe=_PATH_SAFE))
    while segments and segments[-1] == "":
        segments.pop()
    return "/" + "/".join(segments)


def _canonical_query(query: str, host: str) -> str:
    drop = _TRACKING | _TRACKING_ON_HOST.get(host, set())
    pairs: list[tuple[str, str | None]] = []
    for part in query.split("&"):
        if not part:
            continue
        key, eq, val = part.partition("=")
        key = _query_component(key, _QUERY_SAFE)
        if key.lower() in drop or key.lower().startswith("utm_"):
            continue
        pairs.append((key, _query_component(val, _QUERY_SAFE + "=") if eq else None))
    pairs.sort(key=lambda kv: (kv[0], kv[1] or ""))
    return "&".join(k if v is None else f"{k}={v}" for k, v in pairs)


def _query_component(text: str, safe: str) -> str:
    """``+`` means a space in a query; escapes are decoded and re-applied so ``%7e``, ``~`` and ``%7E`` agree."""
    return quote_from_bytes(unquote_to_bytes(text.replace("+", " ")), safe=safe)


# --- names and descriptions


def _name(text: str) -> tuple[str, str]:
    """Accents, case, compatibility forms and spacing do not matter: "José  O'Brien" matches "jose o'brien"."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    stripped = "".join(ch for ch in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(ch))
    value = " ".join(unicodedata.normalize("NFKC", stripped).split())
    return value, " ".join(text.split())


def _description(text: str) -> tuple[str, str]:
    return " ".join(text.split()), text


_NORMALISERS = {
    ObservableKind.HANDLE: _handle,
    ObservableKind.PHONE: _phone,
    ObservableKind.EMAIL: _email,
    ObservableKind.VEHICLE: _vehicle,
    ObservableKind.URL: _url,
    ObservableKind.NAME: _name,
    ObservableKind.DESCRIPTION: _description,
}

__all__ = [
    "MAX_LENGTH",
    "MAX_URL_LENGTH",
    "Observable",
    "ObservableError",
    "ObservableKind",
    "normalise_observable",
    "parse_observable_lines",
    "vehicle_format",
]
