"""A real `dbt build` (models and their tests) on a synthetic raw landing written by us, then
checks of what the marts say: extraction inside dbt, reposts not counted twice, reconciliation
of agreeing and conflicting reports of one grain, enterprise lists, regions kept visible."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import synthetic_landing as landing
from conftest import fresh_warehouse, land, one, rows

from warehouse import dbt

pytestmark = pytest.mark.timeout(900)  # generous: the machine is shared, dbt parse is slow


@pytest.fixture(scope="module")
def built(dbt_warehouse_path: Path) -> tuple[Path, dbt.DbtRun]:
    path = fresh_warehouse(dbt_warehouse_path)
    land(path, landing.FIRST_BATCH, with_attachment=True)
    return path, dbt.build(warehouse=path)


@pytest.fixture(scope="module")
def wh(built: tuple[Path, dbt.DbtRun]) -> Path:
    return built[0]


def fact_of(wh: Path, page: landing.Page, indicator: str, measure: str) -> str:
    """The grain the extractor gave one statement of a page (found, not assumed)."""
    return one(
        wh,
        "select fact_id from marts.fct_indicator_reports"
        " where page_version_id = ? and indicator_key = ? and measure = ?",
        [page.page_version_id, indicator, measure],
    )[0]


def test_build_runs_models_and_tests(built: tuple[Path, dbt.DbtRun]) -> None:
    _, run = built
    assert run.success, run.summary()
    assert run.failing_nodes == []
    assert run.statuses.get("pass", 0) >= 100  # data tests
    assert run.statuses.get("success", 0) >= 20  # seeds and models


def test_layers_land_in_their_schemas(wh: Path) -> None:
    found = {
        (schema, name)
        for schema, name in rows(wh, "select table_schema, table_name from information_schema.tables")
    }
    for expected in [
        ("staging", "stg_raw__pages"),
        ("intermediate", "int_page_extractions"),
        ("intermediate", "int_indicator_mentions"),
        ("marts", "fct_indicator_reports"),
        ("marts", "fct_contracts"),
        ("marts", "fct_enterprises"),
        ("marts", "fct_platforms"),
        ("marts", "dim_region"),
        ("marts", "dim_period"),
        ("marts", "dim_indicator"),
        ("marts", "dim_source"),
        ("marts", "dim_document"),
        ("marts", "indicator_yoy"),
        ("marts", "region_indicator_coverage"),
        ("raw", "indicator_vocabulary"),
    ]:
        assert expected in found
    assert not [s for s, _ in found if s.startswith("main_") or "_staging" in s or "_marts" in s]


def test_every_page_version_is_recorded_once(wh: Path) -> None:
    status = dict(
        rows(wh, "select page_version_id, extraction_status from intermediate.int_page_extractions")
    )
    assert len(status) == len(landing.FIRST_BATCH)
    assert status[landing.REPOST_2023.page_version_id] == "duplicate"
    assert status[landing.NO_FACTS.page_version_id] == "extracted"
    assert status[landing.YINGKOU_2023.page_version_id] == "extracted"
    n_facts = one(wh, "select n_facts from intermediate.int_page_extractions where page_version_id = ?",
                  [landing.YINGKOU_2023.page_version_id])[0]
    assert n_facts >= 3


def test_quotes_are_exact_spans_of_the_body_text(wh: Path) -> None:
    checked = rows(
        wh,
        "select m.quote, substr(p.body_text, m.quote_start + 1, m.quote_end - m.quote_start)"
        " from intermediate.int_indicator_mentions m join raw.pages p using (page_version_id)",
    )
    assert len(checked) >= 10
    assert all(quote == span for quote, span in checked)


def test_repost_is_not_counted_but_stays_traceable(wh: Path) -> None:
    assert rows(wh, "select 1 from marts.fct_indicator_reports where page_version_id = ?",
                [landing.REPOST_2023.page_version_id]) == []
    duplicate_of, is_duplicate = one(
        wh, "select duplicate_of, is_duplicate from marts.dim_document where page_version_id = ?",
        [landing.REPOST_2023.page_version_id],
    )
    assert duplicate_of == landing.YINGKOU_2023.page_version_id and is_duplicate


def test_agreeing_reports_within_rounding(wh: Path) -> None:
    """5.75亿 (bureau) and 5.8亿 (newspaper) agree once rounded; the bureau's value is chosen."""
    fact_id = fact_of(wh, landing.YINGKOU_2023, "tech_contract_turnover", "amount")
    assert fact_id == fact_of(wh, landing.NEWSPAPER_2023, "tech_contract_turnover", "amount")
    value, n_reports, n_sources, has_conflict, spread, portal, quote = one(
        wh,
        "select value, n_reports, n_sources, has_conflict, value_spread, chosen_portal_id, quote"
        " from marts.fct_contracts where fact_id = ?",
        [fact_id],
    )
    assert (n_reports, n_sources, has_conflict) == (2, 2, False)
    assert value == 575_000_000 and spread == pytest.approx(5_000_000)
    assert portal == "yingkou_kjj" and "5.75亿元" in quote


def test_identical_reports_agree(wh: Path) -> None:
    fact_id = fact_of(wh, landing.YINGKOU_2023, "high_tech", "total")
    n_reports, has_conflict, spread = one(
        wh, "select n_reports, has_conflict, value_spread from marts.fct_enterprises where fact_id = ?",
        [fact_id],
    )
    assert (n_reports, has_conflict, spread) == (2, False, 0)


def test_conflicting_reports_are_flagged(wh: Path) -> None:
    """254 (bureau) vs 260 (newspaper, published later): a conflict; the official figure wins."""
    bureau = one(wh, "select measure from marts.fct_indicator_reports where page_version_id = ?"
                 " and indicator_key = 'tech_sme'", [landing.YINGKOU_2023.page_version_id])[0]
    fact_id = fact_of(wh, landing.YINGKOU_2023, "tech_sme", bureau)
    value, n_reports, n_sources, has_conflict, spread, url = one(
        wh,
        "select value, n_reports, n_sources, has_conflict, value_spread, url"
        " from marts.fct_enterprises where fact_id = ?",
        [fact_id],
    )
    assert (n_reports, n_sources, has_conflict) == (2, 2, True)
    assert value == 254 and spread == 6
    assert url == landing.YINGKOU_2023.url


def test_enterprise_lists_are_counted_with_their_source(wh: Path) -> None:
    found = {
        (indicator, kind): (value, level)
        for indicator, kind, value, level in rows(
            wh,
            "select indicator_key, evidence_kind, value, level from marts.fct_indicator_reports"
            " where evidence_kind <> 'text'",
        )
    }
    assert found[("gazelle", "page_table")] == (3, "provincial")  # 3 named rows, 1 blank
    assert found[("chuying", "attachment_table")] == (2, "provincial")


def test_regions_beyond_the_seed_stay_visible(wh: Path) -> None:
    zone = one(wh, "select region_level, parent_code, is_resolved from marts.dim_region"
               " where region_key = 'zone:营口临港新区'")
    assert zone == ("zone", "210800", True)
    unresolved = one(wh, "select region_level, is_resolved from marts.dim_region"
                     " where region_key = 'unresolved:东海新城'")
    assert unresolved == ("unresolved", False)
    expected = [(landing.ZONE_2023, "zone:营口临港新区"), (landing.UNRESOLVED_2023, "unresolved:东海新城")]
    for page, key in expected:
        assert rows(wh, "select 1 from marts.fct_enterprises f join marts.fct_indicator_reports r"
                    " on f.fact_id = r.fact_id where r.page_version_id = ? and f.region_key = ?",
                    [page.page_version_id, key])
    n_seed = one(wh, "select count(*) from marts.dim_region where resolution = 'seed'")[0]
    assert n_seed > 3000  # every province, city and county of China


def test_periods_and_series(wh: Path) -> None:
    grains = dict(rows(wh, "select period_key, period_grain from marts.dim_period"))
    assert grains and all(g in {"year", "half_year", "quarter", "month", "as_of_date", "unknown"}
                          for g in grains.values())
    for key, grain in grains.items():
        if grain == "year":
            start, end, kind = one(wh, "select start_date, end_date, period_type from marts.dim_period"
                                   " where period_key = ?", [key])
            assert (start.isoformat(), end.isoformat(), kind) == (f"{key}-01-01", f"{key}-12-31", "flow")
    # The 2022 and 2023 reports of the same bureau line up year over year when their grains do.
    series = rows(wh, "select value, previous_value, yoy_change_pct from marts.indicator_yoy"
                  " where previous_value is not null")
    for value, previous, pct in series:
        assert pct == pytest.approx(round(100 * (value - previous) / abs(previous), 2))


def test_coverage_matrix_counts_reports(wh: Path) -> None:
    total = one(wh, "select sum(n_reports) from marts.region_indicator_coverage")[0]
    current = one(wh, "select count(*) from marts.fct_indicator_reports where not is_superseded")[0]
    assert total == current > 0


@pytest.mark.slow
def test_docs_generate_writes_the_lineage_site(wh: Path) -> None:
    run = dbt.docs_generate(warehouse=wh)
    assert run.success, run.summary()
    target = dbt.target_dir(wh)
    assert (target / "index.html").stat().st_size > 10_000
    catalog = (target / "catalog.json").read_text(encoding="utf-8")
    assert "fct_contracts" in catalog and "int_page_extractions" in catalog


def test_one_span_with_two_periods_gives_two_mentions(wh: Path) -> None:
    found = rows(
        wh,
        "select period_key, value from intermediate.int_indicator_mentions"
        " where page_version_id = ? and indicator_key = 'innovation_platform' order by period_key",
        [landing.LIAONING_PLATFORMS.page_version_id],
    )
    assert [(p, v) for p, v in found] == [("2022", 34), ("2023H1", 40)]


def test_build_writes_run_results_but_not_the_manifest(wh: Path) -> None:
    """warehouse.dbt skips dbt's manifest.json on builds (nobody here reads it; it costs about
    1 s per invocation) but still writes run_results.json, which `kejiwatch status` reads."""
    target = dbt.target_dir(wh)
    manifest = target / "manifest.json"
    manifest_before = manifest.stat().st_mtime_ns if manifest.exists() else None
    run = dbt.run_dbt(["run", "--select", "dim_period"], warehouse=wh)
    assert run.success, run.summary()
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))
    assert [r["unique_id"] for r in results["results"]] == ["model.kejiwatch.dim_period"]
    assert (manifest.stat().st_mtime_ns if manifest.exists() else None) == manifest_before
    assert run.args == ["run", "--select", "dim_period"]  # the caller's args stay as given
