"""Chinese labels and number formatting for the report (the way a bureau's reader writes them:
5.75亿元, 3,200万元, 254, 49.8%)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

FAMILY_ZH = {"contract": "技术合同", "enterprise": "科技企业", "platform": "创新平台"}
MEASURE_ZH = {
    "total": "总数",
    "new": "新增",
    "applied": "申报",
    "amount": "金额",
    "count": "数量",
    "growth_pct": "增长率",
    "target": "目标",
}
LEVEL_ZH = {
    "national": "国家级",
    "provincial": "省级",
    "municipal": "市级",
    "district": "区县级",
    "unspecified": "",
}
QUALIFIER_ZH = {"exact": "", "approx": "约", "over": "超", "under": "不足"}
GRAIN_ZH = {
    "year": "年",
    "half_year": "半年",
    "quarter": "季度",
    "month": "月",
    "as_of_date": "时点",
    "unknown": "未知",
}
UNIT_AXIS = {"yuan": "亿元", "count": "个", "percent": "%"}


def money(value: float) -> str:
    """Yuan as 亿元 from 1e8 up, else 万元, else 元 (three significant decimals at most)."""
    v = abs(value)
    if v >= 1e8:
        return f"{value / 1e8:,.4g}亿元" if v < 1e12 else f"{value / 1e8:,.0f}亿元"
    if v >= 1e4:
        return f"{value / 1e4:,.6g}万元"
    return f"{value:,.0f}元"


def number(value: Any, unit: str | None, qualifier: str | None = None) -> str:
    """A value as the report shows it, with its qualifier (约5.75亿元, 超1,300, 49.8%)."""
    if value is None:
        return "–"
    value = float(value)
    if unit == "yuan":
        text = money(value)
    elif unit == "percent":
        text = f"{value:g}%"
    else:
        text = f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"
    return QUALIFIER_ZH.get(qualifier or "exact", "") + text


def axis_value(value: float, unit: str | None) -> float:
    """The value on a chart axis: money in 亿元 so the axis is readable."""
    return value / 1e8 if unit == "yuan" else value


def series_name(indicator_name_zh: str, level: str, measure: str) -> str:
    """技术合同成交额 · 金额, 省级 · 高新技术企业 · 新增 ..."""
    parts = (LEVEL_ZH.get(level, level), indicator_name_zh, MEASURE_ZH.get(measure, measure))
    parts = [p for p in parts if p]
    return " · ".join(parts)


def when(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
