"""Task defaults shared by kejiwatch's DAGs: retries with backoff, timeouts, pools, alerts."""

from __future__ import annotations

import importlib
import logging
from datetime import timedelta
from typing import Any

import pendulum

log = logging.getLogger(__name__)

CRAWL_POOL = "kejiwatch_crawl"
WAREHOUSE_POOL = "kejiwatch_warehouse"
START_DATE = pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai")
TAGS = ["kejiwatch"]


def failure_callbacks() -> list[Any]:
    """Task-failure notifiers from ``kejiwatch.alerts`` (the quality team's module), if present.

    ``kejiwatch.alerts.failure_callbacks()`` returns Airflow notifiers that resolve their channels
    when a failure happens; if the module is missing the DAGs still parse, without alerts.
    """
    try:
        alerts = importlib.import_module("kejiwatch.alerts")
    except ImportError:
        return []
    factory = getattr(alerts, "failure_callbacks", None)
    if factory is None:
        return []
    try:
        return list(factory())
    except Exception:  # an alert misconfiguration must not stop DAGs from parsing
        log.exception("kejiwatch.alerts could not build its notifiers; DAGs run without alerts")
        return []


def default_args(**overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "owner": "kejiwatch",
        "retries": 2,
        "retry_delay": timedelta(seconds=20),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=10),
        "execution_timeout": timedelta(minutes=30),
        "on_failure_callback": failure_callbacks(),
    }
    args.update(overrides)
    return args
