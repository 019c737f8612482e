"""build_marts hands the landing gate's findings to the publication as advisory: a landing warning
reaches the alert and the publication summary, and the marts are still published.

The real DAG runs through Airflow's dag.test() with the real gates (Great Expectations), the real
publisher and a real webhook receiver; only the dbt tasks are marked successful instead of run,
because the small sample warehouse already holds the marts they would build (that is what
`expectations.sample_warehouse` is for) and running dbt here would add minutes and test nothing
about the hand-over."""

from __future__ import annotations

import pytest

from kejiwatch import airflow_env, settings

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def test_landing_warning_is_alerted_and_published_not_blocked(inbox, monkeypatch) -> None:
    from expectations import sample_warehouse as sw
    from warehouse.publish import read_manifest

    # one failed fetch beside yk_kjj's two pages: a third of its fetches failed, above the
    # warning threshold (0.2) and below "down" (0.5): a landing warning, not an error
    sw.build(settings.warehouse_path(), fetch_errors={"yk_kjj": 1})
    monkeypatch.setenv("KEJIWATCH_DBT_TASKS", "layers")
    airflow_env.migrate_db()
    from airflow.dag_processing.dagbag import BundleDagBag

    bag = BundleDagBag(dag_folder=str(airflow_env.DAGS_FOLDER), bundle_path=airflow_env.DAGS_FOLDER)
    assert not bag.import_errors, bag.import_errors
    dag = bag.dags["build_marts"]

    run = dag.test(mark_success_pattern=r"(transform|marts)\..+")

    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        states = {
            ti.task_id: str(getattr(ti.state, "value", ti.state))
            for ti in run.get_task_instances(session=session)
        }
        xcoms = {
            row.task_id: XComModel.deserialize_value(row)
            for row in session.scalars(
                XComModel.get_many(run_id=run.run_id, dag_ids=dag.dag_id, key="return_value")
            ).all()
        }
    assert str(getattr(run.state, "value", run.state)) == "success", states
    landing = xcoms["landing_gate"]
    assert [w["expectation"] for w in landing["warnings"]] == ["landing.portal_fetch_error_rate"]

    # published despite the warning, and the publication summary names it
    publication = xcoms["publish"]
    assert publication["advisory_warnings"] == ["landing.portal_fetch_error_rate"]
    manifest = read_manifest()
    assert manifest and {r["publish_id"] for r in manifest} == {publication["publish_id"]}

    # the alert: one warning message naming the landing expectation and the portal
    warnings = [h for h in inbox.hooks if h["kejiwatch"]["event"] == "warning"]
    assert len(warnings) == 1, inbox.hooks
    assert "landing.portal_fetch_error_rate" in warnings[0]["text"]
    assert "yk_kjj" in warnings[0]["kejiwatch"]["portals"]
    assert warnings[0]["kejiwatch"]["publish_id"] == publication["publish_id"]
