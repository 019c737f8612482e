"""The output convention between a benchmark script and ``python -m bench`` (``make bench``).

A benchmark is any ``bench/<name>.py`` (names starting with ``_`` are helpers) that runs as
``python -m bench.<name>`` from the project root and prints whatever it likes for humans, plus
ONE LINE PER FIGURE of the form

    BENCH {"metric": "incremental_over_full", "value": 0.031, "unit": "ratio", "target": "<= 0.05"}

i.e. the word ``BENCH``, one space, a JSON object on the same line. Keys:

- ``metric`` (required): a stable snake_case name, unique within the script;
- ``value`` (required): a number (or a string/bool when a figure is not numeric);
- ``unit``: "s", "MB", "pages/s", "ratio", ...;
- ``target``: the goal as text: "<= 0.05", ">= 2.0", "< 4096", "== 0"; the runner checks numeric
  targets of that form and marks the figure met / missed;
- ``note``: a few words shown in the summary.

Use :func:`emit` to print them. The runner adds ``wall_s`` and ``peak_rss_mb`` for every script
itself, and treats a non-zero exit code as a failed benchmark. A bench should assert nothing.
"""

from __future__ import annotations

import json
import math
import operator
import re
import sys
from typing import Any

PREFIX = "BENCH "
_TARGET = re.compile(r"^\s*(<=|>=|==|<|>|≤|≥)\s*(-?[0-9][0-9_,.]*(?:e-?\d+)?)\s*$", re.I)
_OPS = {"<=": operator.le, ">=": operator.ge, "==": operator.eq, "<": operator.lt, ">": operator.gt,
        "≤": operator.le, "≥": operator.ge}


def emit(metric: str, value: Any, unit: str | None = None, target: str | None = None,
         note: str | None = None, **extra: Any) -> None:
    """Print one figure in the runner's format (flushed, so a crash later does not lose it)."""
    record: dict[str, Any] = {"metric": metric, "value": value}
    if unit:
        record["unit"] = unit
    if target:
        record["target"] = target
    if note:
        record["note"] = note
    record.update(extra)
    sys.stdout.write(PREFIX + json.dumps(record, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def parse_line(line: str) -> dict[str, Any] | None:
    """The figure on a ``BENCH {...}`` line, or None for any other line (or a malformed one)."""
    if not line.startswith(PREFIX):
        return None
    try:
        record = json.loads(line[len(PREFIX):])
    except ValueError:
        return None
    if not isinstance(record, dict) or "metric" not in record or "value" not in record:
        return None
    return record


def target_met(value: Any, target: str | None) -> bool | None:
    """True/False when ``target`` is a numeric comparison ("<= 0.05"), None when it cannot tell."""
    if not target or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    m = _TARGET.match(str(target))
    if not m or (isinstance(value, float) and math.isnan(value)):
        return None
    bound = float(m.group(2).replace("_", "").replace(",", ""))
    return bool(_OPS[m.group(1)](value, bound))
