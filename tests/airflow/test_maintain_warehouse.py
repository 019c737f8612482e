"""maintain_warehouse runs through Airflow's dag.test() and compacts the working warehouse: a mart
that increments fragmented (dbt runs without DuckDB's row-group vacuum) comes out rewritten, with
the same rows, and the task's XCom names it."""

from __future__ import annotations

import duckdb
import pytest

from kejiwatch import airflow_env, settings

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def test_the_weekly_dag_compacts_a_fragmented_mart(isolated_warehouse) -> None:
    from warehouse import compact, db

    path = settings.warehouse_path()
    with db.connect(path) as con:
        con.execute("create schema if not exists marts")
        con.execute("create table marts.fct_example as select i as id from range(200000) t(i)")
    con = duckdb.connect(str(path), config={"max_vacuum_tasks": 0})
    for i in range(compact.MAX_EXTRA_ROW_GROUPS + 3):  # one small row group per "increment"
        con.execute("delete from marts.fct_example where id % 50 = ?", [i])
        con.execute("insert into marts.fct_example select 1000000 + ? * 1000 + i from range(1000) t(i)", [i])
        con.execute("checkpoint")
    expected = sorted(r[0] for r in con.execute("select id from marts.fct_example").fetchall())
    con.close()

    airflow_env.migrate_db()
    from airflow.dag_processing.dagbag import BundleDagBag

    bag = BundleDagBag(dag_folder=str(airflow_env.DAGS_FOLDER), bundle_path=airflow_env.DAGS_FOLDER)
    assert not bag.import_errors, bag.import_errors
    dag = bag.dags["maintain_warehouse"]
    assert dag.get_task("compact").pool == "kejiwatch_warehouse"
    run = dag.test()

    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        row = session.scalars(
            XComModel.get_many(run_id=run.run_id, dag_ids=dag.dag_id, task_ids="compact", key="return_value")
        ).first()
        result = XComModel.deserialize_value(row)
    assert str(getattr(run.state, "value", run.state)) == "success"
    assert result["rewritten"] == ["marts.fct_example"]

    with duckdb.connect(str(path), read_only=True) as con:
        layout = compact.layout(con, "marts", "fct_example")
        ids = sorted(r[0] for r in con.execute("select id from marts.fct_example").fetchall())
    assert layout.extra_row_groups <= 2 and not layout.needs_compaction()
    assert ids == expected
