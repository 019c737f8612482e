"""A small working warehouse that follows the agreed column contract (raw.*, intermediate
``int_indicator_mentions``, marts.*), for the gate's tests and benchmark.

``rebuild_marts`` mimics the dbt marts only as far as the gate and the publisher care: marts are
built from the mentions minus ``audit.quarantined_mentions``, one row per conformed grain. The real
models live in ``dbt_project/``; nothing in the pipeline imports this module."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from warehouse import db

PORTALS = [
    ("yk_kjj", "营口市科学技术局", "city_bureau", "210800", "营口市"),
    ("ln_kjt", "辽宁省科学技术厅", "provincial_department", "210000", "辽宁省"),
]


@dataclass
class Page:
    page_version_id: str
    portal_id: str
    published_at: datetime
    body_text: str
    title: str = ""
    decode_ok: bool = True


@dataclass
class Mention:
    page: Page
    quote: str
    fact_family: str
    indicator_key: str
    measure: str
    value: float
    unit: str
    period_key: str
    region_code: str | None
    region_name: str
    level: str = "unspecified"
    qualifier: str = "exact"
    extra: dict[str, Any] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        start = self.extra.get("quote_start", self.page.body_text.find(self.quote))
        end = self.extra.get("quote_end", start + len(self.quote))
        key = f"{self.page.page_version_id}|{start}|{end}|{self.indicator_key}|{self.measure}"
        return {
            "mention_id": hashlib.md5(key.encode()).hexdigest(),
            "page_version_id": self.page.page_version_id,
            "portal_id": self.page.portal_id,
            "url": f"http://{self.page.portal_id}.fixture.gov.cn/{self.page.page_version_id}.html",
            "fetched_at": self.page.published_at + timedelta(days=1),
            "published_at": self.page.published_at,
            "content_hash": _h(self.page.body_text),
            "fact_family": self.fact_family,
            "indicator_key": self.indicator_key,
            "level": self.level,
            "measure": self.measure,
            "value": float(self.value),
            "unit": self.unit,
            "qualifier": self.qualifier,
            "region_name": self.region_name,
            "region_code": self.region_code,
            "period_key": self.period_key,
            "quote": self.quote,
            "quote_start": start,
            "quote_end": end,
        }


def _h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def sample_pages(n_extra: int = 0) -> list[Page]:
    pages = [
        Page(
            "yk0001",
            "yk_kjj",
            datetime(2025, 1, 15, 9),
            "2024年，全市技术合同成交额达到5.75亿元，同比增长49.8%。新增科技型中小企业254家，高新技术企业总数达到312家。",
            "营口市2024年科技工作综述",
        ),
        Page(
            "yk0002",
            "yk_kjj",
            datetime(2025, 3, 2, 10),
            "截至目前，全市共有市级以上重点实验室48家，新增省级中试基地3家。",
            "营口市科技创新平台建设情况",
        ),
        Page(
            "ln0001",
            "ln_kjt",
            datetime(2025, 2, 20, 8),
            "2024年全省技术合同成交额1100亿元。全省科技型中小企业达到3.5万家。省级中试基地36家。",
            "辽宁省2024年科技工作会议",
        ),
        Page(
            "ln0002",
            "ln_kjt",
            datetime(2025, 7, 10, 15),
            "上半年，全省新增高新技术企业1200家，新型研发机构达到150家。",
            "辽宁省上半年科技创新工作",
        ),
    ]
    for i in range(n_extra):
        pages.append(
            Page(
                f"yk9{i:03d}",
                "yk_kjj",
                datetime(2025, 4, 1 + i % 27, 9),
                f"第{i}号通报：全市新增众创空间{i + 2}家。",
                f"通报{i}",
            )
        )
    return pages


def sample_mentions(pages: list[Page]) -> list[Mention]:
    by = {p.page_version_id: p for p in pages}
    yk, yk2, ln, ln2 = by["yk0001"], by["yk0002"], by["ln0001"], by["ln0002"]
    out = [
        Mention(
            yk,
            "技术合同成交额达到5.75亿元",
            "contract",
            "tech_contract_turnover",
            "amount",
            5.75e8,
            "yuan",
            "2024",
            "210800",
            "营口市",
        ),
        Mention(
            yk,
            "同比增长49.8%",
            "contract",
            "tech_contract_turnover",
            "growth_pct",
            49.8,
            "percent",
            "2024",
            "210800",
            "营口市",
        ),
        Mention(
            yk,
            "新增科技型中小企业254家",
            "enterprise",
            "tech_sme",
            "new",
            254,
            "count",
            "2024",
            "210800",
            "营口市",
        ),
        Mention(
            yk,
            "高新技术企业总数达到312家",
            "enterprise",
            "high_tech",
            "total",
            312,
            "count",
            "2024",
            "210800",
            "营口市",
        ),
        Mention(
            yk2,
            "市级以上重点实验室48家",
            "platform",
            "key_lab",
            "total",
            48,
            "count",
            "asof:2025-03-02",
            "210800",
            "营口市",
            level="municipal",
        ),
        Mention(
            yk2,
            "新增省级中试基地3家",
            "platform",
            "pilot_base",
            "new",
            3,
            "count",
            "2025",
            "210800",
            "营口市",
            level="provincial",
        ),
        Mention(
            ln,
            "技术合同成交额1100亿元",
            "contract",
            "tech_contract_turnover",
            "amount",
            1.1e11,
            "yuan",
            "2024",
            "210000",
            "辽宁省",
        ),
        Mention(
            ln,
            "科技型中小企业达到3.5万家",
            "enterprise",
            "tech_sme",
            "total",
            35000,
            "count",
            "2024",
            "210000",
            "辽宁省",
        ),
        Mention(
            ln,
            "省级中试基地36家",
            "platform",
            "pilot_base",
            "total",
            36,
            "count",
            "2024",
            "210000",
            "辽宁省",
            level="provincial",
        ),
        Mention(
            ln2,
            "新增高新技术企业1200家",
            "enterprise",
            "high_tech",
            "new",
            1200,
            "count",
            "2025H1",
            "210000",
            "辽宁省",
        ),
        Mention(
            ln2,
            "新型研发机构达到150家",
            "platform",
            "new_rd_institute",
            "total",
            150,
            "count",
            "2025H1",
            "210000",
            "辽宁省",
        ),
    ]
    for p in pages:
        if p.page_version_id.startswith("yk9"):
            n = p.body_text.split("众创空间")[1].rstrip("家。")
            out.append(
                Mention(
                    p,
                    f"新增众创空间{n}家",
                    "platform",
                    "maker_space",
                    "new",
                    int(n),
                    "count",
                    "2025",
                    "210800",
                    "营口市",
                )
            )
    return out


def build(
    path: Path,
    pages: list[Page] | None = None,
    mentions: list[Mention] | None = None,
    *,
    run_id: str = "run-0001",
    fetch_errors: dict[str, int] | None = None,
) -> None:
    """(Re)write raw.*, intermediate.int_indicator_mentions and marts.* of the warehouse at ``path``."""
    pages = pages if pages is not None else sample_pages()
    mentions = mentions if mentions is not None else sample_mentions(pages)
    fetch_errors = fetch_errors or {}
    with db.connect(path) as con:
        con.execute("create schema if not exists intermediate; create schema if not exists marts")
        for t in ("raw.portals", "raw.crawl_runs", "raw.fetches", "raw.pages"):
            con.execute(f"delete from {t}")
        started = datetime(2025, 8, 1, 6)
        con.execute(
            "insert into raw.crawl_runs values (?, ?, ?, 'cli', ?, 'ok')",
            [run_id, started, started + timedelta(minutes=5), len(PORTALS)],
        )
        for pid, name, kind, code, region in PORTALS:
            con.execute(
                "insert into raw.portals values (?, ?, ?, ?, ?, ?, 1, 'x', ?)",
                [pid, name, kind, code, region, f"http://{pid}.fixture.gov.cn/", started],
            )
        # bulk inserts through registered DataFrames: the benchmark builds tens of thousands of rows
        fetches = [
            {
                "fetch_id": f"f{n}",
                "portal_id": p.portal_id,
                "url": f"http://x/{p.page_version_id}",
                "status": 200,
                "error": None,
            }
            for n, p in enumerate(pages)
        ]
        fetches += [
            {
                "fetch_id": f"e{portal}{k}",
                "portal_id": portal,
                "url": "http://x/err",
                "status": 503,
                "error": "HTTP 503",
            }
            for portal, errors in fetch_errors.items()
            for k in range(errors)
        ]
        con.register(
            "kw_fetches", pd.DataFrame(fetches, columns=["fetch_id", "portal_id", "url", "status", "error"])
        )
        con.execute(
            "insert into raw.fetches (fetch_id, run_id, portal_id, url, kind, requested_at, status,"
            " bytes, error) select fetch_id, $run, portal_id, url, 'article', $at, status, 1000, error"
            " from kw_fetches",
            {"run": run_id, "at": started},
        )
        page_rows = pd.DataFrame(
            {
                "page_version_id": [p.page_version_id for p in pages],
                "portal_id": [p.portal_id for p in pages],
                "content_hash": [_h(p.body_text) for p in pages],
                "decode_ok": [p.decode_ok for p in pages],
                "title": [p.title for p in pages],
                "published_at": [p.published_at for p in pages],
                "body_text": [p.body_text for p in pages],
            }
        )
        con.register("kw_pages", page_rows)
        con.execute(
            "insert into raw.pages (page_version_id, url, portal_id, run_id, fetched_at, content_hash, html,"
            " encoding, decode_ok, title, published_at, body_text)"
            " select page_version_id, 'http://x/' || page_version_id, portal_id, $run, $at, content_hash,"
            " '<html><body>' || body_text || '</body></html>', 'utf-8', decode_ok, title, published_at,"
            " body_text from kw_pages",
            {"run": run_id, "at": started},
        )
        con.execute("drop table if exists intermediate.int_indicator_mentions")
        con.execute("""
            create table intermediate.int_indicator_mentions (
                mention_id varchar, page_version_id varchar, portal_id varchar, url varchar,
                fetched_at timestamp, published_at timestamp, content_hash varchar, fact_family varchar,
                indicator_key varchar, level varchar, measure varchar, value double, unit varchar,
                qualifier varchar, region_name varchar, region_code varchar, period_key varchar,
                quote varchar, quote_start integer, quote_end integer)""")
        rows = pd.DataFrame([m.row() for m in mentions])
        if len(rows):
            con.register("kw_mentions", rows)
            cols = ", ".join(rows.columns)
            con.execute(
                f"insert into intermediate.int_indicator_mentions ({cols}) select {cols} from kw_mentions"
            )
        for name in ("kw_fetches", "kw_pages", "kw_mentions"):
            con.unregister(name)
        rebuild_marts(con)


def rebuild_marts(con: Any) -> None:
    """marts.* from the mentions minus quarantined ones (what `dbt build --select marts` does)."""
    con.execute("create schema if not exists marts")
    con.execute("""
        create or replace table marts.fct_indicator_reports as
        select m.* from intermediate.int_indicator_mentions m
        where m.mention_id not in (select mention_id from audit.quarantined_mentions)""")
    for table, family in (
        ("fct_contracts", "contract"),
        ("fct_enterprises", "enterprise"),
        ("fct_platforms", "platform"),
    ):
        con.execute(f"""
            create or replace table marts.{table} as
            select coalesce(region_code, 'unknown') as region_key, period_key, indicator_key, level,
                   measure, max(value) as value, any_value(unit) as unit, count(*) as n_reports,
                   count(distinct value) > 1 as has_conflict
            from marts.fct_indicator_reports where fact_family = '{family}'
            group by all""")
    con.execute("""
        create or replace table marts.dim_document as
        select page_version_id, url, portal_id, title, published_at, fetched_at from raw.pages""")
    con.execute("""
        create or replace table marts.dim_source as
        select portal_id, name, publisher_type, region_code from raw.portals""")
    con.execute("""
        create or replace table marts.dim_region as
        select distinct region_code, region_name from intermediate.int_indicator_mentions
        where region_code is not null""")


def run_sample_pipeline(warehouse: Path | None = None) -> tuple[list[Any], Any]:
    """What build_marts does after `dbt build --select staging intermediate`, with ``rebuild_marts``
    standing in for `dbt build --select marts`: facts gate (quarantine, may block) -> marts ->
    marts gate -> publish -> alerts. Returns (gate results, Publication or None when blocked)."""
    from expectations.gate import run_facts_gate, run_marts_gate
    from expectations.result import GateBlocked
    from kejiwatch import alerts
    from warehouse.publish import publish_and_alert

    facts = run_facts_gate(warehouse=warehouse)
    try:
        alerts.raise_if_blocked([facts])
    except GateBlocked:
        return [facts], None
    with db.connect(warehouse) as con:
        rebuild_marts(con)
    results = [facts, run_marts_gate(warehouse=warehouse)]
    try:
        return results, publish_and_alert(results, warehouse=warehouse)
    except GateBlocked:
        return results, None
