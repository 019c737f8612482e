"""Fixtures of the dbt tests: one warehouse path for the whole session (dbt re-parses the
project from scratch whenever the profile's DuckDB path changes, so every module reuses the same
path and starts by deleting the file), and helpers to land the synthetic raw pages and query."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import synthetic_landing as landing

from warehouse import db


@pytest.fixture(scope="session")
def dbt_warehouse_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dbt") / "warehouse.duckdb"


def fresh_warehouse(path: Path) -> Path:
    """Delete the DuckDB file (and its WAL) so a module starts from an empty landing."""
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)
    return path


def land(path: Path, pages: list[landing.Page], *, with_attachment: bool = False) -> None:
    with db.connect(path) as con:
        landing.land_pages(con, pages)
        if with_attachment:
            landing.land_attachment_list(
                con, landing.LIAONING_LIST, "2023年度省级雏鹰企业名单.xlsx", "Sheet1", landing.ATTACHMENT_LIST
            )


def rows(path: Path, sql: str, params: list[Any] | None = None) -> list[tuple]:
    with db.connect(path, read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def one(path: Path, sql: str, params: list[Any] | None = None) -> tuple:
    found = rows(path, sql, params)
    assert len(found) == 1, f"expected one row, got {found}"
    return found[0]
