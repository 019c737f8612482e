"""Helpers for the crawler tests: a fast fetch policy and crawls against the replay portals."""

from __future__ import annotations

from typing import Any

import pytest

from scrapers.fetch import FetchPolicy
from scrapers.registry import PortalConfig, load_portals
from warehouse.db import connect

# Politeness and patience scaled down so the fault scenarios run in seconds, not minutes:
# 100 req/s per host, a 2.5 s read timeout (the replay "timeout" fault waits 5 s), quick back-off.
FAST = FetchPolicy(
    rate=100, connect_timeout=2.0, read_timeout=2.5, attachment_read_timeout=20.0, retries=2,
    backoff_initial=0.05, backoff_max=0.2, jitter=0.05, max_retry_after=1.5,
)


def replay_portals(server: Any) -> dict[str, PortalConfig]:
    """The registry's portals that this replay server serves (the replay web grows over time)."""
    hosts = set(server.web.sites)
    return {k: v for k, v in load_portals().items() if set(v.allowed_hosts) & hosts}


def rows(sql: str, params: list[Any] | None = None) -> list[tuple]:
    with connect(read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


@pytest.fixture
def fast_policy() -> FetchPolicy:
    return FAST
