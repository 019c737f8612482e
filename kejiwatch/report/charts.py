"""Plotly charts of the reconciled series: per indicator family, one chart per indicator × level ×
measure, one line per region, x = the periods in time order, one view per period grain.

Figures are written as ``<div>`` + a small ``Plotly.newPlot`` script WITHOUT plotly.js; the page
embeds plotly.js once (see ``render``), so the file works offline and stays one copy of the
library however many charts it has. Plotly interprets a subset of HTML in names and hover text,
so every string that came from a scraped page is HTML-escaped before it goes into a trace;
plotly itself escapes ``<``/``/`` in the JSON it writes into the script.
"""

from __future__ import annotations

import html
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from kejiwatch.report import labels


@dataclass
class Chart:
    chart_id: str
    title: str  # plain text, escaped by the template
    unit: str | None
    n_points: int
    n_regions: int
    html: str  # the plotly div + script (trusted: built here from escaped strings)


def _esc(text: Any) -> str:
    return html.escape("" if text is None else str(text), quote=True)


# The look of plotly's "plotly_white" template, inlined: a named template would be expanded into
# every figure's JSON (and costs validation time).
COLORWAY = ["#636efa", "#EF553B", "#00cc96", "#ab63fa", "#FFA15A", "#19d3f3", "#FF6692", "#B6E880",
            "#FF97FF", "#FECB52"]
STYLE: dict[str, Any] = {"paper_bgcolor": "white", "plot_bgcolor": "white", "colorway": COLORWAY,
                         "font": {"color": "#2a3f5f"}, "hoverlabel": {"align": "left"}}
AXIS: dict[str, Any] = {"gridcolor": "#EBF0F8", "linecolor": "#EBF0F8", "zerolinecolor": "#EBF0F8",
                        "automargin": True, "ticks": ""}

GRAIN_ORDER = ["year", "half_year", "quarter", "month", "as_of_date", "unknown"]


def _figure(rows: list[dict[str, Any]], unit: str | None) -> tuple[Any, int]:
    """One line per region for each period grain; a year total, a half-year total and a month are
    not comparable, so each grain is its own view, switched by buttons (the grain with the most
    points shown first). Periods are categories in time order: a date axis would show 2023 and
    2023H1 as bare instants and invent sub-day ticks."""
    by_grain: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        grain = r.get("period_grain") if r.get("period_grain") in GRAIN_ORDER else "unknown"
        by_grain[grain][r["region_name"] or r["region_key"]].append(r)
    grains = [g for g in GRAIN_ORDER if g in by_grain]
    shown = max(grains, key=lambda g: (sum(len(p) for p in by_grain[g].values()), -GRAIN_ORDER.index(g)))

    traces: list[dict[str, Any]] = []
    trace_grains: list[str] = []
    categories: dict[str, list[str]] = {}
    for grain in grains:
        periods = sorted({(r["period_end_date"], r.get("period_start_date") or r["period_end_date"],
                           r["period_key"]) for points in by_grain[grain].values() for r in points})
        categories[grain] = [key for _, _, key in periods]
        for region, points in sorted(by_grain[grain].items()):
            points.sort(key=lambda r: r["period_end_date"])
            trace_grains.append(grain)
            traces.append(dict(
                type="scatter",
                x=[p["period_key"] for p in points],
                y=[labels.axis_value(float(p["value"]), unit) for p in points],
                mode="lines+markers",
                name=_esc(region),
                visible=grain == shown,
                customdata=[[p["chosen_report_id"], _esc(p["period_key"]),
                             _esc(labels.number(p["value"], p["unit"], p["qualifier"])),
                             "有冲突" if p["has_conflict"] else ""] for p in points],
                hovertemplate="%{fullData.name}<br>%{customdata[1]}: %{customdata[2]} %{customdata[3]}"
                              "<extra>点击查看证据</extra>",
                marker={"size": 8, "symbol": ["diamond" if p["has_conflict"] else "circle" for p in points]},
            ))

    def axis_type(grain: str) -> str:
        # Provinces and their cities on one axis: a log scale keeps the cities readable.
        values = [float(r["value"]) for points in by_grain[grain].values() for r in points]
        positive = [v for v in values if v > 0]
        wide = len(positive) == len(values) and positive and max(positive) / min(positive) > 100
        return "log" if wide else "linear"

    layout: dict[str, Any] = {
        **STYLE,
        "height": 360,
        "margin": {"l": 60, "r": 10, "t": 40 if len(grains) > 1 else 20, "b": 40},
        "legend": {"orientation": "h", "y": -0.25},
        "yaxis": {**AXIS, "title": {"text": labels.UNIT_AXIS.get(unit or "", unit or "")},
                  "type": axis_type(shown)},
        "xaxis": {**AXIS, "title": {"text": "期间"}, "type": "category", "categoryorder": "array",
                  "categoryarray": categories[shown]},
        "showlegend": True,
        "hovermode": "closest",
    }
    if len(grains) > 1:
        layout["updatemenus"] = [{
            "type": "buttons", "direction": "right", "x": 0, "xanchor": "left", "y": 1.18,
            "yanchor": "top", "showactive": True, "active": grains.index(shown),
            "buttons": [{
                "label": f"{labels.GRAIN_ZH.get(g, g)} ({sum(len(p) for p in by_grain[g].values())})",
                "method": "update",
                "args": [{"visible": [tg == g for tg in trace_grains]},
                         {"xaxis.categoryarray": categories[g], "yaxis.type": axis_type(g)}],
            } for g in grains],
        }]
    n_regions = len({region for g in grains for region in by_grain[g]})
    return {"data": traces, "layout": layout}, n_regions


def family_charts(facts: list[dict[str, Any]], family: str) -> list[Chart]:
    """One chart per (indicator, level, measure, unit) of the family that has dated points."""
    import plotly.io as pio

    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for f in facts:
        if f["fact_family"] == family and f.get("period_end_date") is not None and f["value"] is not None:
            groups[(f["indicator_key"], f["level"], f["measure"], f["unit"])].append(f)

    charts = []
    for n, (key, rows) in enumerate(sorted(groups.items(), key=lambda kv: kv[0])):
        _indicator, level, measure, unit = key
        title = labels.series_name(rows[0]["indicator_name_zh"], level, measure)
        chart_id = f"chart-{family}-{n}"
        fig, n_regions = _figure(rows, unit)
        # Plain dicts, not validated graph objects: plotly's validation deep-copies its template
        # for every update and took 0.3 s per chart.
        div = pio.to_html(fig, full_html=False, include_plotlyjs=False, div_id=chart_id, validate=False,
                          config={"displaylogo": False, "responsive": True})
        charts.append(Chart(chart_id, title, unit, len(rows), n_regions, div))
    return charts
