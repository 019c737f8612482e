"""The HTML report of a real publication: what it shows, links and escapes (no browser here;
tests/report/test_report_browser.py renders it in Chromium)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from kejiwatch.report import MartsUnavailable, load, render_report
from kejiwatch.report.render import safe_url
from tests.report import landing


@pytest.fixture(scope="module")
def report(published_marts: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = render_report(published_marts, tmp_path_factory.mktemp("html") / "report.html")
    return out, out.read_text(encoding="utf-8")


class _Collector(HTMLParser):
    """Element ids, hrefs and <script> bodies of a page, parsed the way a browser tokenizes."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.scripts: list[str] = []
        self.external: list[str] = []  # src/href of scripts, stylesheets, images loaded from elsewhere
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"])
        for attr in ("src", "href") if tag in ("script", "link", "img", "iframe") else ():
            if a.get(attr) and not a[attr].startswith("data:"):
                self.external.append(a[attr])
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


def _parse(text: str) -> _Collector:
    c = _Collector()
    c.feed(text)
    return c


def test_every_number_links_to_evidence_that_exists(report: tuple[Path, str], published_marts: Path) -> None:
    _, text = report
    page = _parse(text)
    evidence_links = [h for h in page.hrefs if h.startswith("#ev-")]
    with duckdb.connect(str(published_marts), read_only=True) as con:
        chosen = {r[0] for r in con.execute(
            "select chosen_report_id from fct_contracts union all "
            "select chosen_report_id from fct_enterprises union all "
            "select chosen_report_id from fct_platforms").fetchall()}
    assert chosen, "the fixture publication has no facts"
    # every reconciled fact's number links to its chosen report, and every link has its anchor
    assert {h[4:] for h in evidence_links} >= chosen
    assert all(h[1:] in page.ids for h in evidence_links)


def test_evidence_shows_quote_title_url_and_fetch_time(report: tuple[Path, str],
                                                        published_marts: Path) -> None:
    _, text = report
    with duckdb.connect(str(published_marts), read_only=True) as con:
        rid, quote, url, fetched = con.execute(
            "select chosen_report_id, quote, url, strftime(fetched_at, '%Y-%m-%d %H:%M') from fct_contracts "
            "order by value desc limit 1").fetchone()
    article = re.search(rf'<article id="ev-{rid}">(.*?)</article>', text, re.S)
    assert article, f"no evidence entry for {rid}"
    body = article.group(1)
    assert quote in body and fetched in body
    assert f'href="{url}"' in body


def test_conflicting_sources_are_listed_with_each_report(report: tuple[Path, str],
                                                         published_marts: Path) -> None:
    _, text = report
    with duckdb.connect(str(published_marts), read_only=True) as con:
        conflicts = con.execute(
            "select fact_id, min_value, max_value from fct_enterprises where has_conflict").fetchall()
    assert conflicts, "the landing plants a bureau/repost disagreement; reconciliation must flag it"
    section = text[text.index('id="conflicts"'):text.index('id="quarantine"')]
    for fact_id, lo, hi in conflicts:
        assert f'id="conflict-{fact_id}"' in section
        assert f"{lo:,.0f}" in section and f"{hi:,.0f}" in section  # 254 and 290, both shown


def test_quarantined_row_is_shown_and_kept_out_of_the_facts(report: tuple[Path, str],
                                                             published_marts: Path) -> None:
    _, text = report
    section = text[text.index('id="quarantine"'):text.index('id="evidence"')]
    assert "facts.value_in_unit_range.count" in section
    assert landing.ABSURD.title in section and landing.ABSURD.url in section
    with duckdb.connect(str(published_marts), read_only=True) as con:
        assert con.execute("select count(*) from fct_contracts where value = ?",
                           [landing.ABSURD_VALUE]).fetchone()[0] == 0


def test_scraped_markup_is_escaped_not_executed(report: tuple[Path, str]) -> None:
    _, text = report
    assert landing.PLANTED_TITLE not in text  # never raw
    assert "&lt;script&gt;window.__pwned" in text  # shown as text
    page = _parse(text)
    assert not any("__pwned" in s for s in page.scripts)  # not inside any script element either


def test_charts_and_plotly_are_inline(report: tuple[Path, str]) -> None:
    path, text = report
    page = _parse(text)
    meta = json.loads(next(s for s in page.scripts if '"publish_id"' in s))
    assert meta["charts"] >= 2 and meta["facts"] >= 5
    assert sum(1 for i in page.ids if i.startswith("chart-")) == meta["charts"]
    assert page.external == []  # nothing loaded from elsewhere: works offline
    assert text.count("Plotly.newPlot") == meta["charts"]
    # plotly.js is embedded once, however many charts there are
    assert sum(1 for s in page.scripts if len(s) > 1_000_000) == 1
    assert path.stat().st_size < 20_000_000


def test_latest_values_per_region(report: tuple[Path, str], published_marts: Path) -> None:
    data = load(published_marts)
    latest = {(f["region_name"], f["indicator_key"], f["measure"]): f["period_key"] for f in data.latest}
    # Yingkou reports 2022 and 2023: the latest figure is 2023's
    assert latest[("营口市", "tech_contract_turnover", "amount")] == "2023"
    _, text = report
    section = text[text.index('id="latest"'):text.index('id="conflicts"')]
    assert "营口市" in section and "辽宁省" in section and "5.75亿元" in section


def test_missing_publication_says_so(tmp_path: Path) -> None:
    with pytest.raises(MartsUnavailable, match="nothing has been published"):
        render_report(tmp_path / "absent.duckdb", tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize(("url", "ok"), [
    ("http://kjj.yingkou.example/a.html", True),
    ("https://x.gov.cn/a?b=1", True),
    ("javascript:alert(1)", False),
    ("data:text/html,<script>", False),
    ("//evil.example/x", False),
    (None, False),
])
def test_only_http_urls_become_links(url: str | None, ok: bool) -> None:
    assert (safe_url(url) is not None) is ok


def test_a_table_without_the_published_columns_is_named_not_fatal(tmp_path: Path) -> None:
    marts = tmp_path / "odd.duckdb"
    with duckdb.connect(str(marts)) as con:
        con.execute("create table fct_contracts as select 'f1' as fact_id, 1.0 as value")
    text = render_report(marts, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "fct_contracts (columns missing)" in text
    assert "fct_indicator_reports" in text  # absent tables are listed too
