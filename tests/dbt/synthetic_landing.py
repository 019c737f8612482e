"""A small synthetic raw landing written by us for the dbt tests: portals, page versions whose
body text carries figures of the three families, a repost marked duplicate_of, an edited page
(two versions of one URL), an enterprise list as a page table and as an attachment sheet.

Rows go straight into the raw.* tables of warehouse/schema.sql, as the crawler would land them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

PORTALS = [
    # portal_id, name, publisher_type, region_code, region_name, base_url, authority_rank
    ("yingkou_kjj", "营口市科学技术局", "city_bureau", "210800", "营口市", "http://kjj.yingkou.example", 1),
    ("liaoning_kjt", "辽宁省科学技术厅", "provincial_department", "210000", "辽宁省",
     "http://kjt.liaoning.example", 1),
    ("tech_news", "科技资讯网", "trade_repost", None, None, "http://news.tech.example", 5),
    ("wuhai_kjj", "乌海市科学技术局", "city_bureau", "150300", "乌海市", "http://kjj.wuhai.example", 1),
    ("yingkou_daily", "营口日报", "newspaper", "210800", "营口市", "http://daily.yingkou.example", 3),
    # Publishers whose region the GB/T seed does not hold: a zone named after its city, and a
    # place that resolves nowhere (it must stay visible as an unresolved region).
    ("lingang_zone", "营口临港新区管委会", "hitech_zone", None, "营口临港新区", "http://lg.yk.example", 1),
    ("donghai_bureau", "东海新城科技局", "county_bureau", None, "东海新城", "http://dh.example", 1),
]


def sha(text: str, n: int = 64) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:n]


@dataclass
class Page:
    url: str
    portal_id: str
    body_text: str
    title: str
    published_at: datetime | None
    fetched_at: datetime
    duplicate_of: str | None = None
    source: str | None = None
    tables: list[list[list[str]]] = field(default_factory=list)

    @property
    def content_hash(self) -> str:
        return sha(self.body_text)

    @property
    def page_version_id(self) -> str:
        return sha(self.url + self.content_hash, 24)


def ensure_portals(con: duckdb.DuckDBPyConnection) -> None:
    for row in PORTALS:
        con.execute(
            "insert or replace into raw.portals (portal_id, name, publisher_type, region_code, region_name,"
            " base_url, authority_rank, config_hash, updated_at) values (?, ?, ?, ?, ?, ?, ?, 'test', now())",
            list(row),
        )


def land_pages(con: duckdb.DuckDBPyConnection, pages: list[Page]) -> None:
    """Insert page versions (and their tables) as the crawler would; idempotent on page_version_id."""
    ensure_portals(con)
    for page in pages:
        con.execute(
            "insert or ignore into raw.pages (page_version_id, url, portal_id, run_id, fetched_at,"
            " content_hash, html, encoding, decode_ok, title, published_at, source, body_text, duplicate_of)"
            " values (?, ?, ?, 'test-run', ?, ?, ?, 'utf-8', true, ?, ?, ?, ?, ?)",
            [page.page_version_id, page.url, page.portal_id, page.fetched_at, page.content_hash,
             f"<html><body><p>{page.body_text}</p></body></html>", page.title, page.published_at,
             page.source, page.body_text, page.duplicate_of],
        )
        for index, grid in enumerate(page.tables):
            con.execute(
                "insert or ignore into raw.page_tables (page_version_id, table_index, header_rows, n_rows,"
                " n_cols, grid) values (?, ?, 1, ?, ?, ?)",
                [page.page_version_id, index, len(grid), len(grid[0]), json.dumps(grid, ensure_ascii=False)],
            )


def land_attachment_list(
    con: duckdb.DuckDBPyConnection, page: Page, filename: str, sheet: str, grid: list[list[str]]
) -> str:
    attachment_id = sha(page.url + filename, 24)
    con.execute(
        "insert or ignore into raw.attachments (attachment_id, page_version_id, url, filename, mime, bytes,"
        " content_hash, fetched_at, parse_status) values (?, ?, ?, ?, 'application/vnd.ms-excel', 100, ?, ?,"
        " 'parsed')",
        [attachment_id, page.page_version_id, f"{page.url}/{filename}", filename, sha(filename),
         page.fetched_at],
    )
    con.execute(
        "insert or ignore into raw.attachment_tables (attachment_id, table_index, sheet_name, header_rows,"
        " grid) values (?, 0, ?, 1, ?)",
        [attachment_id, sheet, json.dumps(grid, ensure_ascii=False)],
    )
    return attachment_id


def d(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- the pages -------------------------------------------------------------------------------

YINGKOU_2023 = Page(
    url="http://kjj.yingkou.example/art/2024/1/20/art_1.html",
    portal_id="yingkou_kjj",
    title="营口市2023年科技创新工作总结",
    published_at=d("2024-01-20 09:00"),
    fetched_at=d("2024-02-01 10:00"),
    source="营口市科学技术局",
    body_text=(
        "2023年,全市技术合同成交额达到5.75亿元,同比增长49.8%。"
        "全年新增科技型中小企业254家,高新技术企业总数达到312家。"
        "截至目前,我市共有省级中试基地36家。"
    ),
)

# The city newspaper's own write-up of the same year (not a near-identical copy, published
# later): it agrees on the contract turnover within rounding (5.8亿 vs 5.75亿) and disagrees on
# the new tech SMEs (260 vs 254). Same wording, so the extractor gives both the same grain.
NEWSPAPER_2023 = Page(
    url="http://daily.yingkou.example/a/9001.html",
    portal_id="yingkou_daily",
    title="营口科技创新成绩单出炉",
    published_at=d("2024-01-25 12:00"),
    fetched_at=d("2024-02-01 11:00"),
    source="营口日报",
    body_text=(
        "2023年,全市技术合同成交额达到5.8亿元,同比增长49.8%。"
        "全年新增科技型中小企业260家,高新技术企业总数达到312家。"
    ),
)

# A verbatim repost of the bureau's article: marked duplicate_of by the crawler, never counted.
REPOST_2023 = Page(
    url="http://news.tech.example/a/9002.html",
    portal_id="tech_news",
    title="营口市2023年科技创新工作总结(转载)",
    published_at=d("2024-01-21 08:00"),
    fetched_at=d("2024-02-01 12:00"),
    source="营口市科学技术局",
    body_text=YINGKOU_2023.body_text,
    duplicate_of=YINGKOU_2023.page_version_id,
)

YINGKOU_2022 = Page(
    url="http://kjj.yingkou.example/art/2023/1/15/art_2.html",
    portal_id="yingkou_kjj",
    title="营口市2022年科技创新工作总结",
    published_at=d("2023-01-15 09:00"),
    fetched_at=d("2024-02-01 10:05"),
    source="营口市科学技术局",
    body_text="2022年,全市技术合同成交额达到3.84亿元。全年新增科技型中小企业198家。",
)

# An edited page: the first version said 30家, the second corrects it to 31家.
WUHAI_V1 = Page(
    url="http://kjj.wuhai.example/news/1.html",
    portal_id="wuhai_kjj",
    title="乌海市2023年科技工作情况",
    published_at=d("2024-01-10 09:00"),
    fetched_at=d("2024-01-11 10:00"),
    body_text="2023年,全市新增科技型中小企业30家。",
)
WUHAI_V2 = Page(
    url=WUHAI_V1.url,
    portal_id="wuhai_kjj",
    title="乌海市2023年科技工作情况",
    published_at=d("2024-01-10 09:00"),
    fetched_at=d("2024-01-12 10:00"),
    body_text="2023年,全市新增科技型中小企业31家。",
)

# A list of named enterprises as an HTML table on a provincial page.
LIST_GRID = [
    ["序号", "企业名称", "所在地区"],
    ["1", "营口甲科技有限公司", "营口市"],
    ["2", "营口乙材料有限公司", "营口市"],
    ["3", "营口丙装备有限公司", "营口市"],
    ["4", "", ""],
]
LIAONING_LIST = Page(
    url="http://kjt.liaoning.example/tzgg/2023/list.html",
    portal_id="liaoning_kjt",
    title="关于公布2023年度辽宁省瞪羚企业名单的通知",
    published_at=d("2023-12-01 09:00"),
    fetched_at=d("2024-02-01 13:00"),
    body_text="根据有关规定,现将2023年度瞪羚企业名单予以公布。",
    tables=[LIST_GRID],
)

# A page with no figures at all, and one with no text: recorded, not re-extracted each run.
ZONE_2023 = Page(
    url="http://lg.yk.example/news/7.html",
    portal_id="lingang_zone",
    title="临港新区2023年科技工作",
    published_at=d("2024-01-18 09:00"),
    fetched_at=d("2024-02-01 14:00"),
    body_text="2023年,全区新增科技型中小企业21家。",
)
UNRESOLVED_2023 = Page(
    url="http://dh.example/news/8.html",
    portal_id="donghai_bureau",
    title="东海新城2023年科技工作",
    published_at=d("2024-01-19 09:00"),
    fetched_at=d("2024-02-01 15:00"),
    body_text="2023年,全区新增科技型中小企业17家。",
)

NO_FACTS = Page(
    url="http://kjj.yingkou.example/art/2024/2/1/art_3.html",
    portal_id="yingkou_kjj",
    title="市科技局召开党组会议",
    published_at=d("2024-02-01 09:00"),
    fetched_at=d("2024-02-02 10:00"),
    body_text="市科技局召开党组会议,传达学习有关会议精神。",
)

# One span, two figures of two periods (last year's and this half year's).
LIAONING_PLATFORMS = Page(
    url="http://kjt.liaoning.example/xwdt/2023/platforms.html",
    portal_id="liaoning_kjt",
    title="上半年全省科技创新主要指标保持较快增长",
    published_at=d("2023-07-20 15:30"),
    fetched_at=d("2024-02-01 16:00"),
    body_text="平台建设方面,上半年国家级科技创新平台数量由34个提升至40个。",
)

FIRST_BATCH = [
    YINGKOU_2023, NEWSPAPER_2023, REPOST_2023, YINGKOU_2022, WUHAI_V1, LIAONING_LIST, ZONE_2023,
    UNRESOLVED_2023, NO_FACTS, LIAONING_PLATFORMS,
]

# Arrives in a later crawl: an incremental build must add exactly this.
SHENYANG_2023 = Page(
    url="http://kjt.liaoning.example/xwdt/2024/shenyang.html",
    portal_id="liaoning_kjt",
    title="沈阳市科技创新取得新进展",
    published_at=d("2024-02-05 09:00"),
    fetched_at=d("2024-02-06 10:00"),
    body_text="2023年,沈阳市技术合同成交额达到512.3亿元。沈阳市新增科技型中小企业1200家。",
)
SECOND_BATCH = [WUHAI_V2, SHENYANG_2023]
ATTACHMENT_LIST = [
    ["序号", "单位名称"],
    ["1", "营口丁电子有限公司"],
    ["2", "营口戊化工有限公司"],
]
