"""Tables people can sort (issue 17): one whitelist of columns per table, checked in one place.

The GOV.UK / MOJ sortable-table pattern marks the sorted header with ``aria-sort`` and puts a
control in every sortable header. Here the control is a link, ``?sort=<column>&order=asc|desc``,
and the sorting is done by the server, so it works without JavaScript, keeps the filters and
survives paging (:func:`ballotguard.core.pages.paginate` keeps every other parameter).

A table declares its columns once::

    QUEUE_SORT = SortSpec(
        Column("risk", "risk_rank", first="desc"),
        Column("sent", "submitted_at"),
        default=("risk", "desc"),
    )

and then

* a page calls ``sort = QUEUE_SORT.from_request(request)`` and ``qs = sort.apply(qs)``; the template
  draws each sortable header with ``{% sort_header sort "risk" "Risk" %}`` (``bg_sorting``) and
  keeps the sort in its filter form with ``{% sort_hidden_fields sort %}``. An unknown column or
  order on a page falls back to the table's own order (the page says so in ``sort.problem``); it is
  never a server error, and nothing the user typed reaches SQL except as a whitelisted key.
* an API endpoint declares ``sort: QUEUE_SORT.Key | None = Query(None)`` and
  ``order: SortOrder | None = Query(None)``: ninja answers 422 naming the field for anything else,
  and the OpenAPI schema lists the allowed values. ``QUEUE_SORT.parse(sort, order).apply(qs)``.
* a small table already in memory (the insights tables) uses :meth:`Sorting.sort_rows`.

Only columns that sort correctly are offered. Encrypted fields (names of message authors, message
text, contact details, notes) are ciphertext in the database: ``ORDER BY`` over them would order
random bytes, and decrypting every row to sort in Python would read (and have to audit) personal
data nobody asked to see. Each table's spec says which of its columns were left out and why.

Ties are broken by the table's own order (whatever ``order_by`` the queryset already had), so
paging through a sorted list never shows a row twice or skips one. Empty values (NULL) come last
in either direction, in the database and in Python alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db.models import Case, F, IntegerField, Value, When
from django.db.models.expressions import BaseExpression
from django.http import QueryDict

SortOrder = Literal["asc", "desc"]
ORDERS = ("asc", "desc")


class SortInvalid(ValueError):
    """A sort parameter outside the table's whitelist. ``field`` is the parameter's name."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Column:
    """One sortable column: ``key`` is what the URL carries; ``fields`` are the model fields,
    annotations or expressions that order it in the database (for an ascending sort; each is
    reversed for a descending one); ``value`` picks the value from a row for tables sorted in
    Python. ``first`` is the order a first click gives (dates and scores read best newest/highest first)."""

    key: str
    fields: tuple[str | BaseExpression, ...] = ()
    value: Callable[[Any], Any] | None = None
    first: SortOrder = "asc"

    def __init__(self, key: str, *fields: str | BaseExpression, value: Callable[[Any], Any] | None = None, first: SortOrder = "asc"):
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "fields", tuple(fields) or (key,))
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "first", first)


@dataclass(frozen=True)
class SortSpec:
    """The whitelist of one table's sortable columns and what its unsorted order amounts to."""

    columns: dict[str, Column]
    default: tuple[str, SortOrder] | None = None

    def __init__(self, *columns: Column, default: tuple[str, SortOrder] | None = None):
        by_key = {c.key: c for c in columns}
        if len(by_key) != len(columns):
            raise ValueError("Two columns share a key")
        if default is not None and (default[0] not in by_key or default[1] not in ORDERS):
            raise ValueError(f"Default sort {default!r} is not one of the columns")
        object.__setattr__(self, "columns", by_key)
        object.__setattr__(self, "default", default)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(self.columns)

    @property
    def Key(self):  # noqa: N802 - a type, for API signatures
        """``Literal[...]`` of the column keys, for a django-ninja query parameter."""
        return Literal[self.keys]  # type: ignore[valid-type]

    def describe(self) -> str:
        return "Sort by one of: " + ", ".join(self.keys) + ". With order=asc or desc."

    def parse(self, sort: str | None, order: str | None, params: Mapping[str, Any] | None = None) -> Sorting:
        """The sorting asked for, or :class:`SortInvalid` naming ``sort`` or ``order``."""
        sort = (sort or "").strip()
        order = (order or "").strip()
        if not sort:
            if order:
                if order not in ORDERS:
                    raise SortInvalid("order", "Order must be asc or desc")
                if self.default is None:
                    raise SortInvalid("sort", "Give a column to sort by with the order")
                return Sorting(self, self.default[0], order, explicit=True, params=params)  # type: ignore[arg-type]
            return Sorting(self, *(self.default or ("", "asc")), explicit=False, params=params)
        if sort not in self.columns:
            # What was sent is not repeated back (the API's errors never echo input).
            raise SortInvalid("sort", "This table cannot be sorted by that. " + self.describe())
        if order and order not in ORDERS:
            raise SortInvalid("order", "Order must be asc or desc")
        return Sorting(self, sort, order or self.columns[sort].first, explicit=True, params=params)  # type: ignore[arg-type]

    def for_api(self, sort: str | None, order: str | None, *, refused: Mapping[str, str] | None = None) -> Sorting:
        """For API endpoints: the sorting, or ninja's ``ValidationError`` (a 422 naming ``sort`` or
        ``order``). ``refused`` maps columns this caller may not sort by to the reason."""
        from ninja.errors import ValidationError

        if sort and refused and sort in refused:
            raise ValidationError([{"loc": ("query", "sort"), "msg": refused[sort], "type": "value_error"}])
        try:
            return self.parse(sort, order)
        except SortInvalid as exc:
            raise ValidationError([{"loc": ("query", exc.field), "msg": exc.message, "type": "value_error"}]) from None

    def from_request(self, request) -> Sorting:
        """For pages: the sorting in the query string; an unknown column or order falls back to the
        table's own order, with ``problem`` saying why (never a 500)."""
        params = request.GET.copy()
        try:
            return self.parse(params.get("sort"), params.get("order"), params)
        except SortInvalid as exc:
            params.pop("sort", None)
            params.pop("order", None)
            fallback = Sorting(self, *(self.default or ("", "asc")), explicit=False, params=params)
            fallback.problem = exc.message
            return fallback


@dataclass
class Sorting:
    """One table's sorting for one request."""

    spec: SortSpec
    key: str
    order: SortOrder
    explicit: bool = False
    params: Mapping[str, Any] | None = None
    problem: str = ""
    anchor: str = ""  # a fragment for the header links, so a page with several tables comes back to this one
    _query: QueryDict = field(init=False, repr=False)

    def __post_init__(self):
        q = QueryDict(mutable=True)
        if isinstance(self.params, QueryDict):
            q = self.params.copy()
        elif self.params:
            for name, value in self.params.items():
                q[name] = value
        for name in ("sort", "order", "page"):
            q.pop(name, None)  # a new sort starts at page 1
        self._query = q

    # -- the database --------------------------------------------------------------------------

    def order_by(self) -> list:
        """ORDER BY terms for the chosen column, NULLs last either way."""
        column = self.spec.columns[self.key]
        terms = []
        for f in column.fields:
            expr = F(f) if isinstance(f, str) else f
            terms.append(expr.desc(nulls_last=True) if self.order == "desc" else expr.asc(nulls_last=True))
        return terms

    def apply(self, queryset):
        """The queryset in this order, its own order breaking ties; unchanged when nothing was asked."""
        if not self.explicit or not self.key:
            return queryset
        ties = queryset.query.order_by or ("pk",)
        return queryset.order_by(*self.order_by(), *ties)

    # -- Python ---------------------------------------------------------------------------------

    def sort_rows(self, rows: Iterable[Any]) -> list[Any]:
        """Rows already in memory, sorted by the column's ``value`` (stable: the given order breaks
        ties). Empty values (None, "") come last either way."""
        rows = list(rows)
        if not self.explicit or not self.key:
            return rows
        pick = self.spec.columns[self.key].value or (lambda row: row[self.key])

        def empty(v) -> bool:
            return v is None or v == ""

        present = [r for r in rows if not empty(pick(r))]
        missing = [r for r in rows if empty(pick(r))]
        # reverse=True keeps equal rows in their given order too.
        present.sort(key=lambda r: _comparable(pick(r)), reverse=self.order == "desc")
        return present + missing

    # -- the page -------------------------------------------------------------------------------

    def href(self, key: str, order: str) -> str:
        q = self._query.copy()
        q["sort"] = key
        q["order"] = order
        return "?" + q.urlencode() + (f"#{self.anchor}" if self.anchor else "")

    def header(self, key: str) -> dict[str, str]:
        """What a header cell needs: ``aria_sort`` (ascending, descending or none) and ``href`` (a
        first click on a column uses its ``first`` order; a click on the sorted one turns it round)."""
        if key not in self.spec.columns:
            raise ValueError(f"{key!r} is not a sortable column of this table")
        current = key == self.key
        aria = ("ascending" if self.order == "asc" else "descending") if current else "none"
        next_order = ("desc" if self.order == "asc" else "asc") if current else self.spec.columns[key].first
        return {"key": key, "aria_sort": aria, "href": self.href(key, next_order), "next_order": next_order}

    def hidden_fields(self) -> list[tuple[str, str]]:
        """``sort`` and ``order`` for a filter form, so applying filters keeps the sort."""
        if not self.explicit:
            return []
        return [("sort", self.key), ("order", self.order)]


def _comparable(value: Any) -> tuple:
    """Numbers before text, so a column that mixes them never raises; text sorts without regard to
    case, the way people read a list."""
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, (int, float)):
        return (0, value)
    if isinstance(value, str):
        return (1, value.casefold())
    return (1, str(value))



def in_order(field_name: str, values: Iterable[str]) -> Case:
    """An expression that orders a choice field the way people read it (a workflow's order, say)
    rather than by its stored codes; a value not listed comes after those that are."""
    values = list(values)
    return Case(*[When(**{field_name: v}, then=Value(i)) for i, v in enumerate(values)],
                default=Value(len(values)), output_field=IntegerField())
