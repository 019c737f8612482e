"""Benchmark: the crawler's incremental cost and its aggregate throughput under politeness.

1. Second run / first run against the eight replay portals at the politeness limit (1 request/s
   per host by default): wall time and bytes (target ≤ 0.1: a second run with nothing changed reads
   robots.txt and the first list page of each column, answered 304, and lands nothing).
2. Aggregate throughput with 20 synthetic replay hosts (``ReplayServer(extra_hosts=20)``), each
   crawled at 1 request/s: requests per second over the run (target ≥ 18, i.e. ≥ 90 % of 20).

usage: python -m bench.crawl [--rate R] [--repeat K] [--hosts N] [--skip-incremental] [--skip-throughput]
Prints figures and writes bench/results/crawl.json; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._results import write_results  # noqa: E402


def _isolate(tmp: str) -> None:
    os.environ["KEJIWATCH_DATA_DIR"] = tmp
    os.environ["KEJIWATCH_WAREHOUSE"] = str(Path(tmp) / "warehouse.duckdb")
    os.environ.pop("KEJIWATCH_CRAWL_RATE", None)  # the politeness limit is what we measure


def incremental(rate: float | None, repeat: int = 3) -> dict:
    """One first run, then ``repeat`` runs with nothing changed (each is "a second run"); the median
    of those is compared, so one run slowed by a busy machine does not decide the figure."""
    import statistics

    from replay.server import ReplayServer
    from scrapers.crawl import crawl
    from scrapers.fetch import FetchPolicy

    policy = FetchPolicy(rate=rate)
    out: dict = {"second_runs": []}
    with tempfile.TemporaryDirectory() as tmp, ReplayServer() as server:
        _isolate(tmp)
        for i in range(1 + repeat):
            t0 = time.perf_counter()
            s = crawl(proxy=server.proxy_url, policy=policy, trigger="bench")
            wall = time.perf_counter() - t0
            row = {"wall_s": round(wall, 2), "bytes": s.bytes, "requests": s.fetches,
                   "pages_landed": s.pages_landed, "outcome": s.outcome}
            if i == 0:
                out["first"] = row
            else:
                out["second_runs"].append(row)
            label = "first" if i == 0 else f"again{i}"
            print(f"  {label:6} run: {wall:7.2f} s  {s.fetches:5d} requests  {s.bytes:>10,d} bytes  "
                  f"{s.pages_landed:4d} pages landed  ({s.outcome})")
    walls = [r["wall_s"] for r in out["second_runs"]]
    out["second"] = dict(out["second_runs"][walls.index(statistics.median_low(walls))])
    out["wall_ratio"] = round(out["second"]["wall_s"] / out["first"]["wall_s"], 4)
    out["bytes_ratio"] = round(out["second"]["bytes"] / max(1, out["first"]["bytes"]), 4)
    print(f"  median nothing-changed run / first run: wall {out['wall_ratio']:.3f}, "
          f"bytes {out['bytes_ratio']:.4f}  (target ≤ 0.1)")
    return out


def bench_portals(server) -> dict:
    from scrapers.registry import PortalConfig

    portals = {}
    for host, site in server.web.sites.items():
        if not host.endswith(".fixture-bench.gov.cn"):
            continue
        portals[site.portal.id] = PortalConfig(
            id=site.portal.id, name=site.portal.site_name, publisher_type="city_bureau",
            start_urls=site.start_urls(), pagination={"kind": "trs_index"},
            article_url_pattern=r"/\d{6}/t\d{8}_\d+\.s?html$", rate_limit=1.0,
        )
    return portals


def throughput(hosts: int) -> dict:
    from replay.server import ReplayServer
    from scrapers.crawl import crawl
    from scrapers.fetch import FetchPolicy
    from warehouse.db import connect

    with tempfile.TemporaryDirectory() as tmp, ReplayServer(extra_hosts=hosts) as server:
        _isolate(tmp)
        portals = bench_portals(server)
        t0 = time.perf_counter()
        s = crawl(proxy=server.proxy_url, policy=FetchPolicy(), portals=portals, trigger="bench")
        wall = time.perf_counter() - t0
        with connect(read_only=True) as con:
            sql = "select min(requested_at), max(requested_at) from raw.fetches"
            first, last = con.execute(sql).fetchone()
    span = (last - first).total_seconds()
    out = {
        "hosts": len(portals), "requests": s.fetches, "pages_landed": s.pages_landed,
        "wall_s": round(wall, 2),
        "fetch_span_s": round(span, 2), "req_per_s_wall": round(s.fetches / wall, 2),
        "req_per_s_fetching": round(s.fetches / span, 2) if span else None, "outcome": s.outcome,
    }
    print(f"  {out['hosts']} hosts at 1 req/s: {s.fetches} requests, {s.pages_landed} pages landed")
    print(f"  wall {wall:.2f} s → {out['req_per_s_wall']:.2f} req/s over the whole run (landing included); "
          f"{out['req_per_s_fetching']} req/s between first and last request  (target ≥ {0.9 * hosts:.0f})")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=float, default=None, help="req/s per host for part 1 (default: 1)")
    ap.add_argument("--hosts", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3, help="nothing-changed runs after the first")
    ap.add_argument("--skip-incremental", action="store_true")
    ap.add_argument("--skip-throughput", action="store_true")
    args = ap.parse_args()
    import logging

    logging.basicConfig(level=logging.WARNING)
    results: dict = {}
    if not args.skip_incremental:
        print("1. incremental: second run vs first run (eight replay portals)")
        results["incremental"] = incremental(args.rate, args.repeat)
    if not args.skip_throughput:
        print(f"2. throughput: {args.hosts} replay hosts, 1 request/s each")
        results["throughput"] = throughput(args.hosts)
    write_results("crawl", results)


if __name__ == "__main__":
    main()
