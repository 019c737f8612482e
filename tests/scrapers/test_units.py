"""Small pieces of the crawler: decoding, block detection, politeness, reposts, tables, attachments."""

from __future__ import annotations

import io
import itertools
import threading
import time
from datetime import datetime

import pytest

from scrapers.attachments import parse_attachment, sniff
from scrapers.blocked import blocked_reason
from scrapers.decode import decode
from scrapers.dedup import SigRow, link_duplicates, numbers, signature
from scrapers.politeness import HostLimiter, Robots

GBK_TEXT = "营口燊达镁业科技有限公司、大石桥市犇腾耐火材料有限公司技术合同成交额5.75亿元。"


def test_decode_ignores_the_iso_default_and_reads_gb2312_meta_as_gb18030() -> None:
    body = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head>'
            f"<body>{GBK_TEXT}</body></html>").encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        body.decode("gb2312")  # 燊/犇 are outside GB2312: the declared charset is too small
    for header in ("text/html", "text/html; charset=ISO-8859-1", "text/html; charset=utf-8"):
        d = decode(body, header)
        assert GBK_TEXT in d.text and d.encoding == "gb18030" and d.ok, header


def test_decode_flags_garbled_text() -> None:
    mojibake = GBK_TEXT.encode("utf-8").decode("latin-1").encode("utf-8")  # UTF-8 read as Latin-1
    d = decode(mojibake, "text/html; charset=utf-8")
    assert not d.ok
    assert decode(GBK_TEXT.encode("utf-8"), "text/html; charset=utf-8").ok
    as_latin1 = decode(("<p>" + GBK_TEXT * 3 + "</p>").encode("gbk"), "text/html; charset=iso-8859-1")
    assert as_latin1.encoding == "gb18030" and as_latin1.ok  # no meta: detection, not the Latin-1 header
    from scrapers.decode import looks_garbled

    assert looks_garbled((GBK_TEXT * 3).encode("gbk").decode("latin-1"))


def test_challenges_are_recognised() -> None:
    jsl = "<script>document.cookie=('_')+('_')+('j');location.href=location.pathname</script>"
    assert blocked_reason(521, jsl) == "js_challenge_521"
    assert blocked_reason(412, "<html></html>") == "waf_412"
    assert blocked_reason(200, "<script>$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=1;</script>") == (
        "waf_ts_stub"
    )
    assert blocked_reason(200, "<html><body><p>正文，document.cookie 不在此列</p></body></html>") is None


def test_rate_limiter_spaces_requests_to_one_host_across_threads() -> None:
    limiter = HostLimiter(rate=20)  # 50 ms apart
    stamps: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(3):
            limiter.wait()
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stamps.sort()
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert len(stamps) == 9 and min(gaps) >= 0.045  # never faster than the limit, whatever the threads


def test_robots_rules_and_rfc9309_defaults() -> None:
    r = Robots("User-agent: *\nDisallow: /private/\nCrawl-delay: 2\n")
    assert r.allowed("http://x/a.html") and not r.allowed("http://x/private/b.html")
    assert r.crawl_delay() == 2.0
    assert Robots().allowed("http://x/private/")  # 4xx robots.txt: allow all
    assert not Robots(deny_all=True).allowed("http://x/")  # 5xx / unreachable: deny all


def _row(pid: str, url: str, text: str, day: int) -> SigRow:
    sig = signature(text)
    assert sig is not None
    return SigRow(pid, url, datetime(2024, 5, day), datetime(2024, 6, 1), sig, None, numbers(text))


BODY = ("5月21日，辽宁省科学技术厅召开全省科技工作会议，通报有关指标完成情况。1-4月全省技术合同成交额"
        "263.85亿元，同比下降0.5%。全省共登记技术合同14787项，平均每项合同金额较上年有所提高。")


def test_reposts_in_traditional_chinese_link_to_the_earliest_copy() -> None:
    import opencc

    trad = opencc.OpenCC("s2t").convert(BODY)
    original = _row("a", "http://bureau/1.html", BODY, 21)
    repost = _row("b", "http://trade/show-1.html", "据辽宁省科学技术厅消息，" + trad, 25)
    assert link_duplicates([], [repost, original]) == {"b": "a"}
    # landed in the other order (the repost first), the original still wins
    assert link_duplicates([repost], [original]) == {"b": "a"}


def test_template_news_with_other_figures_is_not_a_repost() -> None:
    a = _row("a", "http://bureau/1.html", BODY, 21)
    b = _row("b", "http://bureau/2.html", BODY.replace("5月21日", "6月18日").replace("14787", "15021"), 22)
    assert link_duplicates([a], [b]) == {}


def test_attachments_are_sniffed_from_bytes_and_corrupt_files_keep_their_cause() -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2022年拟认定高新技术企业名单"])
    ws.append(["序号", "企业名称", "证书编号"])
    ws.append([1, "营口燊达镁业科技有限公司", "GR202221000015"])
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    assert sniff(data, "pdf") == "xlsx"  # the bytes win over a lying extension
    parsed = parse_attachment(data, "xlsx")
    assert parsed.status == "parsed"
    (_, grid), = parsed.tables
    assert grid.rows[2] == ["1", "营口燊达镁业科技有限公司", "GR202221000015"]
    assert grid.header_rows == 2 and grid.caption == "2022年拟认定高新技术企业名单"
    assert grid.columns == ["序号", "企业名称", "证书编号"]
    broken = parse_attachment(data[: len(data) // 2] + b"junk", "xlsx")
    assert broken.status == "failed" and broken.error and broken.error.startswith("xlsx unreadable")
    error_page = parse_attachment(b"<html><body>404</body></html>", "pdf")
    assert error_page.status == "failed" and "HTML page" in error_page.error


@pytest.mark.parametrize(
    ("kind", "extra", "start", "second", "third"),
    [
        ("trs_index", {}, "http://h/kjzx/tzgg/index.html", "http://h/kjzx/tzgg/index_1.html",
         "http://h/kjzx/tzgg/index_2.html"),
        ("trs_index", {"first": 2}, "http://h/c1/list_gsgg.shtml", "http://h/c1/list_gsgg_2.shtml",
         "http://h/c1/list_gsgg_3.shtml"),
        ("query_page", {}, "http://h/news/list.aspx", "http://h/news/list.aspx?page=2",
         "http://h/news/list.aspx?page=3"),
        ("destoon", {}, "http://h/news/list-5.html", "http://h/news/list-5-2.html", "http://h/news/list-5-3.html"),
        ("discuz_archiver", {}, "http://h/archiver/?fid-2.html", "http://h/archiver/?fid-2.html&page=2",
         "http://h/archiver/?fid-2.html&page=3"),
    ],
)
def test_pagination_rules(kind: str, extra: dict, start: str, second: str, third: str) -> None:
    from scrapers.listing import nth_page_url
    from scrapers.registry import PortalConfig

    cfg = PortalConfig(id="p", name="p", publisher_type="city_bureau", start_urls=[start],
                       pagination={"kind": kind, **extra}, article_url_pattern=".")
    assert [nth_page_url(start, n, cfg, "") for n in range(3)] == [start, second, third]


def test_hanweb_pages_come_from_the_announced_dataproxy_and_links_from_cdata() -> None:
    from scrapers.listing import article_links, nth_page_url, page_count
    from scrapers.registry import PortalConfig

    start = "http://h/col/col1229/index.html"
    cfg = PortalConfig(id="p", name="p", publisher_type="city_bureau", start_urls=[start],
                       pagination={"kind": "hanweb_datastore"}, article_url_pattern=r"/art/.*\.html$")
    html = ('<div id="201229"><script type="text/xml"><datastore><nextgroup><![CDATA[<a href="/module/web/'
            'jpage/dataproxy.jsp?page=1&columnid=1229&unitid=201229"></a>]]></nextgroup><recordset>'
            "<record><![CDATA[<li><a href='/art/2025/10/28/art_1229_1.html' title='完整标题'>截断…</a>"
            "</li>]]></record></recordset></datastore></script></div><a href='http://elsewhere/art/x.html'>x</a>")
    links = article_links(html, start, cfg)
    assert [(lk.url, lk.title) for lk in links] == [("http://h/art/2025/10/28/art_1229_1.html", "完整标题")]
    assert nth_page_url(start, 1, cfg, html) == (
        "http://h/module/web/jpage/dataproxy.jsp?columnid=1229&unitid=201229&page=2"
    )
    assert page_count("<datastore><totalpage>3</totalpage></datastore>", cfg) == 3
