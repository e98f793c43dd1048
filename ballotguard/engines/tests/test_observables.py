"""Observables normalise so the same perpetrator matches across reports, and refuse what cannot match."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ballotguard.engines.incidents.observables import (
    MAX_LENGTH,
    MAX_URL_LENGTH,
    Observable,
    ObservableError,
    ObservableKind,
    normalise_observable,
    parse_observable_lines,
    vehicle_format,
)

K = ObservableKind


def value_of(kind: ObservableKind, raw: str) -> str:
    return normalise_observable(kind, raw).value


def error_of(kind: ObservableKind, raw: str) -> ObservableError:
    with pytest.raises(ObservableError) as err:
        normalise_observable(kind, raw)
    return err.value


# --- kinds


@pytest.mark.parametrize(
    "kind, label, matchable",
    [
        (K.HANDLE, "Social media handle", True),
        (K.PHONE, "Phone number", True),
        (K.EMAIL, "Email address", True),
        (K.VEHICLE, "Vehicle registration", True),
        (K.URL, "Web address", True),
        (K.NAME, "Name", True),
        (K.DESCRIPTION, "Description", False),
    ],
    ids=lambda v: v.value if isinstance(v, ObservableKind) else None,
)
def test_kind_labels_and_matchability(kind, label, matchable):
    assert kind.label == label
    assert kind.matchable is matchable


def test_match_key_names_the_kind_and_descriptions_have_none():
    assert normalise_observable("vehicle", "ab12 cde").match_key == "vehicle:AB12CDE"
    assert normalise_observable(K.HANDLE, "@Joe").match_key == "handle:joe"
    description = normalise_observable(K.DESCRIPTION, "  tall man,\n  red   coat ")
    assert description == Observable(K.DESCRIPTION, "tall man, red coat", "tall man,\n  red   coat")
    assert description.match_key is None


def test_unknown_kind_is_refused():
    err = error_of("shoe_size", "9")  # type: ignore[arg-type]
    assert err.field == "kind"


@pytest.mark.parametrize("kind", list(ObservableKind), ids=lambda k: k.value)
def test_blank_is_refused_with_the_kind_as_field(kind):
    err = error_of(kind, "  \u200b ")
    assert err.field == kind.value and err.message.startswith("Enter ")


@pytest.mark.parametrize("kind", list(ObservableKind), ids=lambda k: k.value)
def test_too_long_is_refused(kind):
    limit = MAX_URL_LENGTH if kind is K.URL else MAX_LENGTH
    err = error_of(kind, "a" * (limit + 1))
    assert err.field == kind.value
    assert err.message == f"{kind.label} must be {limit} characters or fewer"


# --- vehicles


@pytest.mark.parametrize(
    "raw, value, display, fmt",
    [
        pytest.param("AB12 CDE", "AB12CDE", "AB12 CDE", "current", id="current"),
        pytest.param(" ab12cde ", "AB12CDE", "AB12 CDE", "current", id="current-lower-no-space"),
        pytest.param("AB-12-CDE", "AB12CDE", "AB12 CDE", "current", id="current-hyphens"),
        pytest.param("YZ73 ZZZ", "YZ73ZZZ", "YZ73 ZZZ", "current", id="current-z-allowed-after-region"),
        pytest.param("A123 BCD", "A123BCD", "A123 BCD", "prefix", id="prefix"),
        pytest.param("P1 ABC", "P1ABC", "P1 ABC", "prefix", id="prefix-one-digit"),
        pytest.param("Q123 ABC", "Q123ABC", "Q123 ABC", "prefix", id="prefix-q-plate"),
        pytest.param("ABC 123D", "ABC123D", "ABC 123D", "suffix", id="suffix"),
        pytest.param("abc1y", "ABC1Y", "ABC 1Y", "suffix", id="suffix-one-digit"),
        pytest.param("ABZ 1234", "ABZ1234", "ABZ 1234", "northern_ireland", id="ni-three-letters"),
        pytest.param("IA 12", "IA12", "IA 12", "northern_ireland", id="ni-two-letters"),
        pytest.param("OIZ 9", "OIZ9", "OIZ 9", "northern_ireland", id="ni-one-digit"),
        pytest.param("A 1", "A1", "A 1", "dateless", id="dateless-a1"),
        pytest.param("ABC 123", "ABC123", "ABC 123", "dateless", id="dateless-letters-first"),
        pytest.param("FN 1234", "FN1234", "FN 1234", "dateless", id="dateless-four-digits"),
        pytest.param("1234 AB", "1234AB", "1234 AB", "dateless", id="dateless-digits-first"),
        pytest.param("1 A", "1A", "1 A", "dateless", id="dateless-1a"),
    ],
)
def test_vehicle_registrations(raw, value, display, fmt):
    assert normalise_observable(K.VEHICLE, raw) == Observable(K.VEHICLE, value, display)
    assert vehicle_format(raw) == fmt


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("IB12 CDE", id="current-region-i"),
        pytest.param("QB12 CDE", id="current-region-q"),
        pytest.param("ZB12 CDE", id="current-region-z"),
        pytest.param("AB12 CIE", id="current-random-i"),
        pytest.param("AB12 CDQ", id="current-random-q"),
        pytest.param("AB1 CDEF", id="current-wrong-shape"),
        pytest.param("I123 BCD", id="prefix-age-i"),
        pytest.param("U123 BCD", id="prefix-age-u"),
        pytest.param("A1234 BCD", id="prefix-four-digits"),
        pytest.param("ABC 123Q", id="suffix-age-q"),
        pytest.param("ABC 123O", id="suffix-age-o"),
        pytest.param("ABCD 12", id="four-letters"),
        pytest.param("AB 12345", id="five-digits"),
        pytest.param("12345 AB", id="digits-then-too-many"),
        pytest.param("1A1", id="digit-letter-digit"),
        pytest.param("ABC", id="letters-only"),
        pytest.param("1234", id="digits-only"),
        pytest.param("AB12 CD£", id="symbol"),
        pytest.param("AB12.CDE", id="full-stop"),
    ],
)
def test_vehicle_registrations_refused(raw):
    err = error_of(K.VEHICLE, raw)
    assert (err.field, err.message) == ("vehicle", "Enter a UK vehicle registration, like AB12 CDE")
    assert vehicle_format(raw) is None


# --- phones and emails


@pytest.mark.parametrize(
    "raw, value, display",
    [
        pytest.param("07700 900123", "+447700900123", "+44 7700 900123", id="uk-mobile-national"),
        pytest.param("+44 7700 900123", "+447700900123", "+44 7700 900123", id="uk-mobile-international"),
        pytest.param("0044 7700 900123", "+447700900123", "+44 7700 900123", id="uk-mobile-00"),
        pytest.param("(020) 7946 0000", "+442079460000", "+44 20 7946 0000", id="london-landline"),
        pytest.param("+44 (0)20 7946 0000", "+442079460000", "+44 20 7946 0000", id="trunk-zero-in-brackets"),
        pytest.param("+1 202-555-0143", "+12025550143", "+1 202-555-0143", id="us"),
    ],
)
def test_phones_become_e164(raw, value, display):
    assert normalise_observable(K.PHONE, raw) == Observable(K.PHONE, value, display)
    assert value_of(K.PHONE, display) == value


@pytest.mark.parametrize("raw", ["12345", "not a number", "07700 9001234567"], ids=["short", "words", "long"])
def test_phones_refused(raw):
    err = error_of(K.PHONE, raw)
    assert err.field == "phone" and err.message.startswith("Enter a telephone number")


def test_emails_are_case_folded_and_checked():
    assert normalise_observable(K.EMAIL, " Joe.Bloggs@Example.COM ") == Observable(K.EMAIL, "joe.bloggs@example.com", "Joe.Bloggs@Example.COM")
    err = error_of(K.EMAIL, "joe at example")
    assert err.field == "email" and err.message == "Enter an email address in the correct format, like name@example.com"


# --- handles

SAME_HANDLE = [
    "@JoeBloggs",
    "JoeBloggs",
    "joebloggs",
    " @JOEBLOGGS ",
    "@joe\u200bbloggs",
    "https://twitter.com/JoeBloggs",
    "http://mobile.twitter.com/JoeBloggs/",
    "x.com/joebloggs/status/123456?s=20",
    "https://www.x.com/JoeBloggs#top",
    "https://www.instagram.com/JoeBloggs/",
    "instagram.com/stories/joebloggs/123",
    "facebook.com/JoeBloggs",
    "https://m.facebook.com/JoeBloggs?ref=bookmarks",
    "https://www.tiktok.com/@joebloggs?lang=en",
    "threads.net/@JoeBloggs",
    "https://www.threads.com/@joebloggs",
    "youtube.com/@JoeBloggs",
    "https://www.youtube.com/c/JoeBloggs/videos",
]


@pytest.mark.parametrize("raw", SAME_HANDLE, ids=range(len(SAME_HANDLE)))
def test_handle_forms_and_profile_addresses_match(raw):
    observable = normalise_observable(K.HANDLE, raw)
    assert observable.value == "joebloggs"
    assert observable.display.casefold() == "@joebloggs"


@pytest.mark.parametrize(
    "raw, value, display",
    [
        pytest.param("https://bsky.app/profile/Joe.bsky.social", "joe.bsky.social", "@Joe.bsky.social", id="bluesky-url"),
        pytest.param("@joe.bsky.social", "joe.bsky.social", "@joe.bsky.social", id="bluesky-handle"),
        pytest.param("@Joe_Bloggs-99", "joe_bloggs-99", "@Joe_Bloggs-99", id="underscore-hyphen"),
        pytest.param("@Zoë", "zoë", "@Zoë", id="accent-kept"),
        pytest.param("@ＪｏｅＢｌｏｇｇｓ", "joebloggs", "@JoeBloggs", id="fullwidth"),
        pytest.param("instagram.com/%6Aoe", "joe", "@joe", id="percent-encoded"),
    ],
)
def test_handles(raw, value, display):
    assert normalise_observable(K.HANDLE, raw) == Observable(K.HANDLE, value, display)


@pytest.mark.parametrize(
    "raw, message",
    [
        pytest.param("joe bloggs", "Enter a handle without spaces, like @name", id="space"),
        pytest.param("@joe!", "A handle can only contain letters, numbers, underscores (_), full stops and hyphens", id="bang"),
        pytest.param("@@joe", "A handle can only contain letters, numbers, underscores (_), full stops and hyphens", id="double-at"),
        pytest.param("joe@example.com", "A handle can only contain letters, numbers, underscores (_), full stops and hyphens", id="email"),
        pytest.param("@", "Enter a social media handle, like @name", id="bare-at"),
        pytest.param("x.com/i/flow/login", "Enter a handle, like @name, or the web address of a profile on X, Instagram, Facebook, TikTok, Threads, YouTube or Bluesky", id="x-page"),
        pytest.param("https://twitter.com/", "Enter a handle, like @name, or the web address of a profile on X, Instagram, Facebook, TikTok, Threads, YouTube or Bluesky", id="x-home"),
        pytest.param("instagram.com/p/Cabc123/", "Enter a handle, like @name, or the web address of a profile on X, Instagram, Facebook, TikTok, Threads, YouTube or Bluesky", id="instagram-post"),
        pytest.param("tiktok.com/joe", "Enter a handle, like @name, or the web address of a profile on X, Instagram, Facebook, TikTok, Threads, YouTube or Bluesky", id="tiktok-without-at"),
        pytest.param("youtube.com/watch?v=abc", "Enter a handle, like @name, or the web address of a profile on X, Instagram, Facebook, TikTok, Threads, YouTube or Bluesky", id="youtube-video"),
        pytest.param("https://example.com/joe", "Enter a handle, like @name, or the web address of a profile on X, Instagram, Facebook, TikTok, Threads, YouTube or Bluesky", id="other-site"),
        pytest.param("facebook.com/profile.php?id=1000123", "This Facebook address has no user name: enter it as a web address instead", id="facebook-numeric"),
    ],
)
def test_handles_refused(raw, message):
    err = error_of(K.HANDLE, raw)
    assert (err.field, err.message) == ("handle", message)


# --- web addresses


@pytest.mark.parametrize(
    "raw, value",
    [
        pytest.param("https://example.com/page", "https://example.com/page", id="already-canonical"),
        pytest.param("example.com/page", "https://example.com/page", id="bare-domain"),
        pytest.param("example.com", "https://example.com/", id="bare-domain-no-path"),
        pytest.param("HTTPS://WWW.Example.COM/Page", "https://example.com/Page", id="case-and-www-path-case-kept"),
        pytest.param("http://example.com:80/a", "http://example.com/a", id="default-http-port"),
        pytest.param("https://example.com:443/a", "https://example.com/a", id="default-https-port"),
        pytest.param("https://example.com:8443/a", "https://example.com:8443/a", id="other-port-kept"),
        pytest.param("example.com:8080/a", "https://example.com:8080/a", id="bare-domain-with-port"),
        pytest.param("https://user:secret@example.com/a", "https://example.com/a", id="userinfo-dropped"),
        pytest.param("https://example.com/a#comments", "https://example.com/a", id="fragment-dropped"),
        pytest.param("https://example.com/a/", "https://example.com/a", id="trailing-slash"),
        pytest.param("https://example.com/", "https://example.com/", id="root-slash-kept"),
        pytest.param("https://example.com/a/./b/../c", "https://example.com/a/c", id="dot-segments"),
        pytest.param("https://m.example.com/a", "https://example.com/a", id="m-prefix"),
        pytest.param("https://mobile.example.com/a", "https://example.com/a", id="mobile-prefix"),
        pytest.param("https://www.m.com/", "https://m.com/", id="prefix-only-stripped-when-a-domain-remains"),
        pytest.param("https://twitter.com/joe/status/1", "https://x.com/joe/status/1", id="twitter-is-x"),
        pytest.param("https://mobile.twitter.com/joe/status/1?s=20&t=abc", "https://x.com/joe/status/1", id="x-share-params"),
        pytest.param("https://example.com/a?s=1&t=2", "https://example.com/a?s=1&t=2", id="s-kept-off-x"),
        pytest.param(
            "https://example.com/a?utm_source=fb&UTM_Medium=x&fbclid=1&gclid=2&igshid=3&si=4&ref_src=5&id=7",
            "https://example.com/a?id=7",
            id="tracking-removed",
        ),
        pytest.param("https://example.com/a?b=2&a=1&c", "https://example.com/a?a=1&b=2&c", id="query-sorted-bare-key-kept"),
        pytest.param("https://example.com/a?utm_source=x", "https://example.com/a", id="empty-query-after-tracking"),
        pytest.param("https://example.com/%7euser/caf%c3%a9", "https://example.com/~user/caf%C3%A9", id="percent-case-and-unreserved"),
        pytest.param("https://example.com/café", "https://example.com/caf%C3%A9", id="unicode-path-encoded"),
        pytest.param("https://example.com/a%2Fb", "https://example.com/a%2Fb", id="encoded-slash-kept"),
        pytest.param("https://example.com/a b", "https://example.com/a%20b", id="space-escaped"),
        pytest.param("https://example.com/?q=a+b&r=a%20b&x=%2b", "https://example.com/?q=a%20b&r=a%20b&x=%2B", id="query-plus-is-space"),
        pytest.param("https://Bücher.example/", "https://xn--bcher-kva.example/", id="idna-host"),
        pytest.param("https://example.com./a", "https://example.com/a", id="trailing-dot-host"),
        pytest.param("http://192.0.2.1/a", "http://192.0.2.1/a", id="ipv4"),
        pytest.param("https://[2001:DB8::1]/a", "https://[2001:db8::1]/a", id="ipv6"),
        pytest.param("//example.com/a", "https://example.com/a", id="scheme-relative"),
    ],
)
def test_urls_are_canonical(raw, value):
    observable = normalise_observable(K.URL, raw)
    assert observable == Observable(K.URL, value, value)
    assert value_of(K.URL, value) == value


@pytest.mark.parametrize(
    "raw, message",
    [
        pytest.param("javascript:alert(1)", "Enter a web address that starts with http:// or https://", id="javascript"),
        pytest.param("JavaScript:alert(1)", "Enter a web address that starts with http:// or https://", id="javascript-case"),
        pytest.param("data:text/html,<script>alert(1)</script>", "Enter a web address that starts with http:// or https://", id="data"),
        pytest.param("file:///etc/passwd", "Enter a web address that starts with http:// or https://", id="file"),
        pytest.param("ftp://example.com/a", "Enter a web address that starts with http:// or https://", id="ftp"),
        pytest.param("mailto:joe@example.com", "Enter a web address that starts with http:// or https://", id="mailto"),
        pytest.param("java\tscript:alert(1)", "Enter a web address that starts with http:// or https://", id="javascript-with-tab"),
        pytest.param("http:example.com", "Enter a web address, like https://www.example.com/page", id="no-slashes"),
        pytest.param("not a url", "Enter a web address, like https://www.example.com/page", id="words"),
        pytest.param("localhost:8000/a", "Enter a web address, like https://www.example.com/page", id="no-dot"),
        pytest.param("https://exa_mple.com/", "Enter a web address, like https://www.example.com/page", id="underscore-host"),
        pytest.param("https://-example.com/", "Enter a web address, like https://www.example.com/page", id="hyphen-label"),
        pytest.param("https://example..com/", "Enter a web address, like https://www.example.com/page", id="empty-label"),
        pytest.param("https://example.com:99999/", "Enter a web address, like https://www.example.com/page", id="bad-port"),
        pytest.param("https://example.com/\x00", "Enter a web address, like https://www.example.com/page", id="control-character"),
        pytest.param("https://1.2.3/", "Enter a web address, like https://www.example.com/page", id="numeric-tld"),
    ],
)
def test_urls_refused(raw, message):
    err = error_of(K.URL, raw)
    assert (err.field, err.message) == ("url", message)


# --- names


@pytest.mark.parametrize(
    "raw",
    ["José O'Brien", "jose o'brien", "  JOSÉ   O'BRIEN ", "Jose\u0301 O'Brien", "José\tO'Brien", "Ｊｏｓé O'Brien"],
    ids=["accented", "plain", "upper-spaced", "decomposed", "tab", "fullwidth"],
)
def test_names_match_whatever_the_accents_case_and_spacing(raw):
    assert value_of(K.NAME, raw) == "jose o'brien"


def test_name_display_is_the_trimmed_original():
    assert normalise_observable(K.NAME, "  Zoë   Smith \n") == Observable(K.NAME, "zoe smith", "Zoë Smith")
    assert value_of(K.NAME, "Straße") == "strasse"
    assert value_of(K.NAME, "Søren") == "søren"  # ø is a letter, not o with an accent


def test_a_name_of_only_accents_is_blank():
    assert error_of(K.NAME, "\u00a8 \u0301").message == "Enter a name"


# --- lines


def test_parse_lines_dedupes_in_order_and_names_lines():
    text = "AB12 CDE\n\n  ab12cde  \nnot a reg\nA123 BCD\r\nAB12CDE\nZZ\n"
    found, errors = parse_observable_lines(K.VEHICLE, text)
    assert [o.display for o in found] == ["AB12 CDE", "A123 BCD"]
    assert [(e.field, e.line, e.message) for e in errors] == [
        ("vehicle", 4, "Line 4: Enter a UK vehicle registration, like AB12 CDE"),
        ("vehicle", 7, "Line 7: Enter a UK vehicle registration, like AB12 CDE"),
    ]


def test_parse_lines_matches_handles_across_forms_and_accepts_a_string_kind():
    found, errors = parse_observable_lines("handle", "@Joe\nhttps://x.com/joe\njoe bloggs\n@Ann")
    assert [o.display for o in found] == ["@Joe", "@Ann"]
    assert [e.message for e in errors] == ["Line 3: Enter a handle without spaces, like @name"]


def test_parse_lines_of_nothing():
    assert parse_observable_lines(K.URL, "") == ([], [])
    assert parse_observable_lines(K.URL, " \n\u200b\n") == ([], [])


# --- properties: normalising what was shown, or what is stored, changes nothing

_letters = st.characters(categories=("Lu", "Ll", "Lt", "Lm", "Lo", "Nd", "Mn"))
handles = st.text(st.one_of(_letters, st.sampled_from("_.-")), min_size=1, max_size=30)


@given(handles)
def test_handle_normalisation_is_idempotent(raw):
    try:
        observable = normalise_observable(K.HANDLE, raw)
    except ObservableError:
        assume(False)
        raise
    assert value_of(K.HANDLE, observable.display) == observable.value
    assert value_of(K.HANDLE, observable.value) == observable.value
    assert value_of(K.HANDLE, "@" + observable.value) == observable.value


@given(st.from_regex(r"[A-Za-z0-9_]{1,15}", fullmatch=True).filter(lambda h: h.lower() not in {"i", "home", "search", "explore", "hashtag", "intent", "share", "settings", "notifications", "messages", "compose", "login", "signup", "tos", "privacy"}))
def test_profile_address_matches_handle(handle):
    assert value_of(K.HANDLE, f"https://twitter.com/{handle}?s=20") == value_of(K.HANDLE, f"@{handle}")


registrations = st.one_of(
    st.from_regex(r"[A-HJ-PR-Y][A-HJ-PR-Z][0-9]{2}[A-HJ-PR-Z]{3}", fullmatch=True),
    st.from_regex(r"[A-HJ-NP-TV-Y][0-9]{1,3}[A-Z]{3}", fullmatch=True),
    st.from_regex(r"[A-Z]{3}[0-9]{1,3}[A-HJ-NPR-TV-Y]", fullmatch=True),
    st.from_regex(r"[A-Z]{1,3}[0-9]{1,4}", fullmatch=True),
    st.from_regex(r"[0-9]{1,4}[A-Z]{1,3}", fullmatch=True),
)


@given(registrations, st.booleans())
def test_vehicle_normalisation_is_idempotent(raw, lower):
    observable = normalise_observable(K.VEHICLE, raw.lower() if lower else raw)
    assert observable.value == raw
    assert value_of(K.VEHICLE, observable.display) == observable.value
    assert value_of(K.VEHICLE, observable.value) == observable.value
    assert vehicle_format(observable.display) is not None


_segment = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp"), blacklist_characters="/?#"), max_size=8)
_query_part = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp"), blacklist_characters="&=#"), max_size=6)
urls = st.builds(
    lambda scheme, host, port, segments, query, fragment: (
        f"{scheme}{host}{port}/" + "/".join(segments) + (("?" + "&".join(f"{k}={v}" for k, v in query)) if query else "") + fragment
    ),
    st.sampled_from(["https://", "http://", "HTTPS://", ""]),
    st.sampled_from(["example.com", "WWW.Example.org", "m.example.co.uk", "twitter.com", "bücher.example", "192.0.2.7", "[2001:db8::7]"]),
    st.sampled_from(["", ":443", ":80", ":8080"]),
    st.lists(_segment, max_size=4),
    st.lists(st.tuples(_query_part, _query_part), max_size=4),
    st.sampled_from(["", "#frag", "#"]),
)


@given(urls)
def test_url_normalisation_is_idempotent(raw):
    try:
        observable = normalise_observable(K.URL, raw)
    except ObservableError:
        assume(False)
        raise
    assert observable.display == observable.value
    assert value_of(K.URL, observable.value) == observable.value


@given(st.text(min_size=1, max_size=40))
def test_name_normalisation_is_idempotent(raw):
    try:
        observable = normalise_observable(K.NAME, raw)
    except ObservableError:
        assume(False)
        raise
    assert value_of(K.NAME, observable.display) == observable.value
    assert value_of(K.NAME, observable.value) == observable.value
