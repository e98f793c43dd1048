"""Warning-list entries normalise exactly as reports do, so they match what they are meant to and no more."""

from __future__ import annotations

import pytest

from ballotguard.engines.incidents.observables import ObservableKind, normalise_observable
from ballotguard.engines.incidents.warninglists import DEFAULT_WARNINGS, WarningListError, default_entries, handle_match_key, warning_entry

K = ObservableKind


def test_every_default_normalises_and_is_matchable():
    entries = default_entries()
    assert len(entries) == len(DEFAULT_WARNINGS)  # no two defaults collapse into one
    assert all(e.observable.kind.matchable and e.reason for e in entries)


def test_an_entry_matches_the_same_value_written_another_way():
    entry = warning_entry(K.PHONE, "+44 20 7219 3000", "Commons switchboard")
    assert entry.match_key == normalise_observable(K.PHONE, "020 7219 3000").match_key
    home = warning_entry(K.URL, "http://twitter.com", "X home page")
    assert home.match_key == normalise_observable(K.URL, "http://www.x.com/").match_key


def test_an_entry_for_a_home_page_does_not_cover_a_post_on_that_site():
    home = warning_entry(K.URL, "https://x.com/", "X home page")
    post = normalise_observable(K.URL, "https://x.com/someone/status/123")
    assert home.match_key != post.match_key


@pytest.mark.parametrize(
    ("kind", "raw", "reason", "field"),
    [
        (K.PHONE, "not a number", "x", "value"),
        (K.DESCRIPTION, "tall man", "x", "kind"),
        ("spaceship", "x", "x", "kind"),
        (K.URL, "https://gov.uk/", "   ", "reason"),
        (K.URL, "https://gov.uk/", "x" * 301, "reason"),
    ],
)
def test_bad_entries_name_the_field(kind, raw, reason, field):
    with pytest.raises(WarningListError) as err:
        warning_entry(kind, raw, reason)
    assert err.value.field == field and err.value.message


def test_handle_match_key_folds_case_and_the_at_sign():
    assert handle_match_key("@CarolYardley") == normalise_observable(K.HANDLE, "carolyardley").match_key
    assert handle_match_key("has space") is None
