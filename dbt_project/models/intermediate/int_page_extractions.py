"""Extraction inside the dbt DAG: run ``indicators.extract`` once per page version.

One row per page version of ``stg_raw__pages`` (grain: page_version_id) with the extractor's
facts as a JSON array, so that pages with no facts and pages whose extraction failed are
recorded too: an incremental run then extracts exactly the page versions this table has not
seen (an anti-join on page_version_id), never history. ``int_indicator_mentions`` unnests the
array into one row per statement.

Pages that the crawler marked ``duplicate_of`` another page version are not extracted (a repost
must not be counted twice); they get a row with status ``duplicate`` so they stay traceable.
A page that makes the extractor raise gets status ``failed`` and the error text: bad input is
recorded, it never fails the build.

Every row of one run carries the same ``extracted_at``, later than any stored one, so the models
downstream take the page versions extracted since their own last run by that watermark instead
of comparing ids with the ~1M mentions they hold.
"""

from __future__ import annotations

import json
import os
import tempfile
import traceback
import types
from datetime import UTC, date, datetime, timedelta

# Pages are read and extracted in batches so memory stays flat on a large landing.
BATCH_SIZE = 2000

OUTPUT = "__kejiwatch_page_extractions"
COLUMNS = [
    ("page_version_id", "varchar"),
    ("portal_id", "varchar"),
    ("extraction_status", "varchar"),
    ("n_facts", "integer"),
    ("extraction_error", "varchar"),
    ("extractor_version", "varchar"),
    ("facts_json", "varchar"),
    ("extracted_at", "timestamp"),
]
NAMES = [name for name, _ in COLUMNS]


def _fact_record(fact) -> dict:
    """The extractor's Fact, renamed to the warehouse's column names."""
    return {
        "fact_family": fact.fact,
        "indicator_key": fact.indicator,
        "level": fact.level,
        "measure": fact.measure,
        "value": float(fact.value),
        "unit": fact.unit,
        "qualifier": fact.qualifier,
        "region_name": fact.region,
        "region_code": fact.region_code,
        "period_key": fact.period,
        "quote": fact.quote,
        "quote_start": int(fact.start),
        "quote_end": int(fact.end),
    }


def _published_date(value) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None


def _extract_page(row: tuple, extract, page_context_cls, version: str) -> tuple:
    (page_version_id, portal_id, duplicate_of, body_text, title, source_line, published_at,
     publisher_region) = row
    if duplicate_of:
        return (page_version_id, portal_id, "duplicate", 0, None, version, "[]")
    if not body_text:
        return (page_version_id, portal_id, "empty", 0, None, version, "[]")
    ctx = page_context_cls(
        doc=page_version_id,
        portal=portal_id,
        publisher_region=publisher_region,
        published=_published_date(published_at),
        title=title or "",
        source=source_line,
    )
    try:
        facts = [_fact_record(f) for f in extract(body_text, ctx)]
    except Exception as exc:  # one bad page must not stop the build; the error is kept
        error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return (page_version_id, portal_id, "failed", 0, error[:2000], version, "[]")
    return (page_version_id, portal_id, "extracted", len(facts), None, version,
            json.dumps(facts, ensure_ascii=False))


def _extract_callable(indicators_module):
    """``indicators.extract`` the function. Once the submodule ``indicators/extract.py`` has been
    imported, the package attribute of that name can be the submodule instead, so take the
    function from it in that case."""
    extract = indicators_module.extract
    if isinstance(extract, types.ModuleType):
        extract = extract.extract
    return extract


def _extractor_version(indicators_module) -> str:
    """indicators.__version__; KEJIWATCH_EXTRACTOR_VERSION overrides it (tests and benchmarks tag
    builds with it to tell which build extracted a page)."""
    version = os.environ.get("KEJIWATCH_EXTRACTOR_VERSION") or getattr(indicators_module, "__version__", None)
    return str(version or "unversioned")


def _run_stamp(session, this, incremental: bool) -> str:
    """This run's extracted_at: now (UTC), or just after the latest stored stamp should the clock
    be behind it, so a later run's stamp is always the greater one."""
    stamp = datetime.now(UTC).replace(tzinfo=None)
    # Looked up rather than tried: a failed statement would abort dbt's transaction. Literals,
    # not parameters: DuckDB imports pandas for a statement given Python parameters.
    has_column = incremental and session.execute(
        "select count(*) from duckdb_columns()"
        f" where database_name = '{this.database}' and schema_name = '{this.schema}'"
        f" and table_name = '{this.identifier}' and column_name = 'extracted_at'"
    ).fetchone()[0]
    if has_column:  # else a table built before the column existed: this run adds it
        latest = session.execute(f"select max(extracted_at) from {this}").fetchone()[0]
        if latest is not None and latest >= stamp:
            stamp = latest + timedelta(microseconds=1)
    return stamp.isoformat(sep=" ")


def model(dbt, session):
    dbt.config(materialized="incremental", unique_key="page_version_id", incremental_strategy="append",
               on_schema_change="append_new_columns")

    pages = dbt.ref("stg_raw__pages")
    portals = dbt.ref("stg_raw__portals")
    new_pages_filter = ""
    if dbt.is_incremental:
        new_pages_filter = f"where p.page_version_id not in (select t.page_version_id from {dbt.this} as t)"

    # The portal's region is the publisher's own region, which resolves 我市/全市 in the text.
    query = f"""
        select p.page_version_id, p.portal_id, p.duplicate_of, p.body_text, p.title, p.source_line,
               p.published_at, q.region_name
        from ({pages.sql_query()}) as p
        left join ({portals.sql_query()}) as q on q.portal_id = p.portal_id
        {new_pages_filter}
        order by p.page_version_id
    """
    # Results go to a typed temp table on this connection (no pandas: importing it costs seconds
    # per build, and an empty increment keeps its column types). Each batch is written as
    # newline-delimited JSON and inserted with read_json: DuckDB imports pandas (~2 s) as soon as
    # a statement is given Python parameters, which an incremental run of 1,000 pages paid.
    session.execute(f"create or replace temp table {OUTPUT} ({', '.join(f'{c} {t}' for c, t in COLUMNS)})")
    columns = "{" + ", ".join(f"'{c}': '{t}'" for c, t in COLUMNS) + "}"

    stamp = _run_stamp(session, dbt.this, dbt.is_incremental)
    reader = session.cursor()  # a second cursor reads while this one writes
    result = reader.execute(query)
    extract = page_context_cls = version = None
    with tempfile.TemporaryDirectory(prefix="kw_extract_") as tmp:
        batch_file = os.path.join(tmp, "batch.ndjson")
        insert = (f"insert into {OUTPUT} select * from read_json('{batch_file}', "
                  f"format = 'newline_delimited', columns = {columns})")
        while True:
            batch = result.fetchmany(BATCH_SIZE)
            if not batch:
                break
            if extract is None:  # import the extractor only when there is something to extract
                import indicators
                from indicators.model import PageContext as page_context_cls

                extract = _extract_callable(indicators)
                version = _extractor_version(indicators)
            with open(batch_file, "w", encoding="utf-8") as out:
                for row in batch:
                    values = (*_extract_page(row, extract, page_context_cls, version), stamp)
                    record = dict(zip(NAMES, values, strict=True))
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
            session.execute(insert)
    reader.close()
    return session.table(OUTPUT)
