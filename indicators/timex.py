"""Time expressions in report prose and their resolution to the period codes of INDICATORS.md:
``YYYY``, ``YYYYH1``/``H2``, ``YYYYQn``, ``YYYY-MM``, ``asof:YYYY-MM-DD``, ``unknown``."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

CN_DIGIT = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}

# Ordered alternatives; the first that matches at a position wins (longest forms first).
TIME_RE = re.compile(
    r"(?P<date>(?:(?:19|20)\d{2}年)?\d{1,2}月\d{1,2}日)"
    r"|(?P<asof>截[至止](?:到|至)?\s*(?:(?P<ay>(?:19|20)\d{2})年|(?P<arel>今年|去年|上年))?"
    r"(?:(?P<am>\d{1,2})月(?:底|末|份)?|(?P<aend>年底|年末|底|末)|(?P<anow>目前|现在|当前|今|日前))?)"
    r"|(?P<now>目前|当前|现阶段|至今)"
    r"|(?P<to>(?:预计|力争|计划)?(?:到|至)(?P<ty>(?:19|20)\d{2})年)"
    r"|(?P<span>(?=(?:19|20)\d{2}年|今年|本年|去年|上年|明年|以来|上半年|下半年|前三季度|第?[一二三四1-4]季度"
    r"|[1一]\s*[-—–~至到]\s*\d{1,2}月|\d{1,2}月|全年|年底|年末)"
    r"(?:(?P<y>(?:19|20)\d{2})年|(?P<rel>今年|本年|去年|上年|明年))?(?:以来)?"
    r"(?:(?P<half>上半年|下半年)|(?P<q3>前三季度)|(?:第)?(?P<q>[一二三四1-4])季度"
    r"|(?P<m1>1|一)\s*[-—–~至到]\s*(?P<m2>\d{1,2})月(?:份)?|(?P<mon>\d{1,2})月(?:份)?(?!\d{0,2}日)"
    r"|(?P<full>全年)|(?P<yend>年底|年末))?)"
)


@dataclass(frozen=True)
class TimeExpr:
    start: int
    end: int
    kind: str               # asof_pub | asof | year | half | quarter | month | to_year
    year: int | None = None  # absolute year when written
    rel: int = 0            # years relative to the publish year (去年 → -1) when no absolute year
    part: int = 0           # half 1/2, quarter 1..4, month 1..12
    day: str = ""           # for asof: MM-DD

    def resolve(self, measure: str, pub: date | None, pub_year: int | None, shift: int = 0) -> str:
        y = self.year if self.year is not None else (pub_year + self.rel if pub_year else None)
        if y is not None:
            y += shift
        if measure == "target":
            return str(y) if y else "unknown"
        if self.kind == "asof_pub":
            return f"asof:{pub.isoformat()}" if pub else "unknown"
        if y is None:
            return "unknown"
        if shift:
            return str(y)
        if self.kind == "asof":
            return f"asof:{y}-{self.day}"
        if self.kind == "half":
            return f"{y}H{self.part}"
        if self.kind == "quarter":
            return f"{y}Q{self.part}"
        if self.kind == "month":
            return f"{y}-{self.part:02d}"
        return str(y)


def find_times(text: str, skip: list[tuple[int, int]] | None = None) -> list[TimeExpr]:
    """Time expressions that give a period, in order; dates of single days, comparisons (较去年) and
    anything inside 《》 or quotes (``skip`` spans) are left out."""
    out = []
    for m in TIME_RE.finditer(text):
        if m.start() == m.end() or m.group("date"):
            continue
        s, e = m.start(), m.end()
        if skip and any(a <= s < b for a, b in skip):
            continue
        before = text[max(0, s - 2):s]
        if before.endswith(("较", "比", "与", "于")) or before in ("同比", "相比", "环比"):
            continue
        g = m.groupdict()
        if g["asof"]:
            if g["anow"] or not (g["ay"] or g["arel"] or g["am"] or g["aend"]):
                out.append(TimeExpr(s, e, "asof_pub"))
                continue
            year = int(g["ay"]) if g["ay"] else None
            rel = {"去年": -1, "上年": -1}.get(g["arel"] or "", 0)
            month = int(g["am"]) if g["am"] else 12
            if not 1 <= month <= 12:
                continue
            last = calendar.monthrange(year or 2001, month)[1]
            out.append(TimeExpr(s, e, "asof", year, rel, month, f"{month:02d}-{last:02d}"))
        elif g["now"]:
            out.append(TimeExpr(s, e, "asof_pub"))
        elif g["to"]:
            out.append(TimeExpr(s, e, "to_year", int(g["ty"])))
        elif g["span"]:
            year = int(g["y"]) if g["y"] else None
            if year is not None and text[max(0, s - 1):s] in ("—", "-", "–", "~", "至", "到"):
                continue  # the end of a range (2023—2025年) is not a period of the figures
            rel = {"去年": -1, "上年": -1, "明年": 1}.get(g["rel"] or "", 0)
            if g["half"]:
                out.append(TimeExpr(s, e, "half", year, rel, 1 if g["half"] == "上半年" else 2))
            elif g["q3"]:
                out.append(TimeExpr(s, e, "month", year, rel, 9))
            elif g["q"]:
                out.append(TimeExpr(s, e, "quarter", year, rel, CN_DIGIT[g["q"]]))
            elif g["m2"]:
                mon = int(g["m2"])
                if 1 <= mon <= 12:
                    out.append(TimeExpr(s, e, "month", year, rel, mon))
            elif g["mon"]:
                mon = int(g["mon"])
                if 1 <= mon <= 12 and (year is not None or g["rel"]):
                    out.append(TimeExpr(s, e, "month", year, rel, mon))
            elif g["yend"]:
                if year is not None or g["rel"]:
                    out.append(TimeExpr(s, e, "asof", year, rel, 12, "12-31"))
            elif year is not None or g["rel"] or g["full"]:
                out.append(TimeExpr(s, e, "year", year, rel))
    return out
