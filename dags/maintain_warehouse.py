"""
### maintain_warehouse — weekly compaction of the warehouse

dbt builds the marts with DuckDB's row-group vacuum off (`dbt_project/profiles.yml`, and
`warehouse.db` for every other writer), because the vacuum made every increment rewrite ~120k
rows per table it touched. Each increment thus leaves small row groups and deleted rows behind.

- **compact** rewrites, one transaction per table, the dbt tables whose deleted rows (> 20 %)
  or extra row groups (> 8) passed the threshold (`warehouse.compact`), with their rows in the
  same order, and logs every table's layout before and after.
- It runs in the one-slot `kejiwatch_warehouse` pool and holds the warehouse file lock, so it
  never overlaps a build.
- On the DuckLake backend it runs DuckLake's maintenance instead: inlined rows flushed, adjacent
  small files merged, snapshots older than 7 days expired and the files only they referenced
  deleted (`warehouse.compact.maintain_lake`).
- By hand: `kejiwatch compact [--dry-run]`.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import dag, task
from kejiwatch_common.defaults import START_DATE, TAGS, WAREHOUSE_POOL, default_args


@dag(
    dag_id="maintain_warehouse",
    schedule="@weekly",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    tags=TAGS,
    doc_md=__doc__,
)
def maintain_warehouse() -> None:
    @task(pool=WAREHOUSE_POOL, doc_md="Rewrite the fragmented dbt tables of the warehouse file"
          " (on DuckLake: merge files, expire old snapshots).")
    def compact() -> dict[str, Any]:
        import dataclasses

        from warehouse import backends, db
        from warehouse import compact as compaction

        if backends.is_ducklake():
            with db.connect() as con:
                done = compaction.maintain_lake(con)
            print(done.line())
            return {"backend": "ducklake", **dataclasses.asdict(done)}
        results = compaction.compact()
        for result in results:
            print(result.line())
        return {
            "backend": "duckdb",
            "tables": len(results),
            "rewritten": [f"{r.before.schema}.{r.before.name}" for r in results if r.rewritten],
        }

    compact()


maintain_warehouse()
