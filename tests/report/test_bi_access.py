"""BI access to a real publication: every example query of docs/bi.md through SQLAlchemy's
duckdb_engine read-only (the route Superset takes), the Chinese labels, and read-only-ness."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from kejiwatch import settings

DOC = settings.PROJECT_ROOT / "docs" / "bi.md"
BI_TABLES = ["bi_indicator_series", "bi_latest_values", "bi_coverage", "bi_column_labels"]


def doc_queries() -> list[str]:
    return re.findall(r"```sql\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


@pytest.fixture(scope="module")
def engine(published_marts: Path):
    eng = sa.create_engine(f"duckdb:///{published_marts}", connect_args={"read_only": True})
    yield eng
    eng.dispose()


def test_the_doc_has_example_queries() -> None:
    assert len(doc_queries()) >= 5


@pytest.mark.parametrize("index", range(len(doc_queries())))
def test_doc_query_runs_read_only(engine: sa.Engine, index: int) -> None:
    sql = doc_queries()[index]
    with engine.connect() as con:
        result = con.execute(sa.text(sql))
        columns = list(result.keys())
        rows = result.fetchall()
    assert columns and len(set(columns)) == len(columns)
    assert rows, f"example query {index} returned nothing on the fixture publication:\n{sql}"


def test_bi_tables_are_published_and_every_column_has_a_chinese_label(engine: sa.Engine) -> None:
    # Table names through SQLAlchemy's inspector (what a BI tool lists); columns from
    # information_schema, because column reflection with SQLAlchemy >= 2.0.45 and duckdb_engine
    # 0.17 fails on pg_catalog.pg_collation (Mause/duckdb_engine#1379; see docs/bi.md).
    tables = set(sa.inspect(engine).get_table_names(schema="main"))
    assert set(BI_TABLES) <= tables
    with engine.connect() as con:
        labels = {
            (t, c): lbl
            for t, c, lbl in con.execute(
                sa.text("select table_name, column_name, label_zh from bi_column_labels")
            ).fetchall()
        }
        columns = con.execute(
            sa.text(
                "select table_name, column_name from information_schema.columns where table_schema = 'main'"
            )
        ).fetchall()
    assert {t for t, _ in columns} == tables
    missing = [
        f"{t}.{c}"
        for t, c in columns
        if t != "bi_column_labels" and not re.search(r"[\u4e00-\u9fff]", labels.get((t, c)) or "")
    ]
    assert missing == [], (
        f"published columns without a 中文标签: {missing}; give the column `meta: {{label_zh: ...}}` in "
        "its YAML or add its name to common_labels in dbt_project/models/marts/bi/_bi__models.yml"
    )


def test_series_matches_the_fact_tables(engine: sa.Engine) -> None:
    with engine.connect() as con:
        n_series = con.execute(sa.text("select count(*) from bi_indicator_series")).scalar_one()
        n_facts = con.execute(
            sa.text(
                "select (select count(*) from fct_contracts) + (select count(*) from fct_enterprises)"
                " + (select count(*) from fct_platforms)"
            )
        ).scalar_one()
        latest = con.execute(
            sa.text(
                "select latest_period_key, value_yi_yuan from bi_latest_values"
                " where region_name = '营口市' and indicator_key = 'tech_contract_turnover'"
                " and measure = 'amount'"
            )
        ).one()
    assert n_series == n_facts > 0
    assert latest == ("2023", pytest.approx(5.75))


def test_the_connection_cannot_write(engine: sa.Engine) -> None:
    with engine.connect() as con, pytest.raises(sa.exc.DBAPIError, match=r"(?i)read.only"):
        con.execute(sa.text("create table kw_probe (x integer)"))


def test_the_uri_form_docker_compose_uses_is_read_only_too(published_marts: Path, engine: sa.Engine) -> None:
    # DuckDB shares one database instance per file within a process, and refuses a second
    # configuration while connections of the first are open: close the pooled ones first.
    engine.dispose()
    eng = sa.create_engine(f"duckdb:///{published_marts}?access_mode=read_only")
    try:
        with eng.connect() as con:
            assert con.execute(sa.text("select count(*) from bi_latest_values")).scalar_one() > 0
            with pytest.raises(sa.exc.DBAPIError, match=r"(?i)read.only"):
                con.execute(sa.text("create table kw_probe (x integer)"))
    finally:
        eng.dispose()
