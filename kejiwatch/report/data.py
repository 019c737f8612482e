"""Everything the report shows, read from the PUBLISHED marts file only (read-only).

The report never opens the working warehouse: it reads the file BI tools read, so it shows
exactly what was published and can run while a pipeline holds the warehouse lock. Queries use the
core published tables (fct_*, dim_*, fct_indicator_reports, quarantined_mentions,
publication_manifest); a table missing from an older publication yields an empty section and a
note instead of an error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

FACT_TABLES = {"contract": "fct_contracts", "enterprise": "fct_enterprises", "platform": "fct_platforms"}
# Above this many facts the evidence section lists only chosen reports of conflicts and the latest
# values, so the HTML stays a size a browser opens quickly.
MAX_EVIDENCE = 5000
MAX_QUARANTINE = 1000


class MartsUnavailable(RuntimeError):
    """The published marts file is missing or unreadable."""


@dataclass
class Publication:
    publish_id: str | None = None
    published_at: Any = None
    code_version: str | None = None
    gate_outcome: str | None = None
    newest_document_at: Any = None
    storage_version: str | None = None
    row_counts: dict[str, int] = field(default_factory=dict)
    gate_runs: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ReportData:
    marts_path: Path
    publication: Publication
    facts: list[dict[str, Any]] = field(default_factory=list)  # every reconciled fact, labelled
    evidence: dict[str, dict[str, Any]] = field(default_factory=dict)  # report_id -> report row
    conflicts: list[dict[str, Any]] = field(default_factory=list)  # conflicting facts + their reports
    quarantined: list[dict[str, Any]] = field(default_factory=list)
    n_quarantined: int = 0
    missing_tables: list[str] = field(default_factory=list)
    evidence_truncated: bool = False

    @property
    def latest(self) -> list[dict[str, Any]]:
        """Latest fact per region × indicator × level × measure (newest end date, then longer period)."""
        best: dict[tuple, dict[str, Any]] = {}
        for f in self.facts:
            key = (f["region_key"], f["indicator_key"], f["level"], f["measure"])
            if key not in best or _recency(f) > _recency(best[key]):
                best[key] = f
        return sorted(best.values(), key=lambda f: (f["region_name"] or "", f["fact_family"],
                                                    f["indicator_key"], f["level"], f["measure"]))


def _recency(fact: dict[str, Any]) -> tuple:
    end = fact.get("period_end_date")
    start = fact.get("period_start_date")
    # Newest end date first; at the same end date the longer period (earlier start) wins.
    return (end is not None, end or "", -(start.toordinal() if start else 0), str(fact.get("published_at")))


# The columns each table must have for the report to use it (the published contract); a table
# without them is treated as missing and named in the report, instead of failing the render.
REQUIRED_COLUMNS = {
    **{t: {"fact_id", "region_key", "period_key", "indicator_key", "level", "measure", "value", "unit",
           "qualifier", "n_reports", "n_sources", "has_conflict", "value_spread", "min_value", "max_value",
           "chosen_report_id", "chosen_portal_id", "quote", "url", "page_title", "published_at", "fetched_at"}
       for t in FACT_TABLES.values()},
    "fct_indicator_reports": {"report_id", "fact_id", "indicator_key", "region_key", "period_key",
                              "level", "measure", "value", "unit", "qualifier", "region_name",
                              "evidence_kind", "quote", "url", "page_title", "portal_id", "publisher_type",
                              "is_official_publisher", "is_superseded", "published_at", "fetched_at"},
    "dim_indicator": {"indicator_key", "indicator_name_zh"},
    "dim_region": {"region_key", "region_name", "region_level"},
    "dim_period": {"period_key", "period_grain", "start_date", "end_date"},
    "dim_source": {"portal_id", "portal_name"},
    "dim_document": {"page_version_id", "url", "title", "portal_id", "fetched_at"},
    "quarantined_mentions": {"mention_id", "page_version_id", "expectation", "reason", "severity",
                             "gate_run_id", "quarantined_at"},
    "publication_manifest": {"publish_id", "published_at", "table_name", "row_count"},
}


def _tables(con: duckdb.DuckDBPyConnection) -> tuple[set[str], list[str]]:
    """The usable tables of the file, and the tables present without the columns the report needs."""
    columns: dict[str, set[str]] = {}
    for table, column in con.execute(
        "select table_name, column_name from information_schema.columns where table_schema = 'main'"
    ).fetchall():
        columns.setdefault(table, set()).add(column)
    unusable = sorted(t for t, need in REQUIRED_COLUMNS.items() if t in columns and not need <= columns[t])
    return set(columns) - set(unusable), unusable


def _dicts(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or [])
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def _publication(con: duckdb.DuckDBPyConnection, tables: set[str]) -> Publication:
    if "publication_manifest" not in tables:
        return Publication()
    rows = _dicts(con, "select * from publication_manifest order by table_name")
    if not rows:
        return Publication()
    first = rows[0]
    gate_runs = first.get("gate_runs")
    try:
        gate_runs = json.loads(gate_runs) if isinstance(gate_runs, str) else (gate_runs or [])
    except ValueError:
        gate_runs = []
    return Publication(
        publish_id=first.get("publish_id"),
        published_at=first.get("published_at"),
        code_version=first.get("code_version"),
        gate_outcome=first.get("gate_outcome"),
        newest_document_at=first.get("newest_document_at"),
        storage_version=first.get("storage_version"),
        row_counts={r["table_name"]: int(r["row_count"]) for r in rows},
        gate_runs=gate_runs if isinstance(gate_runs, list) else [],
    )


def _facts_sql(tables: set[str]) -> str:
    parts = [
        f"select '{family}' as fact_family, * from main.{table}"
        for family, table in FACT_TABLES.items() if table in tables
    ]
    union = " union all by name ".join(parts)
    ind = "dim_indicator" in tables
    reg = "dim_region" in tables
    per = "dim_period" in tables
    src = "dim_source" in tables
    return f"""
        with facts as ({union})
        select
            facts.fact_id, facts.fact_family, facts.indicator_key, facts.region_key, facts.period_key,
            facts.level, facts.measure, facts.value, facts.unit, facts.qualifier,
            facts.n_reports, facts.n_sources, facts.has_conflict, facts.value_spread,
            facts.min_value, facts.max_value, facts.chosen_report_id, facts.chosen_portal_id,
            facts.quote, facts.url, facts.page_title, facts.published_at, facts.fetched_at,
            {"coalesce(i.indicator_name_zh, facts.indicator_key)" if ind else "facts.indicator_key"}
                as indicator_name_zh,
            {"coalesce(r.region_name, facts.region_key)" if reg else "facts.region_key"} as region_name,
            {"r.region_level" if reg else "null"} as region_level,
            {"p.period_grain" if per else "null"} as period_grain,
            {"p.start_date" if per else "null"} as period_start_date,
            {"p.end_date" if per else "null"} as period_end_date,
            {"coalesce(s.portal_name, facts.chosen_portal_id)" if src else "facts.chosen_portal_id"}
                as portal_name
        from facts
        {"left join main.dim_indicator i on facts.indicator_key = i.indicator_key" if ind else ""}
        {"left join main.dim_region r on facts.region_key = r.region_key" if reg else ""}
        {"left join main.dim_period p on facts.period_key = p.period_key" if per else ""}
        {"left join main.dim_source s on facts.chosen_portal_id = s.portal_id" if src else ""}
        order by facts.fact_family, facts.indicator_key, facts.level, facts.measure,
                 region_name, period_start_date nulls last, facts.period_key
    """


def _reports_sql(tables: set[str], where: str) -> str:
    src = "dim_source" in tables
    return f"""
        select rep.report_id, rep.fact_id, rep.indicator_key, rep.region_key, rep.period_key,
               rep.level, rep.measure, rep.value, rep.unit, rep.qualifier, rep.region_name,
               rep.evidence_kind, rep.quote, rep.url, rep.page_title, rep.portal_id,
               rep.publisher_type, rep.is_official_publisher, rep.published_at, rep.fetched_at,
               {"coalesce(s.portal_name, rep.portal_id)" if src else "rep.portal_id"} as portal_name
        from main.fct_indicator_reports rep
        {"left join main.dim_source s on rep.portal_id = s.portal_id" if src else ""}
        where {where}
        order by rep.fact_id, rep.is_official_publisher desc, rep.published_at desc nulls last,
                 rep.report_id
    """


def load(marts_path: Path) -> ReportData:
    """Read the published marts file (read-only) into the report's data."""
    marts_path = Path(marts_path)
    if not marts_path.exists():
        raise MartsUnavailable(f"{marts_path} does not exist: nothing has been published yet")
    try:
        con = duckdb.connect(str(marts_path), read_only=True)
    except duckdb.Error as exc:
        raise MartsUnavailable(f"cannot open {marts_path} read-only: {exc}") from exc
    try:
        tables, unusable = _tables(con)
        data = ReportData(marts_path=marts_path, publication=_publication(con, tables))
        expected = [*FACT_TABLES.values(), "fct_indicator_reports", "dim_indicator", "dim_region",
                    "dim_period", "dim_source", "quarantined_mentions", "publication_manifest"]
        data.missing_tables = [t if t not in unusable else f"{t} (columns missing)"
                               for t in expected if t not in tables]
        if any(t in tables for t in FACT_TABLES.values()):
            data.facts = _dicts(con, _facts_sql(tables))
        data.conflicts = [f for f in data.facts if f["has_conflict"]]
        for fact in data.conflicts:
            fact["reports"] = []
        if "fct_indicator_reports" in tables and data.facts:
            _load_evidence(con, tables, data)
        if "quarantined_mentions" in tables:
            _load_quarantine(con, tables, data)
        return data
    finally:
        con.close()


def _load_evidence(con: duckdb.DuckDBPyConnection, tables: set[str], data: ReportData) -> None:
    """Every chosen report, plus every current report of a conflicting fact (capped at MAX_EVIDENCE)."""
    facts = " union all ".join(
        f"select fact_id, chosen_report_id, has_conflict from main.{t}"
        for t in FACT_TABLES.values() if t in tables
    )
    rows = _dicts(con, _reports_sql(
        tables,
        f"rep.report_id in (select chosen_report_id from ({facts})) "
        f"or (rep.fact_id in (select fact_id from ({facts}) where has_conflict) and not rep.is_superseded)"))
    if len(rows) > MAX_EVIDENCE:
        keep = {f["chosen_report_id"] for f in data.conflicts} | {f["chosen_report_id"] for f in data.latest}
        conflict_facts = {f["fact_id"] for f in data.conflicts}
        rows = [r for r in rows if r["report_id"] in keep or r["fact_id"] in conflict_facts][:MAX_EVIDENCE]
        data.evidence_truncated = True
    data.evidence = {r["report_id"]: r for r in rows}
    by_fact: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_fact.setdefault(r["fact_id"], []).append(r)
    for fact in data.conflicts:
        fact["reports"] = by_fact.get(fact["fact_id"], [])


def _load_quarantine(con: duckdb.DuckDBPyConnection, tables: set[str], data: ReportData) -> None:
    doc = "dim_document" in tables
    data.n_quarantined = con.execute("select count(*) from main.quarantined_mentions").fetchone()[0]
    data.quarantined = _dicts(con, f"""
        select q.mention_id, q.page_version_id, q.expectation, q.reason, q.severity, q.gate_run_id,
               q.quarantined_at,
               {"d.url, d.title as page_title, d.portal_id, d.fetched_at" if doc else
                "null as url, null as page_title, null as portal_id, null as fetched_at"}
        from main.quarantined_mentions q
        {"left join main.dim_document d on q.page_version_id = d.page_version_id" if doc else ""}
        order by q.quarantined_at desc, q.mention_id, q.expectation
        limit {MAX_QUARANTINE}
    """)
