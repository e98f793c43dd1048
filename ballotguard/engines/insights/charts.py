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
                  # One item a line under the plot: side by side, three long labels ran past a 390 px
                  # phone's edge and were cut off (issue 16, point 6).
                  "legend": {"orient": "bottom", "direction": "vertical", "labelLimit": 0}},
        "tooltip": [{"field": "week", "type": "temporal", "title": "Week beginning", "format": "%d %b %Y"},
                    {"field": "series", "title": "Series"}, {"field": "count", "title": y_title}],
    }
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "title": title,
        "description": description,
        "width": "container",
        # The whole chart (axes, title and legend too) fits the box it is drawn in, however narrow.
        "autosize": {"type": "fit-x", "contains": "padding"},
        "height": 240,
        "data": {"values": values},
        "mark": {"type": mark, "point": True} if mark == "line" else {"type": mark},
        "encoding": encoding,
    }


def rate_bars(rows: Sequence[dict], *, title: str, description: str, x_title: str = "Incidents per 100 candidates") -> dict:
    """Horizontal bars with a 95% confidence interval line each. ``rows``: dicts with ``category``
    and ``rate`` ({"estimate", "lower", "upper"}, or None when suppressed: left out of the chart and
    marked in the table)."""
    values = [{"category": r["category"], "estimate": r["rate"]["estimate"], "lower": r["rate"]["lower"], "upper": r["rate"]["upper"]}
              for r in rows if r.get("rate")]
    y = {"field": "category", "type": "nominal", "title": None, "sort": None, "axis": {"labelLimit": 260}}
    return {
        "$schema": VEGA_LITE_SCHEMA, "title": title, "description": description, "width": "container",
        "height": {"step": 22}, "data": {"values": values},
        "layer": [
            {"mark": {"type": "bar", "color": PALETTE[0]},
             "encoding": {"y": y, "x": {"field": "estimate", "type": "quantitative", "title": x_title},
                          "tooltip": [{"field": "category", "title": "Group"}, {"field": "estimate", "title": "Rate", "format": ".1f"},
                                      {"field": "lower", "title": "95% CI from", "format": ".1f"}, {"field": "upper", "title": "to", "format": ".1f"}]}},
            {"mark": {"type": "rule", "color": "#0b0c0c"},
             "encoding": {"y": y, "x": {"field": "lower", "type": "quantitative"}, "x2": {"field": "upper"}}},
        ],
    }


def forest(rows: Sequence[dict], *, title: str, description: str, x_title: str = "Rate ratio vs all others (log scale)") -> dict:
    """A forest plot: each group's rate ratio as a point with its 95% CI, on a log scale with a line at
    1 (no difference). Rows without a ratio (suppressed, or infinite) are left out of the chart."""
    values = [{"group": r["group"], "ratio": r["ratio"]["ratio"], "lower": r["ratio"]["lower"], "upper": r["ratio"]["upper"]}
              for r in rows if r.get("ratio") and r["ratio"].get("ratio") and r["ratio"].get("upper") and r["ratio"].get("lower")]
    y = {"field": "group", "type": "nominal", "title": None, "sort": None, "axis": {"labelLimit": 260}}
    x_scale = {"type": "log"}
    return {
        "$schema": VEGA_LITE_SCHEMA, "title": title, "description": description, "width": "container",
        "height": {"step": 22}, "data": {"values": values},
        "layer": [
            {"mark": {"type": "rule", "color": "#0b0c0c"},
             "encoding": {"y": y, "x": {"field": "lower", "type": "quantitative", "scale": x_scale, "title": x_title}, "x2": {"field": "upper"}}},
            {"mark": {"type": "point", "filled": True, "size": 60, "color": PALETTE[1]},
             "encoding": {"y": y, "x": {"field": "ratio", "type": "quantitative", "scale": x_scale},
                          "tooltip": [{"field": "group", "title": "Group"}, {"field": "ratio", "title": "Rate ratio", "format": ".2f"},
                                      {"field": "lower", "title": "95% CI from", "format": ".2f"}, {"field": "upper", "title": "to", "format": ".2f"}]}},
            {"data": {"values": [{"one": 1}]}, "mark": {"type": "rule", "strokeDash": [4, 4], "color": PALETTE[5]},
             "encoding": {"x": {"field": "one", "type": "quantitative", "scale": x_scale}}},
        ],
    }


def share_bars(rows: Sequence[dict], *, category: str, field: str, title: str, description: str, x_title: str) -> dict:
    """Horizontal bars of a share from 0 to 100%. Rows whose ``field`` is None are left out."""
    values = [{"category": r[category], "share": 100 * r[field]} for r in rows if r.get(field) is not None]
    return {
        "$schema": VEGA_LITE_SCHEMA, "title": title, "description": description, "width": "container",
        "height": {"step": 16}, "data": {"values": values},
        "mark": {"type": "bar", "color": PALETTE[3]},
        "encoding": {"y": {"field": "category", "type": "nominal", "title": None, "sort": None, "axis": {"labelLimit": 260}},
                     "x": {"field": "share", "type": "quantitative", "title": x_title, "scale": {"domain": [0, 100]}},
                     "tooltip": [{"field": "category", "title": "Police force"}, {"field": "share", "title": "Per cent", "format": ".0f"}]},
    }
