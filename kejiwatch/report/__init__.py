"""The static HTML report of a publication (``kejiwatch report``).

``render_report(marts_path, out_path) -> Path`` reads ONLY the published marts file, read-only,
and writes one self-contained HTML file: per indicator family charts of the series by region and
period, the latest figures per region, conflicts between sources, quarantined rows, and for every
number a link to its evidence (quote, page title, URL, fetch time).
"""

from __future__ import annotations

from kejiwatch.report.data import MartsUnavailable, ReportData, load
from kejiwatch.report.render import default_out_path, render_html, render_report

__all__ = ["MartsUnavailable", "ReportData", "default_out_path", "load", "render_html", "render_report"]
