"""Fixtures shared by every test package. Each test gets its own warehouse files, so tests never
touch the developer's `warehouse/` folder and can run in any order."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

# The replay portals' fixtures (replay_server factory) come from the replay package itself.
if importlib.util.find_spec("replay.pytest_plugin") is not None:
    pytest_plugins = ["replay.pytest_plugin"]


@pytest.fixture
def isolated_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point every kejiwatch path at a fresh temporary data dir; yields that dir."""
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("KEJIWATCH_DATA_DIR", str(data))
    monkeypatch.setenv("KEJIWATCH_WAREHOUSE", str(data / "warehouse.duckdb"))
    monkeypatch.setenv("KEJIWATCH_MARTS", str(data / "marts.duckdb"))
    yield data
