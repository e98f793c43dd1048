"""Pseudonym formats: one home, keyed and stable."""

from __future__ import annotations

import re

import pytest
from django.test import override_settings

from ballotguard.core.matching import author_pseudonym, candidate_pseudonym, incident_pseudonym, keyed_hash, pseudonym


def test_pseudonym_is_the_prefix_and_the_start_of_the_keyed_hash_upper_case():
    assert pseudonym("p", "v", prefix="X-", length=6) == "X-" + keyed_hash("p", "v")[:6].upper()
    with pytest.raises(ValueError):
        pseudonym("p", "v", prefix="X-", length=0)


def test_candidate_pseudonyms_are_keyed_sixteen_hex_digits_and_never_the_id():
    value = candidate_pseudonym(42)
    assert re.fullmatch(r"C-[0-9A-F]{16}", value)
    assert value == candidate_pseudonym(42) != candidate_pseudonym(43)
    assert value == "C-" + keyed_hash("insights-candidate", "42")[:16].upper()
    with override_settings(MATCH_KEY="another deployment"):
        assert candidate_pseudonym(42) != value  # useless without the key


def test_incident_and_author_pseudonyms_keep_their_formats():
    assert incident_pseudonym("BG-7K3Q-2M") == "P-" + keyed_hash("insights-pseudonym", "BG-7K3Q-2M")[:16].upper()
    h = keyed_hash("message-author", "x:troll_1")
    assert author_pseudonym(h) == f"author-{h[:10]}" and author_pseudonym("") == "unknown author"
