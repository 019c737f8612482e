"""``backend``: runs a test on both warehouse backends. The alert receivers (``inbox``: a real SMTP
server and a JSON webhook on loopback) are shared fixtures in tests/conftest.py."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(params=["duckdb", pytest.param("ducklake", marks=pytest.mark.slow)])
def backend(request: pytest.FixtureRequest, isolated_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The working warehouse on each backend: the DuckDB file, then a DuckLake (local catalog file
    and data path under the test's data dir; the PostgreSQL catalog is covered by
    tests/test_ducklake_backend.py). Gates and publisher read it through ``warehouse.db``; the
    published BI file is a plain DuckDB file either way."""
    from warehouse import backends

    monkeypatch.setenv("KEJIWATCH_BACKEND", request.param)
    monkeypatch.delenv("KEJIWATCH_DUCKLAKE_CATALOG", raising=False)
    monkeypatch.delenv("KEJIWATCH_DUCKLAKE_DATA_PATH", raising=False)
    backends._ENSURED.clear()  # a new lake per test: create its schema again
    return str(request.param)
