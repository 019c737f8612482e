"""Benchmark: rendering the HTML report of a large publication, and reading it back in Chromium.

usage: python -m bench.report [--regions N] [--years N] [--browser/--no-browser]

A synthetic published marts file (the published column names: fct_*, dim_*,
fct_indicator_reports, quarantined_mentions, publication_manifest) with every indicator of the
vocabulary seed for N regions over N years, two reports per fact and 5 % conflicts, is written
with DuckDB, then ``kejiwatch.report.render_report`` is timed. Prints figures (BENCH lines, see
bench/_protocol.py); asserts nothing.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._protocol import emit  # noqa: E402


def vocabulary() -> list[tuple[str, str, str, str]]:
    path = ROOT / "dbt_project" / "seeds" / "indicator_vocabulary.csv"
    with path.open(encoding="utf-8") as f:
        return [(r["indicator_key"], r["fact_family"], r["name_zh"], r["unit"]) for r in csv.DictReader(f)]


def build_marts(path: Path, regions: int, years: int) -> int:
    import duckdb

    con = duckdb.connect(str(path))
    con.execute("create table vocab (indicator_key varchar, fact_family varchar, name_zh varchar,"
                " unit varchar)")
    con.executemany("insert into vocab values (?, ?, ?, ?)", vocabulary())
    con.execute(f"""
        create table dim_region as
        select lpad(cast(210000 + i * 100 as varchar), 6, '0') as region_key,
               '地区' || i || '市' as region_name, 'city' as region_level from range({regions}) t(i);
        create table dim_period as
        select cast(y as varchar) as period_key, 'year' as period_grain, make_date(y, 1, 1) as start_date,
               make_date(y, 12, 31) as end_date from range({2025 - years + 1}, 2026) t(y);
        create table dim_indicator as
        select indicator_key, fact_family, name_zh as indicator_name_zh, unit from vocab;
        create table dim_source as
        select 'portal_' || i as portal_id, '科学技术局' || i as portal_name from range(20) t(i);
        create table facts as
        select md5(r.region_key || p.period_key || v.indicator_key) as fact_id, v.fact_family,
               r.region_key, p.period_key, v.indicator_key, 'unspecified' as level,
               case v.unit when 'yuan' then 'amount' else 'new' end as measure,
               case v.unit when 'yuan' then 1e8 * (1 + random() * 50) else floor(10 + random() * 500) end
                   as value,
               v.unit, 'exact' as qualifier, p.end_date
        from dim_region r, dim_period p, vocab v;
        create table fct_indicator_reports as
        select md5(fact_id || k) as report_id, fact_id, indicator_key, region_key, period_key, level, measure,
               value * (case when k = 1 and hash(fact_id) % 20 = 0 then 1.3 else 1 end) as value,
               unit, qualifier, '地区' as region_name, 'text' as evidence_kind,
               '全年' || indicator_key || '达到' || cast(value as varchar) || '<b>' as quote,
               'http://kjj.example/' || fact_id || '/' || k || '.html' as url,
               '工作总结 <script>x()</script>' as page_title,
               'portal_' || (hash(fact_id || k) % 20) as portal_id, 'city_bureau' as publisher_type,
               k = 0 as is_official_publisher, false as is_superseded,
               cast(end_date as timestamp) + interval 20 day as published_at,
               cast(end_date as timestamp) + interval 30 day as fetched_at
        from facts, range(2) t(k);
        create table dim_document as
        select distinct md5(url) as page_version_id, url, page_title as title, portal_id, fetched_at
        from fct_indicator_reports;
        create table quarantined_mentions as
        select md5(i::varchar) as mention_id,
               (select min(page_version_id) from dim_document) as page_version_id,
               'facts.value_in_unit_range.count' as expectation, 'absurd value' as reason,
               'error' as severity,
               'facts-bench' as gate_run_id, now()::timestamp as quarantined_at from range(50) t(i);
    """)
    for family, table in (("contract", "fct_contracts"), ("enterprise", "fct_enterprises"),
                          ("platform", "fct_platforms")):
        con.execute(f"""
            create table {table} as
            select f.fact_id, f.region_key, f.period_key, f.indicator_key, f.level, f.measure,
                   min(r.value) filter (where r.is_official_publisher) as value, f.unit, f.qualifier,
                   count(*) as n_reports, count(distinct r.portal_id) as n_sources,
                   max(r.value) - min(r.value) > 0 as has_conflict,
                   max(r.value) - min(r.value) as value_spread,
                   min(r.value) as min_value, max(r.value) as max_value,
                   min(r.report_id) filter (where r.is_official_publisher) as chosen_report_id,
                   min(r.portal_id) as chosen_portal_id, min(r.quote) as quote, min(r.url) as url,
                   min(r.page_title) as page_title, max(r.published_at) as published_at,
                   max(r.fetched_at) as fetched_at
            from facts f join fct_indicator_reports r using (fact_id)
            where f.fact_family = '{family}'
            group by all""")
    con.execute("""
        create table publication_manifest as
        select 'pub-bench' as publish_id, now()::timestamp as published_at, 'bench' as code_version,
               table_name, estimated_size as row_count, '[]'::json as gate_runs, 'passed' as gate_outcome,
               now()::timestamp as newest_document_at, 'v1.0.0' as storage_version
        from duckdb_tables() where schema_name = 'main'""")
    con.execute("drop table facts; drop table vocab")
    n = con.execute("select (select count(*) from fct_contracts) + (select count(*) from fct_enterprises)"
                    " + (select count(*) from fct_platforms)").fetchone()[0]
    con.close()
    return int(n)


def browser_load_seconds(html: Path) -> float | None:
    """Seconds for headless Chromium to load the report and write a screenshot (None: no chromium)."""
    chromium = shutil.which("chromium")
    if not chromium:
        return None
    started = time.perf_counter()
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run",
                    "--virtual-time-budget=10000", f"--screenshot={html.with_suffix('.png')}",
                    "--window-size=1400,2000", html.as_uri()],
                   capture_output=True, timeout=300, check=False)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--regions", type=int, default=40)
    parser.add_argument("--years", type=int, default=6)
    parser.add_argument("--browser", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args()

    from kejiwatch.report import load
    from kejiwatch.report.render import write_html

    with tempfile.TemporaryDirectory() as tmp:
        marts, out = Path(tmp) / "marts.duckdb", Path(tmp) / "report.html"
        t0 = time.perf_counter()
        facts = build_marts(marts, args.regions, args.years)
        print(f"synthetic publication: {facts:,} facts, {args.regions} regions × {args.years} years "
              f"({time.perf_counter() - t0:.1f}s to generate)")
        t0 = time.perf_counter()
        data = load(marts)
        load_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        meta, _ = write_html(data, out)
        render_s = time.perf_counter() - t0
        size_mb = out.stat().st_size / 1e6
        print(f"load {load_s:.2f}s, render+write {render_s:.2f}s: {meta['charts']} charts, "
              f"{meta['evidence']:,} evidence entries, {meta['conflicts']:,} conflicts, {size_mb:.1f} MB")
        emit("facts", facts, "facts")
        emit("report_load_s", round(load_s, 3), "s")
        emit("report_render_s", round(render_s, 3), "s", target="<= 60")
        emit("report_charts", meta["charts"], "charts")
        emit("report_size_mb", round(size_mb, 2), "MB", target="<= 50")
        emit("report_facts_per_s", round(facts / (load_s + render_s), 1), "facts/s")
        if args.browser:
            seconds = browser_load_seconds(out)
            if seconds is None:
                print("chromium not found: browser load not measured")
            else:
                emit("chromium_load_screenshot_s", round(seconds, 2), "s", target="<= 60",
                     note="headless chromium, load + screenshot")
    return 0


if __name__ == "__main__":
    sys.exit(main())
