"""Benchmark: the quality gate and the publication on a large synthetic batch.

usage: python -m bench.gate [--pages 5000] [--bad-share 0.01] [--publications 5]

Builds a working warehouse with ``--pages`` pages (two statements each, so 2 x pages mentions,
``--bad-share`` of them with an absurd value that the facts gate must quarantine), then times:
the facts gate (GX import excluded, reported separately), the marts build stand-in, the marts
gate, one publication and ``--publications`` re-publications (identical contents). Figures go to
stdout as BENCH lines (bench/_protocol.py). Asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._protocol import emit  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=5000)
    ap.add_argument("--bad-share", type=float, default=0.01)
    ap.add_argument("--publications", type=int, default=5)
    args = ap.parse_args()

    data = Path(tempfile.mkdtemp(prefix="kw-bench-gate-"))
    os.environ["KEJIWATCH_DATA_DIR"] = str(data)
    os.environ.pop("KEJIWATCH_WAREHOUSE", None)
    os.environ.pop("KEJIWATCH_MARTS", None)

    from expectations import sample_warehouse as sw

    pages = [
        sw.Page(
            f"p{i:07d}",
            "yk_kjj" if i % 2 else "ln_kjt",
            datetime(2025, 1 + i % 12, 1 + i % 28, 9),
            f"{2024}年，全市新增科技型中小企业{100 + i % 900}家，技术合同成交额达到{1 + i % 50}.5亿元。",
            f"t{i}",
        )
        for i in range(args.pages)
    ]
    mentions = []
    n_bad = int(args.pages * 2 * args.bad_share)
    for i, p in enumerate(pages):
        count = 100 + i % 900
        money = (1 + i % 50) + 0.5
        mentions.append(
            sw.Mention(
                p,
                f"新增科技型中小企业{count}家",
                "enterprise",
                "tech_sme",
                "new",
                count if i >= n_bad else 9.9e12,
                "count",
                "2024",
                "210800",
                "营口市",
            )
        )
        mentions.append(
            sw.Mention(
                p,
                f"技术合同成交额达到{1 + i % 50}.5亿元",
                "contract",
                "tech_contract_turnover",
                "amount",
                money * 1e8,
                "yuan",
                "2024",
                "210800",
                "营口市",
            )
        )
    t = time.perf_counter()
    sw.build(data / "warehouse.duckdb", pages, mentions)
    emit("build_s", round(time.perf_counter() - t, 2), "s", note=f"{len(mentions)} mentions")

    t = time.perf_counter()
    import great_expectations  # noqa: F401

    emit("gx_import_s", round(time.perf_counter() - t, 2), "s")
    from expectations.gate import run_facts_gate, run_marts_gate
    from warehouse import db
    from warehouse.publish import publish

    t = time.perf_counter()
    facts = run_facts_gate()
    dt = time.perf_counter() - t
    emit("facts_gate_s", round(dt, 2), "s", target="<= 60", note=f"{len(mentions)} mentions")
    emit("facts_gate_mentions_per_s", round(len(mentions) / dt), "mentions/s")
    emit("facts_quarantined", facts.counts.get("quarantined", 0), "rows", target=f"== {n_bad}")
    emit("facts_gate_passed", facts.success)

    t = time.perf_counter()
    with db.connect() as con:
        sw.rebuild_marts(con)
    emit("marts_rebuild_s", round(time.perf_counter() - t, 2), "s")

    t = time.perf_counter()
    marts = run_marts_gate()
    emit("marts_gate_s", round(time.perf_counter() - t, 2), "s", target="<= 30")

    t = time.perf_counter()
    pub = publish([facts, marts])
    emit(
        "publish_s",
        round(time.perf_counter() - t, 2),
        "s",
        target="<= 10",
        note=f"{sum(pub.row_counts.values())} rows, {pub.bytes / 1e6:.1f} MB",
    )
    times = []
    for _ in range(args.publications):
        t = time.perf_counter()
        publish([facts, marts])
        times.append(time.perf_counter() - t)
    if times:
        emit("republish_median_s", round(sorted(times)[len(times) // 2], 3), "s", target="<= 10")


if __name__ == "__main__":
    main()
