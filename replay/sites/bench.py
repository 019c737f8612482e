"""Synthetic portals for throughput benchmarks: `benchNN.fixture-bench.gov.cn`, each a small TRS
海云 site with 30 short articles (no answer-key facts), generated in memory."""

from __future__ import annotations

import datetime as dt

from replay.content import Article, Column, Portal
from replay.sites.trs import TrsSite

ARTICLES_PER_HOST = 30


class BenchSite(TrsSite):
    platform = "trs_hy"

    def __init__(self, portal: Portal, day: int, articles: list[Article]) -> None:
        self._given = articles
        super().__init__(portal, day)

    def _load(self) -> list[Article]:
        return self._given


def bench_sites(n: int, day: int = 0) -> list[BenchSite]:
    sites = []
    for i in range(1, n + 1):
        pid = f"bench{i:02d}"
        portal = Portal(
            id=pid,
            host=f"{pid}.fixture-bench.gov.cn",
            platform="trs_hy",
            site_name=f"基准测试科技局{i:02d}",
            region="",
            columns=(Column("tzgg", "通知公告", 10),),
            site_id_code=f"99000000{i:02d}",
            extra={"column_dirs": {"tzgg": "/kjzx/tzgg/"}},
        )
        arts = []
        for k in range(ARTICLES_PER_HOST):
            published = dt.datetime(2024, 1, 1, 9) + dt.timedelta(days=7 * k)
            arts.append(
                Article(
                    id=f"{pid}_{k:03d}",
                    portal=pid,
                    column="tzgg",
                    title=f"{portal.site_name}工作动态第{k + 1}期",
                    published=published,
                    source=portal.site_name,
                    paragraphs=[
                        f"{published:%Y年%m月%d日}，{portal.site_name}召开例会。",
                        f"会议通报：全市新增科技型中小企业{20 + k}家，技术合同成交额达到{k + 1}.5亿元。",
                        "会议要求各单位抓好落实。" * 8,
                    ],
                    extra={"num": 5_000_000 + i * 1000 + k},
                )
            )
        sites.append(BenchSite(portal, day, sorted(arts, key=lambda a: a.published, reverse=True)))
    return sites
