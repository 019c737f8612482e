"""Benchmark: the dbt warehouse build on a synthetic raw landing of many page versions.

usage: python -m bench.warehouse [--pages 100000] [--new-pages 1000] [--workdir DIR] [--run-only]

1. Lands ``--pages`` synthetic page versions (county and city bureaus of the GB/T seed, each page
   carrying about ten indicator statements, 1 % verbatim reposts marked duplicate_of, 5 % pages
   without figures) straight into raw.pages with SQL.
2. Full build: ``dbt build`` (models and tests; ``--run-only``: ``dbt run``) on that landing.
   Extraction runs inside dbt (int_page_extractions), so this runs the extractor once per page.
3. Lands ``--new-pages`` more page versions, then the incremental build.
Prints: pages and reports, full build time, incremental build time, their ratio (target <= 0.05),
and the peak memory (max RSS) of each build process (target < 4 GB). Each phase runs in its
own process so its peak memory is its own. Figures also go to bench/results/warehouse.json.
Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results"

# Ten statements per page, in the wording of the bureaus' year reports. {place} is 全市 / 全县 /
# 全区 so the extractor resolves the region to the publishing bureau's own.
TEMPLATE = (
    "%d年,{place}技术合同成交额达到%.2f亿元,同比增长%.1f%%。"
    "全年新增科技型中小企业%d家,高新技术企业总数达到%d家。"
    "截至目前,{place}共有省级中试基地%d家,省级重点实验室%d家,众创空间%d家,科技企业孵化器%d家。"
    "新增雏鹰企业%d家,瞪羚企业%d家。"
)
NO_FACTS_TEXT = "%d年%d月,局党组召开会议,传达学习有关会议精神,部署下一阶段重点工作。"


def _peak_rss_mb() -> float:
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    """CPU seconds of this process: on a shared machine wall time measures the neighbours too."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def land(warehouse: str, start: int, count: int) -> dict:
    """Insert page versions start..start+count-1 (deterministic in the index)."""
    from warehouse import db

    began = time.perf_counter()
    with db.connect(Path(warehouse)) as con:
        seed = ROOT / "dbt_project" / "seeds" / "region_divisions.csv"
        con.execute(
            "create temp table publishers as"
            " select row_number() over (order by code) - 1 as n, code, name, level"
            f" from read_csv('{seed}', all_varchar = true) where level in ('city', 'county')"
        )
        con.execute(
            "insert or ignore into raw.portals (portal_id, name, publisher_type, region_code, region_name,"
            " base_url, authority_rank, config_hash, updated_at)"
            " select 'bench_' || code, name || '科学技术局',"
            " case level when 'city' then 'city_bureau' else 'county_bureau' end, code, name,"
            " 'http://bench' || code || '.example', 1, 'bench', now() from publishers"
        )
        n_publishers = con.execute("select count(*) from publishers").fetchone()[0]
        fact_template = TEMPLATE.replace("'", "''")
        con.execute(
            f"""
            create temp table generated as
            with idx as (
                select i, (hash(i) % 4294967291)::bigint as h from range({start}, {start + count}) t(i)
            ),
            shaped as (
                select
                    i,
                    h,
                    (h % {n_publishers})::bigint as publisher_n,
                    2017 + (h // 7 % 8)::integer as year,
                    (h // 11 % 100) as kind
                from idx
            )
            select
                shaped.i,
                publishers.code,
                publishers.level,
                shaped.year,
                shaped.kind,
                'http://bench' || publishers.code || '.example/art/' || shaped.i || '.html' as url,
                case
                    when shaped.kind < 5 then printf('{NO_FACTS_TEXT}', shaped.year, 1 + shaped.h % 12)
                    else printf(
                        replace('{fact_template}', '{{place}}',
                                case publishers.level when 'city' then '全市' else '全县' end),
                        shaped.year,
                        1 + (shaped.h % 90000) / 100.0,
                        (shaped.h // 3 % 800) / 10.0,
                        10 + shaped.h // 5 % 500,
                        50 + shaped.h // 13 % 3000,
                        1 + shaped.h // 17 % 60,
                        1 + shaped.h // 19 % 40,
                        1 + shaped.h // 23 % 30,
                        1 + shaped.h // 29 % 20,
                        1 + shaped.h // 31 % 50,
                        1 + shaped.h // 37 % 20
                    )
                end as body_text,
                make_timestamp(shaped.year + 1, 1 + shaped.h % 6, 1 + shaped.h // 41 % 28, 9, 0, 0)
                    as published_at
            from shaped join publishers on publishers.n = shaped.publisher_n
            """
        )
        con.execute(
            """
            insert or ignore into raw.pages (page_version_id, url, portal_id, run_id, fetched_at,
                content_hash, html, encoding, decode_ok, title, published_at, source, body_text, duplicate_of)
            select
                substr(sha256(url || sha256(body_text)), 1, 24),
                url,
                'bench_' || code,
                'bench',
                published_at + interval 1 day,
                sha256(body_text),
                '<html><body><p>' || body_text || '</p></body></html>',
                'utf-8',
                true,
                year || '年科技创新工作情况',
                published_at,
                null,
                body_text,
                null
            from generated
            """
        )
        # 1 % verbatim reposts on a trade site, marked as duplicates of the page they copy.
        con.execute(
            "insert or ignore into raw.portals (portal_id, name, publisher_type, base_url, authority_rank,"
            " config_hash, updated_at) values ('bench_trade', '科技资讯网', 'trade_repost',"
            " 'http://trade.example', 5, 'bench', now())"
        )
        con.execute(
            """
            insert or ignore into raw.pages (page_version_id, url, portal_id, run_id, fetched_at,
                content_hash, html, encoding, decode_ok, title, published_at, source, body_text, duplicate_of)
            select
                substr(sha256('http://trade.example/' || i || sha256(body_text)), 1, 24),
                'http://trade.example/' || i || '.html',
                'bench_trade',
                'bench',
                published_at + interval 2 day,
                sha256(body_text),
                '<html><body><p>' || body_text || '</p></body></html>',
                'utf-8',
                true,
                year || '年科技创新工作情况(转载)',
                published_at,
                null,
                body_text,
                substr(sha256(url || sha256(body_text)), 1, 24)
            from generated where kind = 99
            """
        )
        n_pages = con.execute("select count(*) from raw.pages").fetchone()[0]
    return {"pages_total": n_pages, "land_s": time.perf_counter() - began, "peak_rss_mb": _peak_rss_mb()}


def build(warehouse: str, args: list[str], version: str) -> dict:
    os.environ["KEJIWATCH_EXTRACTOR_VERSION"] = version
    from warehouse import dbt

    began, cpu_began = time.perf_counter(), _cpu_s()
    run = dbt.run_dbt(args, warehouse=Path(warehouse))
    elapsed, cpu = time.perf_counter() - began, _cpu_s() - cpu_began
    return {
        "args": args,
        "success": run.success,
        "statuses": run.statuses,
        "failing": [f"{n.unique_id}: {n.message}" for n in run.failing_nodes][:10],
        "elapsed_s": elapsed,
        "cpu_s": cpu,
        "layers_s": layer_times(dbt.target_dir(Path(warehouse)) / "run_results.json"),
        "peak_rss_mb": _peak_rss_mb(),
    }


def layer_times(run_results: Path) -> dict[str, float]:
    """Seconds spent per layer (node execution only; the rest is dbt's parse and start-up)."""
    out: dict[str, float] = {}
    if not run_results.exists():
        return out
    for node in json.loads(run_results.read_text(encoding="utf-8"))["results"]:
        kind, _, name = node["unique_id"].split(".", 2)
        if kind != "model":
            layer = kind  # test, seed
        elif name == "int_page_extractions":
            layer = "extraction"
        else:
            layer = {"stg": "staging", "int": "intermediate"}.get(name.split("_")[0], "marts")
        out[layer] = round(out.get(layer, 0.0) + node["execution_time"], 2)
    return out


def counts(warehouse: str) -> dict:
    from warehouse import db

    with db.connect(Path(warehouse), read_only=True) as con:

        def n(table: str) -> int:
            return con.execute(f"select count(*) from {table}").fetchone()[0]

        return {
            "page_extractions": n("intermediate.int_page_extractions"),
            "mentions": n("intermediate.int_indicator_mentions"),
            "reports": n("marts.fct_indicator_reports"),
            "facts": sum(n(f"marts.{t}") for t in ("fct_contracts", "fct_enterprises", "fct_platforms")),
            "file_mb": round(Path(warehouse).stat().st_size / 2**20, 1),
        }


def in_child(fn, *args):
    """Run one phase in a fresh process so its peak memory is its own."""
    with mp.get_context("spawn").Pool(1) as pool:
        return pool.apply(fn, args)


def incremental_only(opts: argparse.Namespace) -> None:
    previous = json.loads(opts.incremental_only.read_text(encoding="utf-8"))
    warehouse = str(opts.workdir / "warehouse.duckdb")
    command = ["build"] if opts.with_tests else [previous["command"]]
    before = in_child(counts, warehouse)
    landed = in_child(land, warehouse, 1_000_000 + before["page_extractions"], opts.new_pages)
    inc = in_child(build, warehouse, command, "incremental-only")
    after = in_child(counts, warehouse)
    full = previous["full"]["elapsed_s"]
    print(f"pages before {before['page_extractions']:,}, after {after['page_extractions']:,}"
          f" ({landed['pages_total']:,} landed); reports {after['reports']:,}")
    print(f"full `dbt {previous['command']}` (recorded)  {full:>10.1f} s")
    print(f"incremental `dbt {command[0]}`      {inc['elapsed_s']:>10.1f} s  (CPU {inc['cpu_s']:.1f} s)")
    print(f"ratio incremental/full          {inc['elapsed_s'] / full:>10.3f}   (target <= 0.05)")
    print(f"peak memory (max RSS)           {inc['peak_rss_mb']:>10.0f} MB")
    print(f"seconds per layer: {inc['layers_s']}; success={inc['success']} {inc['failing']}")
    print(f"load average at the end         {os.getloadavg()[0]:>10.1f} on {os.cpu_count()} CPUs")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "warehouse_incremental.json").write_text(
        json.dumps({"before": before, "after": after, "incremental": inc, "full_recorded_s": full}, indent=2),
        encoding="utf-8",
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=100_000)
    parser.add_argument("--new-pages", type=int, default=1_000)
    parser.add_argument("--workdir", type=Path, default=None, help="folder of the DuckDB file (default temp)")
    parser.add_argument("--run-only", action="store_true", help="dbt run instead of dbt build (no tests)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument(
        "--incremental-only", type=Path, metavar="RESULTS_JSON",
        help="reuse --workdir's built warehouse: land --new-pages more and time only the incremental"
             " build, against the full build recorded in RESULTS_JSON (a previous run's results)",
    )
    parser.add_argument("--with-tests", action="store_true",
                        help="with --incremental-only: time `dbt build` (models and tests)")
    opts = parser.parse_args()
    if opts.incremental_only:
        incremental_only(opts)
        return

    workdir = opts.workdir or Path(tempfile.mkdtemp(prefix="kejiwatch-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    warehouse = str(workdir / "warehouse.duckdb")
    command = ["run"] if opts.run_only else ["build"]
    results: dict = {
        "pages": opts.pages, "new_pages": opts.new_pages, "command": command[0], "cpus": os.cpu_count()
    }
    try:
        results["land"] = in_child(land, warehouse, 0, opts.pages)
        print(f"landed {results['land']['pages_total']} page versions in {results['land']['land_s']:.1f}s",
              flush=True)
        if opts.run_only:  # `dbt run` does not load seeds, which the intermediate models read
            in_child(build, warehouse, ["seed"], "seed")
        results["full"] = in_child(build, warehouse, command, "full")
        results["after_full"] = in_child(counts, warehouse)
        print(f"full build: {results['full']['elapsed_s']:.1f}s {results['full']['statuses']}"
              f" peak {results['full']['peak_rss_mb']:.0f} MB; {results['after_full']}", flush=True)
        results["land_new"] = in_child(land, warehouse, opts.pages, opts.new_pages)
        results["incremental"] = in_child(build, warehouse, command, "incremental")
        results["after_incremental"] = in_child(counts, warehouse)
        full, inc = results["full"]["elapsed_s"], results["incremental"]["elapsed_s"]
        results["ratio"] = inc / full
        print(f"incremental build after {opts.new_pages} new pages: {inc:.1f}s"
              f" {results['incremental']['statuses']} peak {results['incremental']['peak_rss_mb']:.0f} MB;"
              f" {results['after_incremental']}")
        print()
        print(f"pages (page versions)      {results['after_incremental']['page_extractions']:>12,}")
        print(f"reports (fct_indicator_reports) {results['after_incremental']['reports']:>7,}")
        print(f"full `dbt {command[0]}`           {full:>10.1f} s")
        print(f"incremental `dbt {command[0]}`    {inc:>10.1f} s")
        print(f"ratio incremental/full     {results['ratio']:>12.3f}   (target <= 0.05)")
        cpu_full, cpu_inc = results["full"]["cpu_s"], results["incremental"]["cpu_s"]
        print(f"CPU s full / incremental   {cpu_full:>7.1f} / {cpu_inc:.1f} (ratio {cpu_inc / cpu_full:.3f})")
        print(f"load average at the end    {os.getloadavg()[0]:>10.1f}   on {os.cpu_count()} CPUs")
        peak = max(results["full"]["peak_rss_mb"], results["incremental"]["peak_rss_mb"])
        print(f"peak memory (max RSS)      {peak:>10.0f} MB (target < 4096 MB)")
        for phase in ("full", "incremental"):
            print(f"{phase:<12} seconds per layer: {results[phase]['layers_s']}")
        for phase in ("full", "incremental"):
            if not results[phase]["success"]:
                print(f"{phase} build FAILED: {results[phase]['failing']}")
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "warehouse.json").write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    finally:
        if not opts.keep and opts.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
