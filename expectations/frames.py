"""SQL that turns the warehouse into the pandas frames the suites validate.

Helper columns (error rates, quote checks, period starts) are computed here, next to the data,
so every expectation stays a plain single-column GX check that Data Docs can render."""

from __future__ import annotations

import csv
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from kejiwatch import settings

SHANGHAI = ZoneInfo("Asia/Shanghai")
MANIFEST_TABLE = "publication_manifest"
QUARANTINE_TABLE = "quarantined_mentions"


# ---------------------------------------------------------------- landing (raw.*)


def latest_run_id(con: duckdb.DuckDBPyConnection) -> str | None:
    row = con.execute("select run_id from raw.crawl_runs order by started_at desc limit 1").fetchone()
    return row[0] if row else None


def landing_frames(
    con: duckdb.DuckDBPyConnection, run_id: str | None, *, future_tolerance_days: float = 1
) -> dict[str, pd.DataFrame]:
    """Per-portal fetch outcomes and per-page checks of one crawl run (all rows when run_id is None)."""
    where = "run_id = $run_id" if run_id else "true"
    params = {"run_id": run_id} if run_id else {}
    fetches = con.execute(
        f"""
        select portal_id,
               count(*) as fetches,
               count(*) filter (where error is not null or status is null or status >= 400) as failed,
               failed / count(*) as error_rate
        from raw.fetches
        where kind <> 'robots' and {where}
        group by portal_id order by portal_id
        """,
        params,
    ).df()
    pages = con.execute(
        f"""
        select page_version_id, portal_id, url,
               length(coalesce(body_text, '')) as body_chars,
               decode_ok, published_at
        from raw.pages where {where} order by page_version_id
        """,
        params,
    ).df()
    now_local = datetime.now(SHANGHAI).replace(tzinfo=None)
    limit = pd.Timestamp(now_local + timedelta(days=future_tolerance_days))
    pages["published_in_future"] = pages["published_at"].notna() & (pages["published_at"] > limit)
    pages["decode_ok"] = pages["decode_ok"].astype(object)
    return {"portal_fetches": fetches, "pages": pages}


# ---------------------------------------------------------------- facts (intermediate.*)


def vocabulary(path: Path | None = None) -> dict[str, str]:
    """indicator_key -> unit from the dbt seed (the one vocabulary of the project)."""
    path = path or settings.dbt_project_dir() / "seeds" / "indicator_vocabulary.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        return {row["indicator_key"]: row["unit"] for row in csv.DictReader(fh)}


_PERIOD = re.compile(r"^(\d{4})(?:(H)([12])|(Q)([1-4])|-(\d{2}))?$")


def period_start(period_key: Any) -> date | None:
    """First day a period covers (the day itself for asof:), None when unknown or unparseable."""
    if not isinstance(period_key, str):
        return None
    if period_key.startswith("asof:"):
        try:
            return date.fromisoformat(period_key[5:])
        except ValueError:
            return None
    m = _PERIOD.match(period_key)
    if not m:
        return None
    year = int(m.group(1))
    try:
        if m.group(2):
            return date(year, 1 if m.group(3) == "1" else 7, 1)
        if m.group(4):
            return date(year, 3 * int(m.group(5)) - 2, 1)
        if m.group(6):
            return date(year, int(m.group(6)), 1)
        return date(year, 1, 1)
    except ValueError:
        return None


MENTION_COLUMNS = """
    m.mention_id, m.page_version_id, m.portal_id, m.fact_family, m.indicator_key, m.level, m.measure,
    m.value, m.unit, m.region_name, m.region_code, m.period_key, m.quote, m.quote_start, m.quote_end,
    cast(coalesce(m.published_at, p.published_at) as date) as published_date,
    length(coalesce(m.quote, '')) as quote_chars,
    coalesce(m.quote <> '' and position(m.quote in p.body_text) > 0, false) as quote_in_document,
    coalesce(substring(p.body_text, m.quote_start + 1, m.quote_end - m.quote_start) = m.quote, false)
        as quote_at_offsets
"""


def facts_frame(
    con: duckdb.DuckDBPyConnection,
    vocab: dict[str, str],
    bounds: dict[str, dict[str, float]] | None = None,
    period_tolerance_days: int = 0,
) -> pd.DataFrame:
    """int_indicator_mentions with its evidence checked against raw.pages.body_text."""
    df = con.execute(
        f"""
        select {MENTION_COLUMNS}
        from intermediate.int_indicator_mentions m
        left join raw.pages p on p.page_version_id = m.page_version_id
        order by m.mention_id
        """
    ).df()
    starts = df["period_key"].map(period_start)
    published = pd.to_datetime(df["published_date"]).dt.date
    tolerance = timedelta(days=period_tolerance_days)
    df["period_after_publish"] = [
        bool(s is not None and pub is not None and not pd.isna(pub) and s > pub + tolerance)
        for s, pub in zip(starts, published, strict=True)
    ]
    expected_unit = df["indicator_key"].map(vocab)
    df["unit_matches"] = (df["unit"] == expected_unit) | (
        (df["measure"] == "growth_pct") & (df["unit"] == "percent")
    )
    # per-indicator plausible bounds; growth rates are judged by the percent unit bounds instead
    is_level = df["measure"] != "growth_pct"
    for edge in ("min", "max"):
        bound = df["indicator_key"].map({k: float(b[edge]) for k, b in (bounds or {}).items()})
        df[f"indicator_{edge}"] = bound.where(is_level).astype(float)
    for col in ("quote_in_document", "quote_at_offsets", "unit_matches", "period_after_publish"):
        df[col] = df[col].astype(bool).astype(object)
    return df


# ---------------------------------------------------------------- marts vs last publication


def marts_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Tables and views of the working warehouse's marts schema."""
    return [
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' "
            "and table_catalog = current_database() order by table_name"
        ).fetchall()
    ]


def read_previous_manifest(marts_file: Path | None = None) -> dict[str, Any] | None:
    """Row counts and newest document of the currently published file (None before the first)."""
    path = Path(marts_file or settings.marts_path())
    if not path.exists():
        return None
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            rows = con.execute(
                f"select table_name, row_count, newest_document_at, publish_id from {MANIFEST_TABLE}"
            ).fetchall()
    except duckdb.Error:
        return None
    return {
        "row_counts": {r[0]: int(r[1]) for r in rows},
        "newest_document_at": next((r[2] for r in rows if r[2] is not None), None),
        "publish_id": rows[0][3] if rows else None,
    }


def newest_document_at(
    con: duckdb.DuckDBPyConnection, sources: list[list[str]], schema: str = "marts"
) -> datetime | None:
    for table, column in sources:
        try:
            row = con.execute(f'select max("{column}") from {schema}."{table}"').fetchone()
        except duckdb.Error:
            continue
        if row and row[0] is not None:
            value = row[0]
            return value if isinstance(value, datetime) else datetime.combine(value, datetime.min.time())
    return None


def marts_frames(
    con: duckdb.DuckDBPyConnection, th: dict[str, Any], previous: dict[str, Any] | None
) -> dict[str, pd.DataFrame]:
    m = th["marts"]
    current = {t: con.execute(f'select count(*) from marts."{t}"').fetchone()[0] for t in marts_tables(con)}
    before = (previous or {}).get("row_counts", {})
    before = {t: n for t, n in before.items() if t not in (MANIFEST_TABLE, QUARANTINE_TABLE)}
    names = sorted(set(current) | set(before) | set(m["grains"]))
    tables = pd.DataFrame(
        {
            "table_name": names,
            "present": [t in current for t in names],
            "row_count": [int(current.get(t, 0)) for t in names],
            "previous_row_count": [before.get(t) for t in names],
        }
    )
    tables["min_allowed"] = [
        int(prev * (1 - m["max_row_drop"])) if prev is not None and not pd.isna(prev) else 0
        for prev in tables["previous_row_count"]
    ]
    tables["present"] = tables["present"].astype(object)

    newest = newest_document_at(con, m["freshness_sources"])
    prev_newest = (previous or {}).get("newest_document_at")
    now_local = datetime.now(SHANGHAI).replace(tzinfo=None)
    freshness = pd.DataFrame(
        {
            "newest_document_at": [pd.Timestamp(newest) if newest else pd.NaT],
            "previous_newest_document_at": [pd.Timestamp(prev_newest) if prev_newest else pd.NaT],
            "age_days": [(now_local - newest).total_seconds() / 86400 if newest else None],
        }
    )

    # One frame for every fact mart's grain (tagged with table_name), so one GX validation
    # checks them all; a mart that lacks a grain column is flagged in the tables frame instead.
    parts, grain_ok = [], {}
    for table, grain in m["grains"].items():
        if table not in current:
            continue
        columns = {
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns where table_schema = 'marts' "
                "and table_name = ? and table_catalog = current_database()",
                [table],
            ).fetchall()
        }
        grain_ok[table] = set(grain) <= columns
        if grain_ok[table]:
            cols = ", ".join(f'"{c}"' for c in grain)
            parts.append(f"select '{table}' as table_name, {cols} from marts.\"{table}\"")
    tables["grain_columns_present"] = [grain_ok.get(t, True) for t in names]
    tables["grain_columns_present"] = tables["grain_columns_present"].astype(object)
    grain_cols = sorted({c for g in m["grains"].values() for c in g})
    if parts:
        grains = con.execute(" union all by name ".join(parts)).df()
    else:
        grains = pd.DataFrame(columns=["table_name", *grain_cols])
    for c in grain_cols:
        if c not in grains.columns:
            grains[c] = None
    return {"tables": tables, "freshness": freshness, "grains": grains}
