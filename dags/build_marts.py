"""
### build_marts — extract, model, gate and publish (write–audit–publish)

Scheduled on the **`kejiwatch://raw_pages`** asset (a crawl or an ad-hoc ingestion landed new
page versions), so it never runs for nothing; it can also be triggered by hand.

1. **landing_gate** — checks on the raw landing. Advisory: it never blocks; its failures and
   warnings travel to **publish**, which alerts them as warnings with the publication and lists
   them in its summary (`advisory_warnings`).
2. **transform** — the dbt seeds, staging and intermediate models, one task per dbt node
   rendered by astronomer-cosmos; `int_indicator_mentions` is where the extractor runs, so a
   failing model or test shows as its own red task. (With `KEJIWATCH_DBT_TASKS=layers`, one
   task per layer instead: faster, used by `kejiwatch run`.)
3. **facts_gate** — Great Expectations on the fact candidates: bad rows are quarantined
   (`audit.quarantined_mentions`), a blocking failure stops here and nothing is published.
4. **marts** — the dbt marts (they exclude quarantined mentions), again one task per node.
5. **marts_gate** — batch checks of the new marts against the last publication.
6. **publish** — copies the marts into a new file and swaps it atomically into the published
   path BI tools read; emits the **`kejiwatch://marts`** asset event with the manifest; alerts
   the facts/marts gates' warnings and the landing gate's advisory findings.

Every task that writes the warehouse runs in the one-slot `kejiwatch_warehouse` pool and holds
the warehouse file lock; failures alert through `kejiwatch.alerts`. Re-runs are idempotent:
dbt rebuilds the same tables from the same raw rows and publishing identical marts is a no-op
for readers.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

from airflow.sdk import dag, task
from kejiwatch_common.assets import MARTS, RAW_PAGES
from kejiwatch_common.dbt import dbt_tasks
from kejiwatch_common.defaults import START_DATE, TAGS, WAREHOUSE_POOL, default_args


def _jsonable(value: Any) -> Any:
    """Gate results and publications as plain JSON for XCom and asset extras."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    elif hasattr(value, "model_dump"):
        value = value.model_dump()
    elif hasattr(value, "_asdict"):
        value = value._asdict()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _gate(name: str, *, blocking: bool = True) -> dict[str, Any]:
    """Run one gate of ``expectations.gate``. A blocking failure alerts once per incident
    (``kejiwatch.alerts.raise_if_blocked``) and fails the task, so nothing downstream runs."""
    from expectations import gate

    result = getattr(gate, f"run_{name}")()
    print(result.summary())  # the gate's own one-screen report, in the task log
    if blocking:
        from kejiwatch import alerts

        alerts.raise_if_blocked([result])
    return _jsonable(result)


GATE_TASK = {"pool": WAREHOUSE_POOL, "retries": 0, "execution_timeout": timedelta(minutes=15)}


@dag(
    dag_id="build_marts",
    schedule=[RAW_PAGES],
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    doc_md=__doc__,
    tags=[*TAGS, "transform", "publish"],
)
def build_marts() -> None:
    @task(**GATE_TASK, doc_md="GX checks on the raw landing. Advisory: never blocks; what it finds is "
                              "alerted as warnings by `publish` and listed in the publication summary.")
    def landing_gate() -> dict[str, Any]:
        return _gate("landing_gate", blocking=False)

    transform = dbt_tasks(
        "transform",
        {"staging": ["path:seeds", "path:models/staging"], "extraction": ["path:models/intermediate"]},
        doc="dbt seeds, staging and intermediate models (extraction runs in int_indicator_mentions).",
    )

    @task(**GATE_TASK, doc_md="GX on fact candidates: bad rows quarantined; blocking failures stop it.")
    def facts_gate() -> dict[str, Any]:
        return _gate("facts_gate")

    marts = dbt_tasks(
        "marts",
        {"marts": ["path:models/marts"]},
        doc="dbt marts: facts per family and dimensions, excluding quarantined mentions.",
    )

    @task(**GATE_TASK, doc_md="GX batch checks of the new marts against the last publication.")
    def marts_gate() -> dict[str, Any]:
        return _gate("marts_gate")

    @task(
        pool=WAREHOUSE_POOL,
        outlets=[MARTS],
        doc_md="Atomically replace the published marts file and emit the `marts` asset event. The "
               "facts and marts gates must have passed; the landing gate's findings are advisory: "
               "alerted as warnings and listed as `advisory_warnings`, never blocking.",
    )
    def publish(
        landing: dict[str, Any], facts: dict[str, Any], marts_result: dict[str, Any]
    ) -> dict[str, Any]:
        from airflow.sdk import get_current_context

        from expectations.result import GateResult
        from warehouse.publish import publish_and_alert

        results = [GateResult.from_dict(facts), GateResult.from_dict(marts_result)]
        advisory = [GateResult.from_dict(landing)]
        publication = _jsonable(publish_and_alert(results, advisory_results=advisory))
        publication = publication if isinstance(publication, dict) else {"publication": publication}
        publication["advisory_warnings"] = sorted(
            {f.expectation for r in advisory for f in (*r.blocking, *r.warnings)}
        )
        get_current_context()["outlet_events"][MARTS].extra = {
            k: v for k, v in publication.items() if isinstance(v, str | int | float | bool)
        }
        return publication

    landing = landing_gate()
    facts = facts_gate()
    checked = marts_gate()
    landing >> transform >> facts >> marts >> checked
    publish(landing, facts, checked)


build_marts()
