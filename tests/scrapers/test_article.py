"""The generic article parser on small pages written by us in the styles of the portal platforms."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from scrapers.article import parse_article
from scrapers.registry import Selectors

FIX = Path(__file__).parent / "fixtures"


def read(name: str) -> str:
    return (FIX / name).read_text(encoding="utf-8")


def test_trs_page_meta_tags_body_table_and_attachment() -> None:
    a = parse_article(read("trs_article.html"), "http://kjt.fixture-prov.gov.cn/kjzx/tzgg/202403/t20240301_1.html")
    assert a.title == "关于2024年全省技术合同登记情况的通报"
    assert a.published_at == datetime(2024, 3, 1, 10, 20)
    assert a.source == "省科技厅成果转化处"
    assert a.body_text.startswith("2024年，全省共登记技术合同12345项")
    for chrome in ("打印本页", "上一篇", "下一篇", "版权所有", "当前位置", "扫一扫", "不应出现", "字体"):
        assert chrome not in a.body_text
    # rowspan/colspan expanded, two header rows detected, numbers parsed
    (grid,) = a.tables
    assert grid.header_rows == 2
    assert grid.rows[3] == ["甲市", "300", "120"]
    assert grid.columns == ["地区", "技术合同/项数", "技术合同/成交额（万元）"]
    assert grid.values[2][1:] == [1200.0, 3400.5]
    assert "甲市" not in a.body_text  # tables are landed as grids, not as body text
    (att,) = a.attachments
    assert att.url == "http://kjt.fixture-prov.gov.cn/kjzx/tzgg/202403/P020240301512345678901.xlsx"
    assert att.ext == "xlsx"


def test_discuz_archiver_drops_author_line_and_page_marker() -> None:
    a = parse_article(read("discuz_archiver.html"), "http://bbs.fixture-mgo.com/archiver/?tid-88.html")
    assert a.title == "高新区技术合同成交额创新高"
    assert a.published_at == datetime(2023, 8, 23, 10, 5)
    assert "页:" not in a.body_text and "查看完整版本" not in a.body_text and "kjfan" not in a.body_text
    assert a.body_text.splitlines() == [
        "据高新区管委会消息，今年上半年全区技术合同成交额达到3.2亿元，比上年同期增长两成。",
        "全区新增高新技术企业45家，累计达到312家。",
    ]


def test_content_density_without_known_container() -> None:
    a = parse_article(read("plain_article.html"), "http://kjj.fixture-county.gov.cn/news/show.aspx?id=5")
    assert a.title == "县科技局召开科技创新工作会议"
    assert a.published_at == datetime(2024, 12, 20, 9, 12, 16)
    assert a.source == "县科学技术局"
    lines = a.body_text.splitlines()
    assert len(lines) == 3 and lines[0].startswith("12月19日")
    assert "主办单位" not in a.body_text and "专题会议" not in a.body_text


def test_selectors_override_generic_fields() -> None:
    sel = Selectors(title="div.sub", date=None, source=None, body="div.left-list")
    a = parse_article(read("plain_article.html"), None, sel)
    assert a.title.startswith("2024/12/20")
    assert "专题会议" in a.body_text
    assert a.method == "mixed"


def test_lowercase_meta_variants_and_chinese_date() -> None:
    html = (
        '<html><head><meta name="articletitle" content="标题甲">'
        '<meta name="pubdate" content="2020年08月02日">'
        '<meta name="contentSource" content="邯郸市科技局"></head><body><div id="zoom">'
        "<p>正文内容，足够长的一段文字。</p></div></body></html>"
    )
    a = parse_article(html)
    assert (a.title, a.published_at, a.source) == ("标题甲", datetime(2020, 8, 2), "邯郸市科技局")
    assert a.body_text == "正文内容，足够长的一段文字。"
