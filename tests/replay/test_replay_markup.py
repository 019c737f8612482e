"""Each portal keeps its platform's tell-tale markup — the things a crawler config keys on."""

from __future__ import annotations

import re

import pytest
import requests
from bs4 import BeautifulSoup

from replay.web import web


@pytest.fixture
def srv(replay_shared_server):
    return replay_shared_server


def page(srv, url: str, encoding: str = "utf-8") -> str:
    r = requests.get(url, proxies=srv.proxies, timeout=5)
    assert r.status_code == 200, url
    return r.content.decode(encoding)


def site(host: str):
    return web(0).site(host)


def first_article(host: str, encoding: str, srv) -> str:
    s = site(host)
    return page(srv, s.url(s.article_path(s.articles[0])), encoding)


GOV_META = (
    "SiteName",
    "SiteDomain",
    "SiteIDCode",
    "ColumnName",
    "ColumnDescription",
    "ColumnKeywords",
    "ColumnType",
    "ArticleTitle",
    "PubDate",
    "ContentSource",
)


def test_trs_haiyun_province(srv) -> None:
    s = site("kjt.fixture-prov.gov.cn")
    col = s.portal.columns[0]
    listing = page(srv, s.start_urls()[0])
    assert f'createPageHTML({s.page_count(col)}, 0, "index", "html");' in listing
    assert re.search(r'<li><a href="\./\d{6}/t\d{8}_\d+\.html" target="_blank" title="[^"]+">', listing)
    art = first_article("kjt.fixture-prov.gov.cn", "utf-8", srv)
    soup = BeautifulSoup(art, "html.parser")
    assert all(soup.find("meta", attrs={"name": n}) for n in (*GOV_META, "HtmlGenerateTime"))
    assert "<div class=TRS_Editor>" in art and "【字体：" in art and "上一篇：" in art


def test_trs_wcm_zone_has_no_header_charset_and_chinese_pubdate(srv) -> None:
    s = site("gxq.fixture-city.gov.cn")
    listing = page(srv, s.start_urls()[0], "gbk")
    assert f"var countPage = {s.page_count(s.portal.columns[0])}//共多少页" in listing
    art = first_article("gxq.fixture-city.gov.cn", "gbk", srv)
    assert re.search(r'<meta name="PubDate" content="\d{4}年\d{2}月\d{2}日">', art)
    assert '<meta name="SiteDomain" content="">' in art and "索引号" in art


def test_hanweb_records_hide_in_a_datastore(srv) -> None:
    s = site("kjj.fixture-city.gov.cn")
    col = s.portal.columns[0]
    listing = page(srv, s.start_urls()[0])
    assert '<script type="text/xml"><datastore>' in listing
    assert "<record><![CDATA[<li><a href='/art/" in listing
    # html.parser sees script text, not links: the records are invisible without reading the CDATA
    links = [a["href"] for a in BeautifulSoup(listing, "html.parser").find_all("a", href=True)]
    assert not any(h.startswith("/art/") for h in links)
    proxy = re.search(r'<nextgroup><!\[CDATA\[<a href="([^"]+)"', listing).group(1)
    xml = page(srv, s.url(proxy.replace("page=1", "page=2")))
    total = len(s.by_column[col.id])
    assert f"<totalrecord>{total}</totalrecord>" in xml
    assert xml.count("<record>") == min(col.per_page, total - col.per_page)
    query = f"columnid={s.col_num(col)}&startrecord=1&endrecord=300&perpage=300"
    everything = page(srv, s.url(f"{s.PROXY}?{query}"))
    assert everything.count("<record>") == total
    art = first_article("kjj.fixture-city.gov.cn", "utf-8", srv)
    assert "<!--ZJEG_RSS.content.begin-->" in art and '<meta name="pubdate"' in art and "i_columnid" in art


def test_pageadmin_query_pages_and_net_dates(srv) -> None:
    s = site("kjj.fixture-county.gov.cn")
    listing = page(srv, s.start_urls()[0])
    assert "list.aspx?page=2" in listing and "末页" in listing
    assert re.search(r"\d{4}/\d{1,2}/\d{1,2} \d{1,2}:\d{2}:\d{2}", listing)
    assert "Powered by PageAdmin CMS" in listing


def test_destoon_repeats_an_item_on_the_next_page(srv) -> None:
    s = site("www.fixture-mgo.com")
    p1, p2 = (page(srv, s.url(p), "gbk") for p in s.list_paths(s.portal.columns[0])[:2])
    ids1, ids2 = (re.findall(r'href="(show-\d+\.html)"', p) for p in (p1, p2))
    assert ids1[-1] == ids2[0]
    art = first_article("www.fixture-mgo.com", "gbk", srv)
    assert "原文地址：" in art or "来源：" in art


def test_discuz_archiver_stray_page_marker(srv) -> None:
    art = first_article("bbs.fixture-mgo.com", "utf-8", srv)
    assert '<div class="page">页: <strong>[1]</strong></div>' in art
    assert re.search(r"发表于 \d{4}-\d{1,2}-\d{1,2} \d{2}:\d{2}", art) and "查看完整版本:" in art


def test_innocom_announces_an_empty_last_page_and_dates_in_anchors(srv) -> None:
    s = site("www.fixture-innocom.gov.cn")
    paths = s.list_paths(s.portal.columns[0])
    first = page(srv, s.url(paths[0]))
    assert f"createPageHTML('page_div', {len(paths)}, 1," in first
    assert re.search(r'<span class="date">\d{4}-\d{2}-\d{2}</span></a>', first)
    last = page(srv, s.url(paths[-1]))
    assert "<li><a" not in last
