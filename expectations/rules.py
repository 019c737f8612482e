"""Thresholds and the small vocabulary the suites are written in.

A *rule* is a GX expectation plus three things GX does not model the way the gate needs them:
a stable name (alerts and the quarantine table cite it), the gate's severity (error blocks,
warning publishes and alerts; mapped onto GX's own ``severity`` so Data Docs show it too) and
whether its failing rows are quarantined instead of blocking the batch."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from expectations.result import Severity

THRESHOLDS_YAML = Path(__file__).with_name("thresholds.yaml")

# env var -> (section, key, type): knobs an operator may want to turn without editing the file
ENV_OVERRIDES: dict[str, tuple[str, str, type]] = {
    "KEJIWATCH_MAX_ROW_DROP": ("marts", "max_row_drop", float),
    "KEJIWATCH_FRESHNESS_MAX_AGE_DAYS": ("marts", "freshness_max_age_days", float),
    "KEJIWATCH_MAX_QUARANTINE_SHARE": ("facts", "max_quarantine_share", float),
}


@lru_cache(maxsize=4)
def _read(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def thresholds(path: Path | None = None, **overrides: Any) -> dict[str, Any]:
    """The thresholds file with env overrides and then explicit ``section__key=value`` overrides."""
    data = {section: dict(values) for section, values in _read(path or THRESHOLDS_YAML).items()}
    for env, (section, key, cast) in ENV_OVERRIDES.items():
        if os.environ.get(env):
            data[section][key] = cast(os.environ[env])
    for name, value in overrides.items():
        section, key = name.split("__", 1)
        data[section][key] = value
    return data


GX_SEVERITY = {"error": "critical", "warning": "warning"}


def rule(
    expectation: Any, *, name: str, severity: Severity, description: str, quarantine: bool = False
) -> Any:
    """Tag a GX expectation with the gate's name, severity and quarantine flag (kept in ``meta``
    so they survive in the suite JSON and the validation results)."""
    expectation.severity = GX_SEVERITY[severity]
    expectation.description = description
    expectation.meta = {
        **(expectation.meta or {}),
        "kejiwatch_rule": name,
        "kejiwatch_severity": severity,
        "kejiwatch_quarantine": quarantine,
    }
    return expectation
