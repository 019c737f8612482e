"""Benchmark: the dbt warehouse build on a synthetic raw landing of many page versions.

usage: python -m bench.warehouse [--pages 100000] [--new-pages 1000] [--increments 3] [--workdir DIR] [--keep]
       [--no-build-pair] | --incremental-only RESULTS_JSON --workdir DIR [--with-tests]

Lands ``--pages`` synthetic page versions (county and city bureaus of the GB/T seed, each page
carrying about ten indicator statements, 1 % verbatim reposts marked duplicate_of, 5 % pages
without figures) straight into raw.pages with SQL, loads the seeds, then times two pairs, each
pair with the SAME dbt command for the full and the incremental build:

* ``dbt run`` (models only): the full run on the landing, then ``--increments`` incremental
  runs in a row, each after ``--new-pages`` more page versions; the median one is compared (the
  first increment after a full build finds freshly written tables, the later ones the layout
  increments leave behind, which is what a running pipeline sees);
  Then one more incremental run with no new page, which splits the increment into what any
  dbt invocation costs on this warehouse and what the new pages add;
* ``dbt build`` (models and all their data tests): the incremental build after ``--new-pages``
  more, then the full build as ``dbt build --full-refresh`` (everything rebuilt from raw, on
  the landing plus the two increments). The row counts it gives are compared with the
  incremental result's.

Extraction runs inside dbt (int_page_extractions), so a full build runs the extractor once per
page. Prints each time, the ratios incremental/full (target <= 0.05) and the peak memory (max
RSS) of each build process (target < 4 GB). Each phase runs in its own process so its peak
memory is its own. Times are of the dbt invocation with dbt already imported in that process:
importing dbt costs the same for both builds of a pair and is printed apart (here it is several
seconds because the environment sets PYTHONDONTWRITEBYTECODE and .venv holds no .pyc files);
the ratios including it are printed too. Figures go to bench/results/warehouse.json and as
BENCH lines (bench/_protocol.py). Asserts nothing.
"""

from __future__ import annotations

import argparse
import importlib
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

from bench._protocol import emit  # noqa: E402

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

    # dbt's own import (seconds without .pyc files) is the same for every build: timed apart.
    began = time.perf_counter()
    importlib.import_module("dbt.cli.main")

    import_s = time.perf_counter() - began
    began, cpu_began = time.perf_counter(), _cpu_s()
    run = dbt.run_dbt(args, warehouse=Path(warehouse))
    elapsed, cpu = time.perf_counter() - began, _cpu_s() - cpu_began
    return {
        "args": args,
        "success": run.success,
        "statuses": run.statuses,
        "failing": [f"{n.unique_id}: {n.message}" for n in run.failing_nodes][:10],
        "elapsed_s": elapsed,
        "import_s": import_s,
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


def pair(label: str, full: dict, inc: dict) -> dict:
    """One pair's figures: the ratio of the dbt invocations, and with dbt's import included."""
    ratio = inc["elapsed_s"] / full["elapsed_s"]
    with_import = (inc["elapsed_s"] + inc["import_s"]) / (full["elapsed_s"] + full["import_s"])
    command, inc_command = " ".join(full["args"]), " ".join(inc["args"])
    print(f"full        `dbt {command}`  {full['elapsed_s']:>8.1f} s  (CPU {full['cpu_s']:.1f} s)")
    print(f"incremental `dbt {inc_command}`  {inc['elapsed_s']:>8.1f} s  (CPU {inc['cpu_s']:.1f} s)")
    print(f"ratio {label:<5} incremental/full {ratio:>17.3f}   (target <= 0.05);"
          f" {with_import:.3f} with dbt's import ({full['import_s']:.1f} / {inc['import_s']:.1f} s)")
    emit(f"{label}_incremental_over_full", round(ratio, 4), "ratio", "<= 0.05",
         note=f"dbt {inc_command} / dbt {command}: {inc['elapsed_s']:.1f} s / {full['elapsed_s']:.1f} s")
    emit(f"{label}_incremental_s", round(inc["elapsed_s"], 2), "s")
    emit(f"{label}_full_s", round(full["elapsed_s"], 2), "s")
    return {"ratio": ratio, "ratio_with_import": with_import}


def fixed_and_marginal(full: dict, noop: dict, inc: dict, new_pages: int) -> dict:
    """Split the incremental run into what any invocation costs (the run with no new page) and
    what the new pages add, each as a share of the full run."""
    fixed = noop["elapsed_s"] / full["elapsed_s"]
    marginal_s = inc["elapsed_s"] - noop["elapsed_s"]
    marginal = marginal_s / full["elapsed_s"]
    print(f"of which any invocation costs {noop['elapsed_s']:.1f} s (no new page) = {fixed:.3f} of the"
          f" full run; the {new_pages:,} pages add {marginal_s:.1f} s = {marginal:.3f}")
    emit("run_noop_s", round(noop["elapsed_s"], 2), "s", note="incremental dbt run with no new page")
    emit("run_noop_over_full", round(fixed, 4), "ratio")
    emit("run_new_pages_over_full", round(marginal, 4), "ratio",
         note=f"(incremental - no-op) / full, {new_pages} new pages")
    return {"noop_over_full": fixed, "new_pages_s": marginal_s, "new_pages_over_full": marginal}


def incremental_only(opts: argparse.Namespace) -> None:
    """Land --new-pages more into --workdir's built warehouse and time the incremental `dbt run`
    (and `dbt build` with --with-tests) against the full builds recorded in RESULTS_JSON."""
    previous = json.loads(opts.incremental_only.read_text(encoding="utf-8"))
    warehouse = str(opts.workdir / "warehouse.duckdb")
    out: dict = {}
    for label, command in [("run", ["run"]), ("build", ["build"])][: 2 if opts.with_tests else 1]:
        before = in_child(counts, warehouse)
        in_child(land, warehouse, 1_000_000 + before["page_extractions"], opts.new_pages)
        inc = in_child(build, warehouse, command, f"incremental-only {label}")
        print(f"seconds per layer: {inc['layers_s']}; success={inc['success']} {inc['failing']}")
        out[label] = {"incremental": inc, **pair(label, previous[f"full_{label}"], inc)}
    print(f"load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "warehouse_incremental.json").write_text(json.dumps(out, indent=2), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=100_000)
    parser.add_argument("--new-pages", type=int, default=1_000)
    parser.add_argument("--increments", type=int, default=3,
                        help="incremental runs in a row, each after --new-pages more (median compared)")
    parser.add_argument("--workdir", type=Path, default=None, help="folder of the DuckDB file (default temp)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--no-build-pair", action="store_true",
                        help="time only the `dbt run` pair (skips the full `dbt build --full-refresh`)")
    parser.add_argument(
        "--incremental-only", type=Path, metavar="RESULTS_JSON",
        help="reuse --workdir's built warehouse: land --new-pages more and time only the incremental"
             " `dbt run` against the full one recorded in RESULTS_JSON (a previous run's results)",
    )
    parser.add_argument("--with-tests", action="store_true",
                        help="with --incremental-only: then land more and time `dbt build` too")
    opts = parser.parse_args()
    if opts.incremental_only:
        incremental_only(opts)
        return

    workdir = opts.workdir or Path(tempfile.mkdtemp(prefix="kejiwatch-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    warehouse = str(workdir / "warehouse.duckdb")
    results: dict = {"pages": opts.pages, "new_pages": opts.new_pages, "cpus": os.cpu_count(),
                     "load_average_at_start": os.getloadavg()[0]}
    try:
        results["land"] = in_child(land, warehouse, 0, opts.pages)
        print(f"landed {results['land']['pages_total']} page versions in {results['land']['land_s']:.1f}s",
              flush=True)
        in_child(build, warehouse, ["seed"], "seed")  # `dbt run` does not load the seeds
        results["full_run"] = in_child(build, warehouse, ["run"], "full")
        results["after_full_run"] = in_child(counts, warehouse)
        print(f"full run: {results['full_run']['elapsed_s']:.1f}s {results['full_run']['statuses']};"
              f" {results['after_full_run']}", flush=True)
        # Several increments in a row: the first one after a full build finds freshly written
        # tables, the later ones the layout that increments leave, which is the steady state.
        runs = []
        for k in range(opts.increments):
            in_child(land, warehouse, opts.pages + k * opts.new_pages, opts.new_pages)
            runs.append(in_child(build, warehouse, ["run"], f"incremental {k + 1}"))
            print(f"incremental run {k + 1}/{opts.increments}: {runs[-1]['elapsed_s']:.1f}s"
                  f" {runs[-1]['statuses']} {runs[-1]['layers_s']}", flush=True)
        results["incremental_runs_s"] = [round(r["elapsed_s"], 2) for r in runs]
        results["incremental_run"] = sorted(runs, key=lambda r: r["elapsed_s"])[len(runs) // 2]
        results["after_incremental_run"] = in_child(counts, warehouse)
        # The same command with nothing new: what any incremental invocation costs on this
        # warehouse (dbt's start, its per-node work, the SQL that finds nothing to do).
        results["noop_run"] = in_child(build, warehouse, ["run"], "no new pages")
        print(f"incremental run with no new page: {results['noop_run']['elapsed_s']:.1f}s"
              f" {results['noop_run']['layers_s']}", flush=True)
        phases = ["full_run", "incremental_run", "noop_run"]
        if not opts.no_build_pair:
            offset = opts.pages + opts.increments * opts.new_pages
            results["land_new_2"] = in_child(land, warehouse, offset, opts.new_pages)
            results["incremental_build"] = in_child(build, warehouse, ["build"], "incremental build")
            results["after_incremental_build"] = in_child(counts, warehouse)
            results["full_build"] = in_child(build, warehouse, ["build", "--full-refresh"], "full build")
            results["after_full_build"] = in_child(counts, warehouse)
            phases += ["incremental_build", "full_build"]
        print()
        print(f"pages (page versions)      {results['after_incremental_run']['page_extractions']:>12,}")
        print(f"reports (fct_indicator_reports) {results['after_incremental_run']['reports']:>7,}")
        print(f"incremental runs, {opts.new_pages:,} new pages each: {results['incremental_runs_s']} s;"
              " the median is compared")
        results["run"] = pair("run", results["full_run"], results["incremental_run"])
        results["run_split"] = fixed_and_marginal(results["full_run"], results["noop_run"],
                                                  results["incremental_run"], opts.new_pages)
        if not opts.no_build_pair:
            results["build"] = pair("build", results["full_build"], results["incremental_build"])
            same = {k: v for k, v in results["after_full_build"].items() if k != "file_mb"} == {
                k: v for k, v in results["after_incremental_build"].items() if k != "file_mb"}
            results["full_refresh_counts_equal_incremental"] = same
            print(f"full refresh gives the incremental result's row counts: {same}")
        results["load_average_at_end"] = os.getloadavg()[0]
        print(f"load average at start / end {results['load_average_at_start']:.1f} /"
              f" {results['load_average_at_end']:.1f} on {os.cpu_count()} CPUs")
        peak = max(results[p]["peak_rss_mb"] for p in phases)
        print(f"peak memory (max RSS)      {peak:>10.0f} MB (target < 4096 MB)")
        emit("peak_rss_mb", round(peak), "MB", "< 4096")
        for phase in phases:
            print(f"{phase:<18} seconds per layer: {results[phase]['layers_s']}")
            if not results[phase]["success"]:
                print(f"{phase} FAILED: {results[phase]['failing']}")
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "warehouse.json").write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    finally:
        if not opts.keep and opts.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
