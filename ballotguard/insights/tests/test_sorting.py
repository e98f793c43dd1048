"""Insights tables sort by any column, in Python (issue 17), and a suppressed figure never ranks among
the shown ones: it stays last whichever way the column is sorted."""

from __future__ import annotations

import re

import pytest

from ballotguard.engines.insights.figures import MARKER
from ballotguard.insights import services

pytestmark = pytest.mark.django_db


def _table():
    rows = [
        {"force": "Avon", "incidents": "12", "rate": "3.10 (2.0–4.5)", "_values": {"force": "Avon", "incidents": 12, "rate": {"estimate": 3.1}}},
        {"force": "Kent", "incidents": MARKER, "rate": MARKER, "_values": {"force": "Kent", "incidents": None, "rate": None}},
        {"force": "dyfed", "incidents": "1,204", "rate": "0.50 (0.4–0.6)", "_values": {"force": "dyfed", "incidents": 1204, "rate": {"estimate": 0.5}}},
        {"force": "Essex", "incidents": "7", "rate": "–", "_values": {"force": "Essex", "incidents": 7, "rate": None}},
    ]
    return {"name": "forces", "title": "By force", "columns": [{"key": "force", "label": "Force"}, {"key": "incidents", "label": "Incidents"},
                                                                {"key": "rate", "label": "Rate"}], "rows": rows, "notes": []}


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_suppressed_and_empty_cells_stay_last(order):
    table = _table()
    sorting = services.table_sorting(table, {"sort": "forces.incidents", "order": order})
    forces = [r["force"] for r in services.sort_table(table, sorting)["rows"]]
    shown = ["Essex", "Avon", "dyfed"]
    assert forces == (shown if order == "asc" else shown[::-1]) + ["Kent"]
    rate = services.sort_table(table, services.table_sorting(table, {"sort": "forces.rate", "order": order}))["rows"]
    assert [r["force"] for r in rate][2:] == ["Kent", "Essex"]  # [c] and "–" after the figures, in the engine's order


def test_text_ignores_case_and_other_tables_sorts_leave_this_one_alone():
    table = _table()
    by_name = services.sort_table(table, services.table_sorting(table, {"sort": "forces.force", "order": "asc"}))["rows"]
    assert [r["force"] for r in by_name] == ["Avon", "dyfed", "Essex", "Kent"]
    for params in ({"sort": "weekly.week", "order": "asc"}, {"sort": "forces.nope"}, {"sort": "forces.force", "order": "sideways"}):
        assert services.sort_table(table, services.table_sorting(table, params))["rows"] == table["rows"]


def test_the_trends_page_sorts_a_table_by_its_header(world, figures, client_as):
    analyst = client_as(world.users.analyst)
    base = f"/insights/trends/?election={world.elections.ge.election_id}&force=national"
    html = analyst.get(base + "&sort=forces.category&order=desc").content.decode()
    section = html[html.index("By police force"):]
    section = section[:section.index("</table>")]
    names = re.findall(r'<th scope="row" class="govuk-table__header">([^<]+)</th>', section)
    assert names == sorted(names, key=str.casefold, reverse=True) and len(names) >= 2
    assert 'aria-sort="descending"' in section
    link = re.search(r'<a [^>]*href="([^"]+)"[^>]*data-sort="forces.category"', section).group(1).replace("&amp;", "&")
    assert "order=asc" in link and "election=" in link and link.endswith("#trend-forces-heading")


def test_the_table_api_sorts_and_names_a_bad_field(world, figures, client_as):
    analyst = client_as(world.users.analyst)
    q = f"election={world.elections.ge.election_id}&force=national"
    body = analyst.get(f"/api/v1/insights/tables/forces?{q}&sort=category&order=asc").json()
    names = [r["category"] for r in body["rows"]]
    assert names == sorted(names, key=str.casefold)
    for query, field in [("sort=bogus", "sort"), ("sort=category&order=up", "order")]:
        response = analyst.get(f"/api/v1/insights/tables/forces?{q}&{query}")
        assert response.status_code == 422 and response.json()["detail"][0]["field"] == field
