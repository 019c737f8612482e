"""Robustness: arbitrary text and HTML never make the extractor raise, and every quote it returns is
the exact substring of its input at the offsets it gives."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indicators import PageContext, extract

WORDS = ["高新技术企业", "科技型中小企业", "技术合同成交额", "重点实验室", "众创空间", "孵化器", "全市",
         "我省", "新增", "达到", "累计", "推荐", "申报", "力争", "其中", "分别为", "由", "提升至",
         "同比增长", "下降",
         "上半年", "截至目前", "2022年", "1-10月", "家", "个", "亿元", "万元", "%", "余", "近", "超", "以上",
         "两", "三百", "十一", "第七批", "、", ",", "。", ";", "\n", "國家級", "技術合同成交額",
         "營口高新區", "12", "3.5", "１２０", "营口市", "盐湖高新区", "《", "》", "“", "”", "上一篇:", "(一)",
         "一、", "目前"]
CHARS = st.characters(blacklist_categories=("Cs",))
report_text = st.lists(st.one_of(st.sampled_from(WORDS), st.text(CHARS, max_size=6),
                                 st.integers(0, 100000).map(str)), max_size=60).map("".join)
TAGS = ["<p>", "</p>", "<div class='x'>", "</div>", "<br/>", "&nbsp;", "<script>var a=1;</script>",
        "<!-- c -->", "&lt;", "<a href='#'>"]
html_text = st.lists(st.one_of(st.sampled_from(TAGS), report_text), max_size=20).map("".join)
contexts = st.builds(PageContext, doc=st.just("p"),
                     publisher_region=st.sampled_from([None, "营口市", "辽宁省", "盐湖高新区", "不存在市"]),
                     published=st.one_of(st.none(), st.dates(date(1990, 1, 1), date(2100, 12, 31))))


def _check(text: str, ctx: PageContext) -> None:
    for f in extract(text, ctx):
        assert text[f.start:f.end] == f.quote
        assert f.quote
        assert f.unit in ("yuan", "count", "percent")
        assert f.measure in ("total", "new", "applied", "amount", "count", "growth_pct", "target")
        assert f.qualifier in ("exact", "approx", "over", "under")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(report_text, contexts)
def test_report_like_text_never_raises_and_quotes_are_exact(text, ctx):
    _check(text, ctx)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(html_text, contexts)
def test_html_never_raises_and_quotes_are_exact(text, ctx):
    _check(text, ctx)


@settings(max_examples=150, deadline=None)
@given(st.text(CHARS, max_size=300))
def test_arbitrary_unicode(text):
    _check(text, PageContext())


def test_odd_inputs():
    for bad in ("", " ", "\n\n", None, 123, "。" * 50, "家" * 30, "1" * 400 + "家", "由由由至至至"):
        assert isinstance(extract(bad, None), list)  # type: ignore[arg-type]
