"""Fixtures of the report and BI tests: a real dbt build (models only; the dbt engineer's tests
run the data tests) of a small landing written by us, published with the real publisher, shared
by the whole session because parsing the dbt project is the slow part."""

from __future__ import annotations

from pathlib import Path

import pytest

from expectations.result import GateResult
from tests.report import landing
from warehouse import db, dbt, publish


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working warehouse built the pipeline's way: staging and intermediate, then the absurd
    figure quarantined as the facts gate does (by its real mention_id), then the marts."""
    wh = tmp_path_factory.mktemp("report") / "warehouse.duckdb"
    with db.connect(wh) as con:
        landing.land(con)
    no_tests = "resource_type:test"
    run = dbt.build("staging intermediate", exclude=no_tests, warehouse=wh)
    assert run.success, run.summary()
    with db.connect(wh) as con:
        absurd = [r[0] for r in con.execute(
            "select mention_id from intermediate.int_indicator_mentions where page_version_id = ?",
            [landing.ABSURD.page_version_id]).fetchall()]
        assert absurd, "the extractor found no statement in the absurd page"
        for mention_id in absurd:
            landing.quarantine(con, landing.ABSURD, mention_id=mention_id,
                               reason="contract turnover above 10万亿元; found 9.8765e+12")
    run = dbt.build("marts", exclude=no_tests, with_seeds=False, warehouse=wh)
    assert run.success, run.summary()
    return wh


@pytest.fixture(scope="session")
def published_marts(built_warehouse: Path) -> Path:
    """The published BI file of that warehouse, written by warehouse.publish.publish."""
    target = built_warehouse.parent / "marts.duckdb"
    passed = [GateResult(gate=g, gate_run_id=f"{g}-fixture", success=True) for g in ("facts", "marts")]
    publish.publish(passed, warehouse=built_warehouse, target=target)
    return target
