"""The report in a real headless browser: Debian's Chromium driven by Playwright (never a
downloaded browser). The page renders, every chart is drawn (plotly div with its SVG), there are
no console errors, no request leaves the file, and a <script> planted in a scraped title is shown
as text and never runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kejiwatch.report import render_report
from tests.report import landing

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def browser_page(published_marts: Path, tmp_path_factory: pytest.TempPathFactory):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is missing: `apt-get install -y chromium` (scripts/install_system_deps.sh)")
    out = render_report(published_marts, tmp_path_factory.mktemp("browser") / "report.html")
    events: dict[str, list[str]] = {"errors": [], "dialogs": [], "requests": []}
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("console", lambda m: events["errors"].append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: events["errors"].append(f"pageerror: {exc}"))
            page.on("dialog", lambda d: (events["dialogs"].append(d.message), d.dismiss()))
            page.on("request", lambda r: events["requests"].append(r.url))
            page.goto(out.as_uri(), wait_until="load")
            page.wait_for_selector(".plotly-graph-div svg.main-svg", timeout=60_000)
            yield page, events
            page.screenshot(path=str(out.with_suffix(".png")), full_page=True)
        finally:
            browser.close()


def test_page_renders_with_every_chart_drawn(browser_page) -> None:
    page, _ = browser_page
    meta = page.evaluate("JSON.parse(document.getElementById('report-meta').textContent)")
    assert meta["charts"] >= 2
    divs = page.locator(".plotly-graph-div")
    assert divs.count() == meta["charts"]
    for i in range(divs.count()):
        div = divs.nth(i)
        assert div.locator("svg.main-svg").count() >= 1, f"chart {i} has no SVG"
        assert div.locator("g.scatterlayer .trace").count() >= 1, f"chart {i} has no series drawn"
    assert page.title().startswith("kejiwatch")
    assert "营口市" in page.inner_text("#latest")


def test_no_console_errors_and_nothing_fetched(browser_page) -> None:
    page, events = browser_page
    page.wait_for_timeout(300)  # let late errors surface
    assert events["errors"] == []
    outside = [u for u in events["requests"] if not u.startswith(("file:", "data:", "blob:", "about:"))]
    assert outside == []


def test_planted_script_is_text_not_code(browser_page) -> None:
    page, events = browser_page
    assert page.evaluate("window.__pwned") is None
    assert events["dialogs"] == []
    assert landing.PLANTED_TITLE in page.inner_text("#conflicts")  # visible, literally


def test_a_number_jumps_to_its_evidence(browser_page) -> None:
    page, _ = browser_page
    link = page.locator("#latest a.ev").first
    target = link.get_attribute("href")
    link.click()
    assert page.evaluate("location.hash") == target
    article = page.locator(f"article{target}")
    assert article.is_visible()
    assert "抓取" in article.inner_text() and "http://" in article.inner_text()


def test_clicking_a_chart_point_jumps_to_its_evidence(browser_page) -> None:
    page, _ = browser_page
    page.evaluate("location.hash = ''")
    # what plotly emits when a point is clicked: the point's customdata holds its report id
    report_id = page.evaluate("""() => {
        const div = document.querySelector('.plotly-graph-div');
        const trace = div.data.find(t => t.visible !== false);
        const point = {customdata: trace.customdata[0]};
        div.emit('plotly_click', {points: [point]});
        return point.customdata[0];
    }""")
    assert page.evaluate("location.hash") == f"#ev-{report_id}"
    assert page.locator(f"article#ev-{report_id}").is_visible()
