"""First rule set (crude): vocabulary mention + the nearest number with a unit in the same clause."""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path

import ahocorasick

from indicators.model import Fact, PageContext

SEED = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds" / "indicator_vocabulary.csv"
NUM = re.compile(r"(约|近|超过|超)?(\d+(?:\.\d+)?)(余|多)?(亿元|万元|元|家|个|户|项|所|份)(以上|左右)?")
CLAUSE = re.compile(r"[^,，;；。！？!?\n]+")


@lru_cache(maxsize=1)
def _automaton():
    auto = ahocorasick.Automaton()
    with SEED.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            for word in [row["name_zh"], *filter(None, row["variants"].split("|"))]:
                auto.add_word(word, (len(word), row["indicator_key"], row["fact_family"], row["unit"]))
    auto.make_automaton()
    return auto


def extract(text: str, ctx: PageContext | None = None) -> list[Fact]:
    ctx = ctx or PageContext()
    if not isinstance(text, str) or not text:
        return []
    auto = _automaton()
    facts = []
    for cl in CLAUSE.finditer(text):
        s = cl.group()
        hits = sorted(((end - n + 1, end + 1, key, fam, unit) for end, (n, key, fam, unit) in auto.iter(s)),
                      key=lambda h: (h[0], -h[1]))
        if not hits:
            continue
        for m in NUM.finditer(s):
            money = m.group(4).endswith("元")
            cands = [h for h in hits if (h[4] == "yuan") == money]
            if not cands:
                continue
            h = min(cands, key=lambda h: abs(h[0] - m.start()))
            value = float(m.group(2)) * {"亿元": 1e8, "万元": 1e4}.get(m.group(4), 1)
            q = "over" if (m.group(3) or m.group(5) == "以上" or m.group(1) in ("超", "超过")) else (
                "approx" if m.group(1) or m.group(5) else "exact")
            a, b = min(h[0], m.start()), max(h[1], m.end())
            facts.append(Fact(
                fact=h[3], indicator=h[2], level="unspecified",
                measure="amount" if money else ("count" if h[3] == "contract" else "total"),
                value=value, unit=h[4], qualifier=q, region=ctx.publisher_region or "unknown",
                period=str(ctx.published.year) if ctx.published else "unknown",
                quote=text[cl.start() + a:cl.start() + b], start=cl.start() + a, end=cl.start() + b))
    return facts
