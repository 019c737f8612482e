"""Plotly charts of the reconciled series: per indicator family, one chart per indicator × level ×
measure, one line per region (and grain, when a region reports several), x = the periods in time order.

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


def family_charts(facts: list[dict[str, Any]], family: str) -> list[Chart]:
    """One chart per (indicator, level, measure, unit) of the family that has dated points."""
    import plotly.graph_objects as go

    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for f in facts:
        if f["fact_family"] == family and f.get("period_end_date") is not None and f["value"] is not None:
            groups[(f["indicator_key"], f["level"], f["measure"], f["unit"])].append(f)

    charts = []
    for n, (key, rows) in enumerate(sorted(groups.items(), key=lambda kv: kv[0])):
        _indicator, level, measure, unit = key
        title = labels.series_name(rows[0]["indicator_name_zh"], level, measure)
        traces: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
        for r in rows:
            traces[(r["region_name"] or r["region_key"], r.get("period_grain") or "unknown")].append(r)
        grains_per_region: dict[str, set] = defaultdict(set)
        for region, grain in traces:
            grains_per_region[region].add(grain)

        # Periods as categories in time order (by end date, then the longer period first): a
        # date axis would show 2023 and 2023H1 as bare instants and invent sub-day ticks.
        order = sorted({(r["period_end_date"], r.get("period_start_date") or r["period_end_date"],
                         r["period_key"]) for r in rows})
        fig = go.Figure()
        for (region, grain), points in sorted(traces.items()):
            points.sort(key=lambda r: r["period_end_date"])
            name = region
            if len(grains_per_region[region]) > 1:
                name = f"{region} · {labels.GRAIN_ZH.get(grain, grain)}"
            fig.add_trace(go.Scatter(
                x=[p["period_key"] for p in points],
                y=[labels.axis_value(float(p["value"]), unit) for p in points],
                mode="lines+markers",
                name=_esc(name),
                customdata=[[p["chosen_report_id"], _esc(p["period_key"]),
                             _esc(labels.number(p["value"], p["unit"], p["qualifier"])),
                             "有冲突" if p["has_conflict"] else ""] for p in points],
                hovertemplate="%{fullData.name}<br>%{customdata[1]}: %{customdata[2]} %{customdata[3]}"
                              "<extra>点击查看证据</extra>",
                marker={"size": 8, "symbol": ["diamond" if p["has_conflict"] else "circle" for p in points]},
            ))
        fig.update_layout(
            template="plotly_white",
            height=340,
            margin={"l": 60, "r": 10, "t": 30, "b": 40},
            legend={"orientation": "h", "y": -0.2},
            yaxis_title=labels.UNIT_AXIS.get(unit or "", unit or ""),
            xaxis={"title": "期间", "type": "category", "categoryorder": "array",
                   "categoryarray": [key for _, _, key in order]},
            showlegend=True,
            hovermode="closest",
        )
        chart_id = f"chart-{family}-{n}"
        div = fig.to_html(full_html=False, include_plotlyjs=False, div_id=chart_id,
                          config={"displaylogo": False, "responsive": True})
        charts.append(Chart(chart_id, title, unit, len(rows), len({r[0] for r in traces}), div))
    return charts
