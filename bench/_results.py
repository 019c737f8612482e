"""Where a benchmark leaves its detailed figures: ``bench/results/<name>.json``. The ``BENCH`` lines
on stdout (``bench/_protocol.py``) are what ``make bench`` judges; this file keeps the details."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def write_results(name: str, results: dict[str, Any]) -> Path:
    out = RESULTS / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written {out.relative_to(ROOT)}")
    return out
