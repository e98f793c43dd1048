"""Helpers shared by the pages of every app."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator


def paginate(request, queryset, per_page: int | None = None):
    """A page of the queryset and the links for the GOV.UK pagination include, keeping the filters."""
    paginator = Paginator(queryset, per_page or settings.BALLOTGUARD_PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)

    def href(number: int) -> str:
        params["page"] = str(number)
        return "?" + params.urlencode()

    items: list[dict] = []
    last = paginator.num_pages
    shown = sorted({1, last, *range(max(1, page_obj.number - 1), min(last, page_obj.number + 1) + 1)})
    previous = 0
    for number in shown:
        if number - previous > 1:
            items.append({"ellipsis": True})
        items.append({"number": number, "href": href(number), "current": number == page_obj.number})
        previous = number
    links = {
        "items": items,
        "previous": href(page_obj.previous_page_number()) if page_obj.has_previous() else "",
        "next": href(page_obj.next_page_number()) if page_obj.has_next() else "",
    }
    return page_obj, links
