"""Header cells for tables sorted by the server (:mod:`ballotguard.core.sorting`).

``{% sort_header sorting "risk" "Risk" %}`` draws ``<th scope="col" aria-sort="...">`` with a link
that sorts by the column (or turns the sort round); ``numeric=True`` right-aligns it the GOV.UK way.
``{% sort_hidden_fields sorting %}`` keeps the sort when a filter form is submitted.
"""

from __future__ import annotations

from django import template

register = template.Library()


@register.inclusion_tag("includes/sort_header.html")
def sort_header(sorting, key: str, label: str, numeric: bool = False):
    return {"h": sorting.header(key), "label": label, "numeric": numeric}


@register.inclusion_tag("includes/sort_hidden_fields.html")
def sort_hidden_fields(sorting):
    return {"fields": sorting.hidden_fields() if sorting is not None else []}
