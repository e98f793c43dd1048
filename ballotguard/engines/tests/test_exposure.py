"""Address exposure: a candidate's own postcode, address or phone number is found in a message by
comparing keyed hashes, and the finding never repeats the personal data."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ballotguard.engines.candidates.contact import ContactError
from ballotguard.engines.abuse.exposure import Exposure, contact_fingerprints, find_exposures, message_fingerprints

KEY = b"test-exposure-key-0123456789abcdef"
OTHER_KEY = b"another-key-entirely-fedcba9876543"

POSTCODE = "SW1A 1AA"
PHONE = "07700 900123"
ADDRESS = "12 Acacia Avenue\nLittle Whinging"


@pytest.fixture(scope="module")
def fingerprints() -> frozenset[str]:
    return contact_fingerprints(KEY, postcode=POSTCODE, address=ADDRESS, phone=PHONE)


def kinds(text: str, fingerprints, key: bytes = KEY) -> list[str]:
    return [e.kind for e in find_exposures(key, text, fingerprints)]


# --- postcodes


@pytest.mark.parametrize("written", ["sw1a1aa", "SW1A 1AA", "Sw1a  1aa", "we know you live at SW1A1AA, see you soon", "(sw1a 1AA)"])
def test_own_postcode_matches_however_written(fingerprints, written):
    assert kinds(written, fingerprints) == ["postcode"]


@pytest.mark.parametrize("written", ["SW1A 2AA", "SW1B 1AA", "sw1a", "SW1A1AAX", "XSW1A1AA", "the SW1A bubble"])
def test_other_postcodes_and_fragments_do_not_match(fingerprints, written):
    assert kinds(written, fingerprints) == []


# --- phone numbers


@pytest.mark.parametrize("written", ["07700 900123", "+44 7700 900123", "(07700) 900-123", "07700900123", "+447700900123", "+44 (0)7700 900 123", "0044 7700 900 123", "call her on 07700-900-123!"])
def test_own_phone_matches_however_written(fingerprints, written):
    assert kinds(written, fingerprints) == ["phone"]


@pytest.mark.parametrize("written", ["07700 900124", "07700 90012", "1207700900123", "01632 960001"])
def test_other_numbers_do_not_match(fingerprints, written):
    assert kinds(written, fingerprints) == []


# --- addresses


@pytest.mark.parametrize("written", ["12 Acacia Ave", "12 acacia avenue", "12, Acacia Avenue", "lives at 12 ACACIA AVE. doesnt he", "12  acacia   av"])
def test_own_address_matches_with_abbreviations(fingerprints, written):
    assert kinds(written, fingerprints) == ["address"]


@pytest.mark.parametrize("written", ["13 Acacia Avenue", "12 Acacia Road", "Acacia Avenue", "112 Acacia Avenue", "12 Acacia Avenues"])
def test_other_addresses_do_not_match(fingerprints, written):
    assert kinds(written, fingerprints) == []


@pytest.mark.parametrize(
    "stored, written",
    [
        ("4 Mill Rd", "4 mill road"),
        ("4 Mill Road", "4 Mill Rd"),
        ("9 High St", "9 high street"),
        ("7 St Mary's Rd", "7 st marys road"),
        ("7 Saint Mary's Road", "7 St. Mary's Rd"),
        ("Flat 3, 21b Church Ln, Leeds", "21B Church Lane"),
        ("30 Orchard Gdns", "30 orchard gardens"),
        ("5 Mayfield Cres", "5 mayfield crescent"),
        ("2 Nelson Terr", "2 Nelson Terrace"),
        ("16 Kings Ct", "16 kings court"),
        ("1 Market Sq", "1 market square"),
        ("8 Elm Cl", "8 elm close"),
        ("3 Oak Dr", "3 oak drive"),
        ("11 Quay Pl", "11 quay place"),
    ],
)
def test_street_abbreviations_fold(stored, written):
    fps = contact_fingerprints(KEY, address=stored)
    assert kinds(written, fps) == ["address"]


def test_st_is_saint_at_the_front_and_street_at_the_end():
    fps = contact_fingerprints(KEY, address="7 St Mary's Road")
    assert kinds("7 St Mary's Street", fps) == []  # the "St" in front is not a street type


def test_house_name_is_used_when_the_first_line_has_no_number():
    fps = contact_fingerprints(KEY, address="Rose Cottage\nMill Lane\nLittle Snoring")
    assert kinds("lets all go round to Rose Cottage tonight", fps) == ["address"]
    assert kinds("roses are red and cottages are cheap", fps) == []
    # A one-word name is too common to match on.
    assert contact_fingerprints(KEY, address="Fairview\nMill Lane") == frozenset()


def test_several_details_in_one_message(fingerprints):
    text = "Her address is 12 Acacia Ave, SW1A 1AA, ring her on +44 7700 900123"
    assert kinds(text, fingerprints) == ["postcode", "address", "phone"]


# --- keys, privacy and edges


def test_a_different_key_never_matches(fingerprints):
    assert kinds("12 Acacia Avenue SW1A 1AA 07700 900123", fingerprints, key=OTHER_KEY) == []


def test_fingerprints_are_keyed_hex_digests_that_do_not_contain_the_values(fingerprints):
    assert len(fingerprints) == 4  # postcode, address, phone and the format marker
    for digest in fingerprints:
        assert len(digest) == 64 and int(digest, 16) >= 0
    assert contact_fingerprints(OTHER_KEY, postcode=POSTCODE).isdisjoint(fingerprints)
    # Purposes are separated: a phone digest never equals a postcode digest.
    assert len(contact_fingerprints(KEY, postcode=POSTCODE) | contact_fingerprints(KEY, phone=PHONE)) == 3  # + one marker


def test_word_runs_are_hashed_only_at_the_house_names_length(monkeypatch):
    from ballotguard.engines.abuse import exposure

    hashed: list[str] = []
    real = exposure._digest
    monkeypatch.setattr(exposure, "_digest", lambda key, kind, token: hashed.append(kind) or real(key, kind, token))
    text = "lets all go round to the old rectory tonight and wait"
    no_house = contact_fingerprints(KEY, postcode=POSTCODE)
    house = contact_fingerprints(KEY, address="The Old Rectory\nMill Lane")
    hashed.clear()
    assert kinds(text, no_house) == []
    runs_without = hashed.count("address")
    hashed.clear()
    assert kinds(text, house) == ["address"]
    runs_with = hashed.count("address")
    assert runs_without == 0 and runs_with == len(text.split()) - 2  # the three-word runs only
    # A set stored before the markers existed (no format marker) is matched against every run, as before.
    legacy = frozenset(house - {real(KEY, "format", exposure.FINGERPRINT_FORMAT)})
    hashed.clear()
    assert kinds(text, legacy) == ["address"]
    assert hashed.count("address") == sum(len(text.split()) - n + 1 for n in (2, 3, 4))


def test_reasons_never_echo_the_personal_data(fingerprints):
    exposures = find_exposures(KEY, "12 Acacia Avenue, sw1a1aa, 07700 900123", fingerprints)
    assert {e.kind for e in exposures} == {"postcode", "address", "phone"}
    for exposure in exposures:
        assert isinstance(exposure, Exposure)
        assert exposure.reason.startswith("Message contains the candidate's")
        text = exposure.reason.lower()
        for value in ("sw1a", "1aa", "acacia", "12", "07700", "900123", "7700"):
            assert value not in text


def test_message_fingerprints_map_digests_to_kinds_without_the_values():
    found = message_fingerprints(KEY, "12 Acacia Avenue SW1A 1AA 07700 900123")
    assert set(found.values()) == {"postcode", "address", "phone"}
    assert all(len(d) == 64 for d in found)
    assert not any("acacia" in d or "SW1A" in d for d in found)


def test_blank_details_and_messages():
    assert contact_fingerprints(KEY) == frozenset()
    assert find_exposures(KEY, "", {"x"}) == ()
    assert find_exposures(KEY, "SW1A 1AA", frozenset()) == ()
    assert find_exposures(KEY, "SW1A 1AA", []) == ()


def test_invalid_stored_details_are_refused():
    with pytest.raises(ContactError):
        contact_fingerprints(KEY, postcode="not a postcode")
    with pytest.raises(ContactError):
        contact_fingerprints(KEY, phone="12")


def test_an_empty_key_is_refused():
    with pytest.raises(ValueError):
        contact_fingerprints(b"", postcode=POSTCODE)


def test_long_message_is_bounded():
    import time

    fps = contact_fingerprints(KEY, postcode=POSTCODE, address="Rose Cottage", phone=PHONE)
    started = time.perf_counter()
    find_exposures(KEY, "lorem ipsum dolor sit amet 12 " * 4000, fps)
    assert time.perf_counter() - started < 5


# --- property: any valid postcode, however it is written, is found

_FIRST = "ABCDEFGHIJKLMNOPRSTUWYZ"
_SECOND = "ABCDEFGHKLMNOPQRSTUVWXY"
_THIRD_A9A = "ABCDEFGHJKPSTUW"
_FOURTH_AA9A = "ABEHMNPRVWXY"
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
digit = st.sampled_from("0123456789")
outward = st.one_of(
    st.tuples(st.sampled_from(_FIRST), digit).map("".join),
    st.tuples(st.sampled_from(_FIRST), digit, digit).map("".join),
    st.tuples(st.sampled_from(_FIRST), digit, st.sampled_from(_THIRD_A9A)).map("".join),
    st.tuples(st.sampled_from(_FIRST), st.sampled_from(_SECOND), digit).map("".join),
    st.tuples(st.sampled_from(_FIRST), st.sampled_from(_SECOND), digit, digit).map("".join),
    st.tuples(st.sampled_from(_FIRST), st.sampled_from(_SECOND), digit, st.sampled_from(_FOURTH_AA9A)).map("".join),
)
inward = st.tuples(digit, st.sampled_from(_INWARD_LETTERS), st.sampled_from(_INWARD_LETTERS)).map("".join)


@st.composite
def written_postcodes(draw):
    out, inn = draw(outward), draw(inward)
    text = out + " " * draw(st.integers(0, 3)) + inn
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    text = "".join(ch.lower() if flip else ch for ch, flip in zip(text, flips, strict=True))
    before = draw(st.sampled_from(["", "we know where you live: ", "(", "address is ", "lol "]))
    after = draw(st.sampled_from(["", " see you soon", ")", ".", ", ok?"]))
    return f"{out} {inn}", before + text + after


@settings(max_examples=300, deadline=None)
@given(written_postcodes())
def test_any_valid_postcode_in_any_case_and_spacing_is_found(case):
    canonical, message = case
    fps = contact_fingerprints(KEY, postcode=canonical)
    assert kinds(message, fps) == ["postcode"]


@settings(max_examples=200, deadline=None)
@given(written_postcodes(), written_postcodes())
def test_a_different_postcode_is_not_found(a, b):
    assume(a[0] != b[0])
    fps = contact_fingerprints(KEY, postcode=a[0])
    assert kinds(b[1], fps) == []
