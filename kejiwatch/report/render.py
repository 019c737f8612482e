"""Render the static HTML report of a publication: one self-contained file (plotly.js and CSS
inline, no network), written atomically next to its final path.

Safety: everything shown from scraped pages goes through Jinja2 autoescaping; only http(s)
URLs become links (a scraped ``javascript:`` URL stays text); JSON placed in the page uses
Jinja's ``tojson`` (escapes ``<``, ``>``, ``&``, ``'``); plotly's own JSON escapes ``</``.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from kejiwatch.report import charts, labels
from kejiwatch.report.data import FACT_TABLES, ReportData, load


def safe_url(url: Any) -> str | None:
    """The URL when it is http(s) with a host, else None (rendered as plain text, never a link)."""
    if not url:
        return None
    try:
        parts = urlsplit(str(url).strip())
    except ValueError:
        return None
    return str(url).strip() if parts.scheme in ("http", "https") and parts.netloc else None


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("kejiwatch.report", "templates"),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        number=lambda f: labels.number(f.get("value"), f.get("unit"), f.get("qualifier")),
        spread=lambda f: labels.number(f.get("value_spread"), f.get("unit")),
        when=labels.when,
        family_zh=lambda k: labels.FAMILY_ZH.get(k, k),
        measure_zh=lambda k: labels.MEASURE_ZH.get(k, k),
        level_zh=lambda k: labels.LEVEL_ZH.get(k, k) or "—",
        grain_zh=lambda k: labels.GRAIN_ZH.get(k, k or "未知"),
        series_name=lambda f: labels.series_name(f["indicator_name_zh"], f["level"], f["measure"]),
        safe_url=safe_url,
    )
    return env


@lru_cache(maxsize=1)
def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    # A literal "</script" inside the library would end the tag early; plotly.js has none, but
    # guard anyway since the file is embedded verbatim.
    return get_plotlyjs().replace("</script", "<\\/script")


def context(data: ReportData) -> dict[str, Any]:
    """The template's variables (exposed for tests)."""
    families = []
    for family in FACT_TABLES:
        facts = [f for f in data.facts if f["fact_family"] == family]
        families.append({
            "key": family,
            "name_zh": labels.FAMILY_ZH[family],
            "facts": facts,
            "charts": charts.family_charts(data.facts, family),
            "undated": [f for f in facts if f.get("period_end_date") is None],
        })
    latest_by_region: dict[str, list[dict[str, Any]]] = {}
    for f in data.latest:
        latest_by_region.setdefault(f["region_name"] or f["region_key"], []).append(f)
    n_charts = sum(len(fam["charts"]) for fam in families)
    meta = {
        "publish_id": data.publication.publish_id,
        "facts": len(data.facts),
        "charts": n_charts,
        "conflicts": len(data.conflicts),
        "quarantined": data.n_quarantined,
        "evidence": len(data.evidence),
        "regions": len(latest_by_region),
    }
    return {
        "data": data,
        "pub": data.publication,
        "families": families,
        "latest_by_region": latest_by_region,
        "meta": meta,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "plotly_js": _plotly_js() if n_charts else "",
    }


def render_html(data: ReportData) -> str:
    return write_html(data, None)[1]


def write_html(data: ReportData, out: Path | None) -> tuple[dict[str, Any], str]:
    """Render ``data``; write it atomically to ``out`` when given. Returns (meta, html)."""
    ctx = context(data)
    text = _environment().get_template("report.html.j2").render(**ctx)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
        try:
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, out)  # a browser reloading the report never sees half a file
        finally:
            tmp.unlink(missing_ok=True)
    return ctx["meta"], text


def render_report(marts_path: Path | str | None = None, out_path: Path | str | None = None) -> Path:
    """Render the report of the published marts file to ``out_path``; returns the path written.

    Defaults: ``settings.marts_path()`` and ``<data dir>/reports/report.html``. Reads the marts
    file read-only and never touches the working warehouse, so the orchestrator can call it right
    after ``warehouse.publish.publish`` (and a user while a pipeline runs). Raises
    ``kejiwatch.report.MartsUnavailable`` when nothing is published yet."""
    from kejiwatch import settings

    marts = Path(marts_path) if marts_path else settings.marts_path()
    out = Path(out_path) if out_path else default_out_path()
    write_html(load(marts), out)
    return out


def default_out_path() -> Path:
    from kejiwatch import settings

    return settings.data_dir() / "reports" / "report.html"
