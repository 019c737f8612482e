"""A small raw landing written by us for the report/BI/status tests: three publishers of one
city and its province, two years of figures, a trade-site repost that disagrees with the bureau
(a conflict), and a scraped title carrying a planted <script> (it must show as text).

Rows go into the raw.* tables of warehouse/schema.sql exactly as the crawler lands them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import duckdb

PLANTED_TITLE = '<script>window.__pwned = 1; alert("xss")</script>营口科技快讯'

PORTALS = [
    # portal_id, name, publisher_type, region_code, region_name, base_url, authority_rank
    ("yingkou_kjj", "营口市科学技术局", "city_bureau", "210800", "营口市", "http://kjj.yingkou.example", 1),
    ("liaoning_kjt", "辽宁省科学技术厅", "provincial_department", "210000", "辽宁省",
     "http://kjt.liaoning.example", 1),
    ("tech_news", "科技资讯网", "trade_repost", None, None, "http://news.tech.example", 5),
]


@dataclass
class Page:
    url: str
    portal_id: str
    title: str
    body_text: str
    published_at: datetime
    fetched_at: datetime

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.body_text.encode()).hexdigest()

    @property
    def page_version_id(self) -> str:
        return hashlib.sha256((self.url + self.content_hash).encode()).hexdigest()[:24]


def d(text: str) -> datetime:
    return datetime.fromisoformat(text)


PAGES = [
    Page("http://kjj.yingkou.example/art/2023/1/18/a1.html", "yingkou_kjj", "营口市2022年科技创新工作总结",
         "2022年,全市技术合同成交额达到3.84亿元。全年新增科技型中小企业198家。",
         d("2023-01-18 09:00"), d("2024-02-01 10:00")),
    Page("http://kjj.yingkou.example/art/2024/1/20/a2.html", "yingkou_kjj", "营口市2023年科技创新工作总结",
         "2023年,全市技术合同成交额达到5.75亿元,同比增长49.8%。全年新增科技型中小企业254家。",
         d("2024-01-20 09:00"), d("2024-02-01 10:05")),
    # The repost states another number for the same grain: a conflict, and the planted title.
    Page("http://news.tech.example/a/77.html", "tech_news", PLANTED_TITLE,
         "2023年,营口市新增科技型中小企业290家。",
         d("2024-01-25 09:00"), d("2024-02-01 11:00")),
    Page("http://kjt.liaoning.example/art/2024/2/1/p1.html", "liaoning_kjt", "辽宁省2023年科技工作情况",
         "2023年,全省技术合同成交额达到1200亿元。全省新增科技型中小企业5000家。",
         d("2024-02-01 09:00"), d("2024-02-01 12:00")),
    Page("http://kjt.liaoning.example/art/2023/2/1/p0.html", "liaoning_kjt", "辽宁省2022年科技工作情况",
         "2022年,全省技术合同成交额达到1050亿元。全省新增科技型中小企业4200家。",
         d("2023-02-01 09:00"), d("2024-02-01 12:05")),
]


# A figure the facts gate would quarantine (an absurd contract turnover): it must be listed in the
# report's quarantine section and be absent from every fact table.
ABSURD = Page("http://kjt.liaoning.example/art/2022/2/1/p9.html", "liaoning_kjt", "辽宁省2021年科技工作情况",
              "2021年,全省技术合同成交额达到98765亿元。", d("2022-02-01 09:00"), d("2024-02-01 12:10"))
ABSURD_VALUE = 98765e8


def land(con: duckdb.DuckDBPyConnection, pages: list[Page] = [*PAGES, ABSURD]) -> None:  # noqa: B006
    for row in PORTALS:
        con.execute(
            "insert or replace into raw.portals (portal_id, name, publisher_type, region_code, region_name,"
            " base_url, authority_rank, config_hash, updated_at) values (?, ?, ?, ?, ?, ?, ?, 'test', now())",
            list(row),
        )
    for p in pages:
        con.execute(
            "insert or ignore into raw.pages (page_version_id, url, portal_id, run_id, fetched_at,"
            " content_hash, html, encoding, decode_ok, title, published_at, source, body_text)"
            " values (?, ?, ?, 'test-run', ?, ?, ?, 'utf-8', true, ?, ?, ?, ?)",
            [p.page_version_id, p.url, p.portal_id, p.fetched_at, p.content_hash,
             f"<html><head><title>{p.title}</title></head><body><p>{p.body_text}</p></body></html>",
             p.title, p.published_at, p.portal_id, p.body_text],
        )


def quarantine(con: duckdb.DuckDBPyConnection, page: Page, *, mention_id: str, reason: str) -> None:
    """A quarantine row as the facts gate writes it (audit.quarantined_mentions)."""
    con.execute(
        "insert or ignore into audit.quarantined_mentions (mention_id, page_version_id, expectation,"
        " reason, severity, gate_run_id, quarantined_at) values (?, ?, 'facts.value_in_unit_range.count',"
        " ?, 'error', 'facts-test-run', now())",
        [mention_id, page.page_version_id, reason],
    )
