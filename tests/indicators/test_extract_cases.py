"""The extractor against sentences written by us (cases.yaml) and against templates that put every
indicator of the vocabulary seed into the report grammar."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
import yaml

from indicators import PageContext, extract
from indicators.lexicon import VOCABULARY, lexicon

HERE = Path(__file__).parent
CASES = yaml.safe_load((HERE / "cases.yaml").read_text(encoding="utf-8"))
DEFAULTS = {"level": "unspecified", "qualifier": "exact"}


def _ctx(c: dict | None) -> PageContext:
    c = c or {}
    pub = c.get("published")
    if isinstance(pub, str):
        pub = date.fromisoformat(pub)
    return PageContext(doc="case", publisher_region=c.get("region"), published=pub, title=c.get("title", ""))


def _matches(fact, want: dict) -> bool:
    row = fact.as_row()
    for k, v in {**DEFAULTS, **want}.items():
        if k == "value":
            if abs(float(row["value"]) - float(v)) > 1e-6 * max(1.0, abs(float(v))):
                return False
        elif k == "quote":
            if v not in row["quote"]:
                return False
        elif str(row.get(k)) != str(v):
            return False
    return True


def check(text: str, ctx: PageContext, want: list[dict], only: bool) -> None:
    facts = extract(text, ctx)
    for f in facts:
        assert text[f.start:f.end] == f.quote
    left = list(facts)
    for w in want:
        hit = next((f for f in left if _matches(f, w)), None)
        assert hit is not None, f"missing {w}\n  in: {text}\n  got: {[f.as_row() for f in facts]}"
        left.remove(hit)
    if only:
        assert not left, f"unexpected {[f.as_row() for f in left]}\n  in: {text}"


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:24] for c in CASES])
def test_written_case(case):
    check(case["text"], _ctx(case.get("ctx")), case.get("facts") or [], case.get("only", False))


# ------------------------------------------------------------------------------------------------
# every indicator in the seed, in the grammar of the reports

def _vocabulary() -> list[dict]:
    with open(VOCABULARY, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _names(row: dict) -> list[str]:
    names = [row["name_zh"], *filter(None, row["variants"].split("|"))]
    return [n for n in names if "、" not in n]


def _templates(row: dict):
    key, fam = row["indicator_key"], row["fact_family"]
    pub = PageContext(doc="t", publisher_region="营口市", published=date(2023, 8, 23))
    for i, name in enumerate(_names(row)):
        n = 17 + i
        level = lexicon().terms.get(name).level or "unspecified"
        if row["unit"] == "yuan":
            yield (f"上半年,全市{name}达到{n}.5亿元,同比增长{n}.2%。", pub,
                   [{"indicator": key, "fact": fam, "measure": "amount", "value": (n + 0.5) * 1e8,
                     "period": "2023H1", "region": "营口市", "unit": "yuan"},
                    {"indicator": key, "measure": "growth_pct", "value": n + 0.2, "period": "2023H1"}])
            yield (f"力争全年{name}突破{n}亿元。", pub,
                   [{"indicator": key, "measure": "target", "value": n * 1e8, "period": "2023",
                     "qualifier": "over"}])
            yield (f"2022年,全市完成{name}{n * 100}万元。", pub,
                   [{"indicator": key, "measure": "amount", "value": n * 1e6, "period": "2022"}])
        elif fam == "contract":
            verb = "" if name.startswith("登记") else "登记"
            yield (f"上半年,全市{verb}{name}{n}项。", pub,
                   [{"indicator": key, "measure": "count", "value": n, "period": "2023H1"}])
        else:
            yield (f"截至目前,全市{name}达到{n}家。", pub,
                   [{"indicator": key, "fact": fam, "measure": "total", "value": n,
                     "period": "asof:2023-08-23", "region": "营口市", "level": level}])
            yield (f"上半年,我市新增{name}{n}家,总数达{n * 10}家。", pub,
                   [{"indicator": key, "measure": "new", "value": n, "period": "2023H1", "level": level},
                    {"indicator": key, "measure": "total", "value": n * 10, "period": "2023H1",
                     "level": level}])
            yield (f"今年以来,我市推荐{n}家{name}申报。", pub,
                   [{"indicator": key, "measure": "applied", "value": n, "period": "2023", "level": level}])
            yield (f"下半年,力争新增{name}{n}家。", pub,
                   [{"indicator": key, "measure": "target", "value": n, "period": "2023", "level": level}])
            yield (f"2022年,全市{name}共有{n}家,同比增长{n}.5%。", pub,
                   [{"indicator": key, "measure": "total", "value": n, "period": "2022", "level": level},
                    {"indicator": key, "measure": "growth_pct", "value": n + 0.5, "period": "2022",
                     "level": level}])
            yield (f"全市{name}近{n}0家。", pub,
                   [{"indicator": key, "value": n * 10, "qualifier": "approx", "level": level}])


TEMPLATE_CASES = [t for row in _vocabulary() for t in _templates(row)]


@pytest.mark.parametrize("text,ctx,want", TEMPLATE_CASES, ids=[t[0][:30] for t in TEMPLATE_CASES])
def test_every_indicator_in_report_grammar(text, ctx, want):
    check(text, ctx, want, only=True)


def test_every_indicator_is_covered():
    keys = {row["indicator_key"] for row in _vocabulary()}
    covered = {w["indicator"] for _t, _c, ws in TEMPLATE_CASES for w in ws}
    written = {f["indicator"] for c in CASES for f in c.get("facts") or []}
    assert keys <= covered
    assert len(TEMPLATE_CASES) + len(CASES) >= 300
    assert written  # the hand-written cases name indicators too
