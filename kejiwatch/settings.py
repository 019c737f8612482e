"""Where kejiwatch keeps its files. Every path can be overridden from the environment,
so tests, Airflow workers and the CLI agree on one warehouse without passing paths around."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _path(env: str, default: Path) -> Path:
    value = os.environ.get(env)
    return Path(value).expanduser().resolve() if value else default


def data_dir() -> Path:
    """Folder for the DuckDB files, spool and reports (git-ignored)."""
    return _path("KEJIWATCH_DATA_DIR", PROJECT_ROOT / "warehouse")


def warehouse_path() -> Path:
    """The single-writer working database: raw, staging, intermediate and marts schemas."""
    return _path("KEJIWATCH_WAREHOUSE", data_dir() / "warehouse.duckdb")


def marts_path() -> Path:
    """The published file BI tools open read-only; replaced atomically on each publication."""
    return _path("KEJIWATCH_MARTS", data_dir() / "marts.duckdb")


def dbt_project_dir() -> Path:
    return PROJECT_ROOT / "dbt_project"


def portals_dir() -> Path:
    return _path("KEJIWATCH_PORTALS_DIR", PROJECT_ROOT / "scrapers" / "portals")
