"""The article parser's page reader (lxml, ``scrapers.htmltree``): every replay article page against the
answer key in-process, and the page quirks whose reading the parser's thresholds were tuned on."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from scrapers.article import parse_article
from scrapers.css import compile_selector
from scrapers.decode import decode
from scrapers.htmltree import Page, classes
from scrapers.registry import Selectors


def _norm(text: str) -> str:
    return "\n".join(re.sub(r"\s+", "", line) for line in text.splitlines() if line.strip())


def _replay_articles() -> list[tuple[dict, str]]:
    from replay import answer_key
    from replay.web import web

    key = {e["url"]: e for e in answer_key.load()}
    out = []
    for site in web().sites.values():
        for a in site.articles:
            url = site.url(site.article_path(a))
            if url in key:
                resp = site.page("article.html", None, **site.article_context(a))
                out.append((key[url], decode(resp.body, resp.content_type).text))
    return out


def test_every_replay_article_reads_as_its_answer_key() -> None:
    """All platforms (TRS, Hanweb, PageAdmin, Destoon, Discuz, innocom), GBK and UTF-8: title, date,
    source, body, tables and attachment links, without HTTP (the crawl test does it over HTTP)."""
    pages = _replay_articles()
    assert len(pages) >= 121
    for e, html in pages:
        a = parse_article(html, e["url"])
        url = e["url"]
        assert a.title == e["title"], url
        assert a.published_at is not None and a.published_at.date().isoformat() == e["published_date"], url
        assert a.source == e["source"], url
        assert _norm(a.body_text) == _norm(e["body_text"]), url
        assert [(g.rows, g.header_rows) for g in a.tables] == [
            (t["grid"], t["header_rows"]) for t in e["tables"]], url
        assert {x["url"] for x in e["attachments"]} <= {x.url for x in a.attachments}, url


def test_gbk_page_with_gb2312_meta() -> None:
    html = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
            '<meta name="ArticleTitle" content="营口燊达科技公司获评">'
            '<meta name="PubDate" content="2023-08-23 10:05"></head><body><div class="TRS_Editor">'
            "<p>营口燊达、喆睿、堃宇三家企业入选，技术合同成交额5.75亿元。</p>"
            "</div></body></html>")
    a = parse_article(decode(html.encode("gbk"), "text/html; charset=GBK").text)
    assert a.title == "营口燊达科技公司获评"
    assert a.body_text == "营口燊达、喆睿、堃宇三家企业入选，技术合同成交额5.75亿元。"


def test_hanweb_layout_comments_and_cdata_datastore_are_not_text() -> None:
    html = ("<html><head><meta name='pubdate' content='2022-02-20 09:00'>"
            "<meta name='contentSource' content='湖州市科学技术局'></head><body>"
            "<script type='text/xml'><datastore><record><![CDATA[<li><a href='/art/1.html'>列表项</a></li>]]>"
            "</record></datastore></script>"
            "<div id='zoom'><!--<$[信息来源]>begin-->湖州市科学技术局<!--<$[信息来源]>end-->"
            "<p>全市新增高新技术企业<!-- ZJEG_RSS.content.begin -->58家，同比增长两成。</p>"
            "</div></body></html>")
    a = parse_article(html, "http://kjj.fixture-city.gov.cn/art/2022/2/20/art_1230_1.html")
    assert (a.published_at, a.source) == (datetime(2022, 2, 20, 9, 0), "湖州市科学技术局")
    assert a.body_text.splitlines() == ["湖州市科学技术局", "全市新增高新技术企业58家，同比增长两成。"]
    assert "列表项" not in a.body_text and "信息来源" not in a.body_text


def test_removed_elements_keep_the_text_after_them() -> None:
    a = parse_article("<html><body><div id='zoom'><p>前文一段足够长的文字<script>var x;</script>后文，句号。"
                      "<style>p{}</style></p></div></body></html>")
    assert a.body_text == "前文一段足够长的文字后文，句号。"


def test_nested_tables_layout_table_is_text_data_table_is_a_grid() -> None:
    html = ("<html><body><table class='layout'><tr><td><p>通报如下，各地技术合同登记情况见下表，足够长。</p>"
            "<table><tr><th>地区</th><th>项数</th></tr><tr><td>甲市</td><td>1,200</td></tr></table>"
            "</td></tr></table></body></html>")
    a = parse_article(html)
    assert a.body_text == "通报如下，各地技术合同登记情况见下表，足够长。"
    (grid,) = a.tables
    assert (grid.rows, grid.header_rows) == ([["地区", "项数"], ["甲市", "1,200"]], 1)
    assert grid.values[1][1] == 1200.0


def test_attachments_relative_to_base_encoded_and_in_query() -> None:
    html = ("<html><head><base href='http://bbs.example.com/files/'></head><body><div id='zoom'>"
            "<p>附件见下，足够长的一段文字。</p><a href='a%20b.XLSX'>名单</a>"
            "<a href='/module/download/downfile.jsp?classid=0&amp;filename=2306.pdf'>通知</a>"
            "<a href='/show?id=3' title='清单.doc'></a><a href='/c1/index.html'>栏目</a>"
            "<a href='javascript:void(0)'>x.pdf</a></div></body></html>")
    a = parse_article(html, "http://bbs.example.com/archiver/?tid-1.html")
    assert [(x.url, x.name, x.ext) for x in a.attachments] == [
        ("http://bbs.example.com/files/a%20b.XLSX", "名单", "xlsx"),
        ("http://bbs.example.com/module/download/downfile.jsp?classid=0&filename=2306.pdf", "通知", "pdf"),
        ("http://bbs.example.com/show?id=3", "清单.doc", "doc"),
    ]


def test_content_after_closing_html_is_still_read() -> None:
    """libxml2 opens a second <html> for it; the container there is found, as before."""
    html = ("<html><head><title>标题甲乙丙丁 - 某局</title></head>"
            "<body><div class='nav'>首页</div></body></html>"
            "<div class='TRS_Editor'><p>正文在闭合标签之后，这是足够长的一段文字。</p></div>")
    a = parse_article(html)
    assert a.body_text == "正文在闭合标签之后，这是足够长的一段文字。"


def test_density_body_skips_chrome_by_id_and_class() -> None:
    html = ("<html><body><div id='nav\tbar'><p>导航，很长很长的导航文字，用于测试，再长一些。</p></div>"
            "<div class='side x'><p>侧栏，很长很长的一段文字，用于测试，再长。</p></div>"
            "<div class='main'><p>正文，足够长的一段文字，用于测试，句号。</p>"
            "<p>第二段，足够长的文字，用于测试。</p></div>"
            "<footer>版权所有 某局</footer></body></html>")
    assert parse_article(html).body_text.splitlines() == [
        "正文，足够长的一段文字，用于测试，句号。", "第二段，足够长的文字，用于测试。"]


def test_ruby_annotation_is_not_part_of_the_title() -> None:
    html = ("<html><body><h1><ruby>营口<rt>ying kou</rt></ruby>科技局通报</h1>"
            "<div id='zoom'><p>正文内容，足够长。</p></div></body></html>")
    assert parse_article(html).title == "营口 科技局通报"


def test_page_without_body_has_no_doctype_line() -> None:
    """BeautifulSoup rendered the DOCTYPE of a body-less page as a body line ("html")."""
    a = parse_article("<!DOCTYPE html><html><head><title>框架页</title></head>"
                      "<frameset><frame src='a.html'></frameset></html>")
    assert (a.title, a.body_text) == ("框架页", "")


def test_selectors_subset() -> None:
    html = ("<html><body><div class='title main'><h1 id='t'>标题一</h1></div><div class='info'>"
            "<span>2024-03-01</span><span>来源：某局</span></div>"
            "<div class='con text'><p>一</p><p>二</p></div>"
            "<ul><li>a</li><li>b</li><li>c</li></ul></body></html>")
    sel = Selectors(title="div.title > h1#t", date="div.info span:first-child",
                    source=".info span:nth-child(2)", body="div[class~=text]")
    a = parse_article(html, None, sel)
    assert (a.title, a.published_at, a.source, a.body_text, a.method) == (
        "标题一", datetime(2024, 3, 1), "某局", "一\n二", "selectors")
    page = Page(html)
    expected = {"li:nth-child(odd)": ["a", "c"], "li + li": ["b", "c"], "li ~ li": ["b", "c"],
                "li:last-child": ["c"], "[class^=co]": ["一二"], "h1, li:nth-of-type(2)": ["标题一", "b"],
                "DIV.Title > H1": [], "DIV.title > H1": ["标题一"], "div:not(.info) > span": [],
                "li:nth-last-child(2)": ["b"], "[id|=t]": ["标题一"], "[class$=xt]": ["一二"]}
    assert {s: [page.text(e) for e in compile_selector(s).select(page)] for s in expected} == expected


def test_removed_elements_are_neither_siblings_nor_matches() -> None:
    """Scripts, styles and <head> are removed before selectors run (BeautifulSoup decomposed them):
    they match nothing and do not count as siblings or text."""
    html = ("<html><head><title>t</title></head><body><script>var a;</script><div class='info'>"
            "<style>p{}</style><span>2024-03-01</span><script>x()</script><span>来源：某局</span>"
            "</div><div class='con'><p>正文一段，足够长的文字。</p><script>y()</script></div></body></html>")
    sel = Selectors(title="div.info > span:first-child", source="span + span",
                    body="body > :first-child ~ div")
    a = parse_article(html, None, sel)
    assert (a.title, a.source, a.body_text) == ("2024-03-01", "某局", "正文一段，足够长的文字。")
    page = Page(html)
    page.remove(page.iter("script", "style", "head"))
    expected = {"script, style": [], "body:first-child": ["body"], "div:first-child": ["div.info"],
                "span:nth-of-type(2)": ["span"], "p:only-child": ["p"], ":contains('var')": [],
                "div:has(script)": [], "div.info :last-child": ["span"], "span:not(:first-child)": ["span"],
                "div.info > :empty": [], "span + span": ["span"], "body > :first-child ~ div": ["div.con"]}
    assert {s: [e.tag + "".join(f".{c}" for c in classes(e)) for e in compile_selector(s).select(page)]
            for s in expected} == expected


@pytest.mark.parametrize("bad", ["a::before", "p:first-line", "a:hover", "a:visited", "*:nth-of-type(2)",
                                 "div >", ", p", "p[", "", "div:nth-child(x)"])
def test_unsupported_selector_is_an_error_naming_it(bad: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"unsupported CSS selector {bad!r}")):
        compile_selector(bad)
