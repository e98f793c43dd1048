"""The sortable-table helper (issue 17): the whitelist, the fall-back, the links and the Python sort."""

from __future__ import annotations

import pytest
from django.http import QueryDict
from django.test import RequestFactory
from ninja.errors import ValidationError

from ballotguard.core.sorting import Column, SortInvalid, SortSpec

SPEC = SortSpec(
    Column("name"),
    Column("score", first="desc"),
    Column("when", "sent_at"),
    default=("score", "desc"),
)


def _get(query: str):
    return RequestFactory().get("/list/?" + query)


def test_parse_takes_a_whitelisted_column_and_its_first_order():
    s = SPEC.parse("score", None)
    assert (s.key, s.order, s.explicit) == ("score", "desc", True)
    s = SPEC.parse("name", "desc")
    assert (s.key, s.order) == ("name", "desc")


def test_nothing_asked_is_the_tables_own_order():
    s = SPEC.parse(None, None)
    assert (s.key, s.order, s.explicit) == ("score", "desc", False)


@pytest.mark.parametrize("sort, order, field", [
    ("password", None, "sort"),
    ("name; DROP TABLE incidents_incident", None, "sort"),
    ("name__user__password", "asc", "sort"),
    ("-name", None, "sort"),
    ("name", "up", "order"),
    ("", "sideways", "order"),
])
def test_anything_else_is_refused_naming_the_field(sort, order, field):
    with pytest.raises(SortInvalid) as exc:
        SPEC.parse(sort, order)
    assert exc.value.field == field
    assert exc.value.message


def test_pages_fall_back_to_the_tables_order_with_a_reason():
    s = SPEC.from_request(_get("sort=secret&order=asc&status=open"))
    assert not s.explicit and s.key == "score"
    assert "cannot be sorted by that" in s.problem and "secret" not in s.problem
    # The links it draws carry the filters but not the bad value.
    href = s.header("name")["href"]
    assert "status=open" in href and "secret" not in href


def test_api_errors_are_422_validation_errors_naming_the_field():
    with pytest.raises(ValidationError) as exc:
        SPEC.for_api("nope", "asc")
    assert exc.value.errors[0]["loc"] == ("query", "sort")
    with pytest.raises(ValidationError) as exc:
        SPEC.for_api("name", None, refused={"name": "Not for you"})
    assert exc.value.errors[0]["msg"] == "Not for you"


def test_headers_mark_aria_sort_and_turn_the_sort_round():
    s = SPEC.from_request(_get("sort=name&order=asc&status=open&page=3"))
    name, score = s.header("name"), s.header("score")
    assert name["aria_sort"] == "ascending" and score["aria_sort"] == "none"
    q = QueryDict(name["href"][1:])
    # Clicking the sorted column turns it round, keeps the filters and starts again at page 1.
    assert q["sort"] == "name" and q["order"] == "desc" and q["status"] == "open" and "page" not in q
    # A first click on another column uses that column's first order.
    assert QueryDict(score["href"][1:])["order"] == "desc"
    assert s.hidden_fields() == [("sort", "name"), ("order", "asc")]
    with pytest.raises(ValueError):
        s.header("not-a-column")


def test_the_default_order_shows_on_its_column_without_hidden_fields():
    s = SPEC.from_request(_get(""))
    assert s.header("score")["aria_sort"] == "descending"
    assert s.hidden_fields() == []


def test_sort_rows_puts_empty_values_last_both_ways_and_is_stable():
    rows = [{"name": "bob", "score": 2}, {"name": "Alice", "score": None}, {"name": "carol", "score": 2}, {"name": "dan", "score": 5}]
    asc = SPEC.parse("score", "asc").sort_rows(rows)
    desc = SPEC.parse("score", "desc").sort_rows(rows)
    assert [r["name"] for r in asc] == ["bob", "carol", "dan", "Alice"]
    assert [r["name"] for r in desc] == ["dan", "bob", "carol", "Alice"]
    # Text ignores case; mixed numbers and text never raise.
    assert [r["name"] for r in SPEC.parse("name", "asc").sort_rows(rows)] == ["Alice", "bob", "carol", "dan"]
    mixed = [{"name": 3}, {"name": "x"}, {"name": 1}]
    assert [r["name"] for r in SPEC.parse("name", "asc").sort_rows(mixed)] == [1, 3, "x"]
    # Nothing asked: the given order.
    assert SPEC.parse(None, None).sort_rows(rows) == rows


@pytest.mark.django_db
def test_apply_orders_the_queryset_with_its_own_order_breaking_ties(world):
    from ballotguard.registry.models import Candidate
    from ballotguard.registry.services import CANDIDATE_SORT

    qs = Candidate.objects.order_by("name", "id")
    assert CANDIDATE_SORT.parse(None, None).apply(qs) is qs
    by_party = list(CANDIDATE_SORT.parse("party", "desc").apply(qs).values_list("party__name", "name"))
    assert by_party == sorted(by_party, key=lambda p: (p[0].lower(),), reverse=True)
    # Ties (two Labour candidates, two Greens) keep the name order.
    greens = [n for p, n in by_party if p == "Green Party"]
    assert greens == sorted(greens)


def test_a_spec_refuses_duplicate_keys_and_a_default_outside_it():
    with pytest.raises(ValueError):
        SortSpec(Column("a"), Column("a"))
    with pytest.raises(ValueError):
        SortSpec(Column("a"), default=("b", "asc"))
