"""Vega-Lite specifications built in Python, drawn in the browser by vega-embed.

Every chart is paired, in the page, with a table of the same rows (``includes/chart.html``): the
chart is a picture for those who can see it, the table is the data for everyone, screen readers
included. Specs carry their data inline (no fetch), a title and a description that vega-embed uses
as the SVG's accessible name.

Pure Python: no Django.
"""

from __future__ import annotations

from collections.abc import Sequence

VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"  # an identifier: never fetched

# GOV.UK colours with enough contrast with each other and with white.
PALETTE = ("#1d70b8", "#d4351c", "#f47738", "#00703c", "#4c2c92", "#505a5f")


def weekly_series(rows: Sequence[dict], *, x: str, series: Sequence[tuple[str, str]], title: str, description: str,
                  y_title: str = "Messages", mark: str = "line") -> dict:
    """One line per series over time. ``rows`` are dicts with ``x`` as an ISO date and each series'
    field as a number; ``series`` pairs each field with the label the legend shows."""
    labels = {field: label for field, label in series}
    values = [{"week": row[x], "series": labels[field], "count": row[field]} for row in rows for field, _ in series]
    encoding = {
        "x": {"field": "week", "type": "temporal", "title": "Week beginning", "axis": {"format": "%d %b %Y"}},
        "y": {"field": "count", "type": "quantitative", "title": y_title, "axis": {"tickMinStep": 1}},
        "color": {"field": "series", "type": "nominal", "title": None,
                  "scale": {"domain": [label for _, label in series], "range": list(PALETTE[: len(series)])},
                  "legend": {"orient": "bottom"}},
        "tooltip": [{"field": "week", "type": "temporal", "title": "Week beginning", "format": "%d %b %Y"},
                    {"field": "series", "title": "Series"}, {"field": "count", "title": y_title}],
    }
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "title": title,
        "description": description,
        "width": "container",
        "height": 240,
        "data": {"values": values},
        "mark": {"type": mark, "point": True} if mark == "line" else {"type": mark},
        "encoding": encoding,
    }
