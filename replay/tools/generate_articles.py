"""Authoring aid: writes the bulk of the replay web's articles as YAML data (`g_*.yaml` beside the
hand-written ones) from a bank of sentence patterns written by us, labelling every figure as it is
written, so text and answer key cannot drift apart. Deterministic (fixed seed): re-running it
rewrites identical files. The server never runs this; it only reads the YAML.

    python -m replay.tools.generate_articles            # rewrite replay/data/articles/*/g_*.yaml

Labelling follows INDICATORS.md: every figure-bearing sentence names its own time expression (or
sits under a plan heading), so periods never depend on a neighbouring paragraph."""

from __future__ import annotations

import datetime as dt
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import cn2an
import opencc
import yaml

DATA = Path(__file__).resolve().parent.parent / "data"

FAMILY = {
    "tech_contract_turnover": "contract",
    "tech_contract_registered": "contract",
    "tech_contract_count": "contract",
    **{
        k: "enterprise"
        for k in (
            "tech_sme",
            "high_tech",
            "chuying",
            "gazelle",
            "unicorn",
            "chuying_gazelle",
            "new_economy",
            "little_giant",
            "specialized_sme",
            "tech_leader",
            "tech_enterprise_pool",
            "single_champion",
            "ip_demo",
            "rd_active_enterprise",
        )
    },
    **{
        k: "platform"
        for k in (
            "key_lab",
            "tech_innovation_center",
            "engineering_center",
            "enterprise_tech_center",
            "pilot_base",
            "maker_space",
            "incubator",
            "star_maker",
            "new_rd_institute",
            "tech_transfer",
            "iur_alliance",
            "innovation_platform",
        )
    },
}

ASOF_PUB = "ASOF_PUB"  # resolved to asof:<publish date> of the page that carries the sentence


@dataclass
class Ctx:
    rng: random.Random
    rw: str  # region word in the text: 全市 / 我市 / 全省 / 全区 / 本县 / a place name
    region: str  # what it resolves to
    per: str  # time expression opening the sentence ("" under a plan heading)
    period: str  # its period key
    year: int  # the year the figures are about
    pub: dt.date
    subs: list[str] = field(default_factory=list)
    scale: float = 1.0  # province ≫ city ≫ county


def fact(
    quote: str,
    ind: str,
    measure: str,
    value: float | int,
    region: str,
    period: str,
    unit: str = "count",
    qual: str = "exact",
    level: str = "unspecified",
) -> dict[str, Any]:
    return {
        "quote": quote,
        "fact": FAMILY[ind],
        "indicator": ind,
        "level": level,
        "measure": measure,
        "value": value,
        "unit": unit,
        "qualifier": qual,
        "region": region,
        "period": period,
    }


# --- numbers as bureaus write them ------------------------------------------------------------------
def money(c: Ctx, lo: float, hi: float, key: str | None = None, region: str | None = None) -> tuple[str, int]:
    """An amount in 亿元 (with decimals) or 万元, and its value in yuan."""
    scale = sub_scale(c) if region else c.scale
    v = truth(c, key, lambda: c.rng.uniform(lo, hi) * scale, region)
    if v >= 5 or (v >= 1 and c.rng.random() < 0.6):
        d = Decimal(f"{v:.2f}").normalize()
        return f"{d:f}亿元", int(d * 100_000_000)
    wan = int(v * 10_000)
    return f"{wan}万元", wan * 10_000


def pct(c: Ctx, lo: float = 5, hi: float = 45, key: str | None = None) -> tuple[str, float]:
    v = round(truth(c, key, lambda: c.rng.uniform(lo, hi)), 1)
    return f"{v}", v


# One true value per (region, period, indicator, measure): two articles stating the same figure agree,
# as real reports and their reposts do, so the marts see support rather than invented conflicts.
TRUTH: dict[tuple[Any, ...], float] = {}
ROTATION: dict[str, list[Any]] = {}


def sub_scale(c: Ctx) -> float:
    """Scale of a sub-region: a province's cities are city-sized, a city's districts a quarter."""
    return 1.0 if c.region.endswith("省") else c.scale / 4


def _period_span(period: str) -> tuple[int, int] | None:
    """(year, months covered from January) of a flow period key: 2023 → 12, 2023H1 → 6, 2023-08 → 8."""
    if period.isdigit():
        return int(period), 12
    if period.endswith("H1"):
        return int(period[:4]), 6
    if len(period) == 7 and period[4] == "-":
        return int(period[:4]), int(period[5:])
    return None


# Where a region's real order of magnitude differs by indicator (a province's technology market is
# far larger, relative to a city's, than its enterprise counts), so that generated figures sit near
# the hand-written ones taken from real reports (辽宁 2023H1: 468亿元, 29551 科技型中小企业).
SCALE_OVERRIDES = {
    "辽宁省": {"turnover": 60, "registered": 60, "contract_count": 30, "sme": 30, "hitech": 37}
}


def _trajectory(key: str, region: str, period: str, scale: float, rng: random.Random) -> float | None:
    """Figures that grow over the years like a real region's, so a time series of the marts looks
    like one: stocks compound from a 2021 base, flows are a share of the year's total."""
    span = _period_span(period)
    if span is None:
        return None
    year, months = span
    group = key.removesuffix("_new").removesuffix("_total").removesuffix("_growth")
    scale = SCALE_OVERRIDES.get(region, {}).get(group, scale)
    mult = scale * (0.8 + (zlib.crc32(region.encode()) % 400) / 1000)  # regions differ
    t_end = year - 2021 + months / 12
    t_jan = year - 2021
    noise = 1 + rng.uniform(-0.04, 0.04)
    if key == "sme_total":
        return round(600 * mult * 1.22**t_end)
    if key == "sme_new":
        jan = 600 * mult * 1.22**t_jan
        return max(1, round((600 * mult * 1.22**t_end - jan + 0.1 * jan * months / 12) * noise))
    if key == "hitech_total":
        return round(200 * mult * 1.12**t_end)
    if key == "hitech_new":
        jan = 200 * mult * 1.12**t_jan
        return max(1, round((200 * mult * 1.12**t_end - jan + 0.12 * jan * months / 12) * noise))
    if key == "turnover":  # 亿元
        return 12 * mult * 1.2**t_jan * months / 12 * noise
    if key == "turnover_growth":
        return rng.uniform(3, 40) if rng.random() > 0.2 else -rng.uniform(2, 12)  # now and then 同比下降
    if key == "registered":
        return 7 * mult * 1.2**t_jan * months / 12 * noise
    if key == "contract_count":
        return max(1, round(800 * mult * 1.1**t_jan * months / 12 * noise))
    return None


def truth(
    c: Ctx, key: str | None, draw: Callable[[], float], region: str | None = None, period: str | None = None
) -> float:
    """The one value of `key` for (region, period); `period` overrides the sentence's own (a stock
    "截至目前" follows the trajectory up to the publish month)."""
    if key is None:
        return draw()
    k = (region or c.region, period or c.period, key)
    if k not in TRUTH:
        scale = sub_scale(c) if region else c.scale
        planned = _trajectory(key, region or c.region, period or c.period, scale, c.rng)
        TRUTH[k] = planned if planned is not None else draw()
    return TRUTH[k]


def count(
    c: Ctx,
    lo: int,
    hi: int,
    unit: str = "家",
    scaled: bool = True,
    qualified: bool = True,
    chinese: bool = True,
    key: str | None = None,
    region: str | None = None,
    floor: int = 0,
    period: str | None = None,
) -> tuple[str, int, str]:
    """A count with its measure word and, sometimes, a qualifier (余/近/约/超/以上/多/不足)."""
    scale = sub_scale(c) if region else c.scale
    # floor: a stock stated with its increment is larger than the increment
    n = int(
        truth(
            c,
            key,
            lambda: max(1, int(c.rng.randint(lo, hi) * (scale if scaled else 1))) + (floor if floor else 0),
            region,
            period,
        )
    )
    roll = c.rng.random()
    if qualified and n >= 20 and roll < 0.18:
        n = round(n, -1)
        forms = [
            (f"{n}余{unit}", "over"),
            (f"近{n}{unit}", "approx"),
            (f"约{n}{unit}", "approx"),
            (f"超{n}{unit}", "over"),
            (f"{n}{unit}以上", "over"),
            (f"{n}多{unit}", "over"),
            (f"不足{n}{unit}", "under"),
        ]
        rot = ROTATION.setdefault("qualifier", [])  # dealt in turn, so each form appears
        if not rot:
            rot.extend(c.rng.sample(range(len(forms)), len(forms)))
        form, qual = forms[rot.pop()]
        return form, n, qual
    if chinese and n <= 30 and roll > 0.75:
        word = "两" if n == 2 else cn2an.an2cn(n)
        return f"{word}{unit}", n, "exact"
    return f"{n}{unit}", n, "exact"


# --- sentence bank: each returns (sentence, facts) ----------------------------------------------------
Stmt = Callable[[Ctx], tuple[str, list[dict[str, Any]]]]


@dataclass(frozen=True)
class Figure:
    """A drawn figure: how the sentence writes it and the fact it makes (value, unit, qualifier)."""

    text: str
    value: float | int
    unit: str = "count"
    qual: str = "exact"


@dataclass(frozen=True)
class Draw:
    """One random figure of a pattern, named for the templates. `floor` and `region` name earlier
    draws; `period` is a template (`{year}`, `{pub:%Y-%m}`) of the sentence's fields."""

    name: str
    kind: str  # count | money | pct | int
    lo: float
    hi: float
    opts: tuple[tuple[str, Any], ...] = ()

    def into(self, c: Ctx, env: dict[str, Any]) -> None:
        opts = dict(self.opts)
        if "floor" in opts:
            opts["floor"] = env[opts["floor"]].value
        if "region" in opts:
            opts["region"] = env[opts["region"]]
        if "period" in opts:
            opts["period"] = opts["period"].format(**fields(c, env))
        if self.kind == "count":
            text, n, qual = count(c, int(self.lo), int(self.hi), **opts)
            env[self.name] = Figure(text, n, "count", qual)
        elif self.kind == "money":
            text, v = money(c, self.lo, self.hi, **opts)
            env[self.name] = Figure(text, v, "yuan")
        elif self.kind == "pct":
            text, p = pct(c, self.lo, self.hi, **opts)
            env[self.name] = Figure(text, p, "percent")
        else:  # a number in the text that is no indicator
            env[self.name] = str(c.rng.randint(int(self.lo), int(self.hi)))


def count_of(name: str, lo: int, hi: int, **opts: Any) -> Draw:
    """A count (see `count`)."""
    return Draw(name, "count", lo, hi, tuple(opts.items()))


def money_of(name: str, lo: float, hi: float, **opts: Any) -> Draw:
    """An amount of money (see `money`)."""
    return Draw(name, "money", lo, hi, tuple(opts.items()))


def pct_of(name: str, lo: float = 5, hi: float = 45, **opts: Any) -> Draw:
    """A percentage (see `pct`)."""
    return Draw(name, "pct", lo, hi, tuple(opts.items()))


def int_of(name: str, lo: int, hi: int) -> Draw:
    """A plain integer of the text (not labelled)."""
    return Draw(name, "int", lo, hi)


@dataclass(frozen=True)
class Pick:
    """Sub-regions named by the sentence (`c.subs`): one chosen, or several distinct ones."""

    names: tuple[str, ...]

    def into(self, c: Ctx, env: dict[str, Any]) -> None:
        if len(self.names) == 1:
            env[self.names[0]] = c.rng.choice(c.subs)
        else:
            env.update(zip(self.names, c.rng.sample(c.subs, len(self.names)), strict=True))


@dataclass(frozen=True)
class F:
    """A fact a sentence states: `quote`, `region` and `period` are templates of its fields, `figure`
    names the draw that carries value, unit and qualifier."""

    quote: str
    indicator: str
    measure: str
    figure: str
    level: str = "unspecified"
    period: str = "{period}"
    region: str = "{region}"


YEAR_END = "asof:{year}-12-31"


def fields(c: Ctx, env: dict[str, Any]) -> dict[str, Any]:
    return {
        "per": c.per,
        "rw": c.rw,
        "year": c.year,
        "pub": c.pub,
        "period": c.period,
        "region": c.region,
        **{k: v.text if isinstance(v, Figure) else v for k, v in env.items()},
    }


def draw(c: Ctx, draws: tuple[Draw | Pick, ...]) -> dict[str, Any]:
    env: dict[str, Any] = {}
    for d in draws:
        d.into(c, env)
    return env


def render(
    c: Ctx, env: dict[str, Any], text: str, facts: tuple[F, ...] = ()
) -> tuple[str, list[dict[str, Any]]]:
    """The one renderer of the bank: the sentence and its labelled facts from the drawn figures."""
    fs = fields(c, env)
    out = []
    for f in facts:
        fig = env[f.figure]
        out.append(
            fact(
                f.quote.format(**fs),
                f.indicator,
                f.measure,
                fig.value,
                f.region.format(**fs),
                f.period.format(**fs),
                fig.unit,
                fig.qual,
                f.level,
            )
        )
    return text.format(**fs), out


@dataclass(frozen=True, eq=False)  # identity: SAME_FIGURE and the rotations hold patterns
class Pattern:
    """A statement of the bank as data: figures drawn in order, the sentence, the facts it states."""

    draws: tuple[Draw | Pick, ...]
    text: str
    facts: tuple[F, ...] = ()

    def __call__(self, c: Ctx) -> tuple[str, list[dict[str, Any]]]:
        return render(c, draw(c, self.draws), self.text, self.facts)


TURNOVER, TURNOVER_GROWTH = "tech_contract_turnover", "growth_pct"
TURNOVER_DRAWS = (money_of("m", 8, 40, key="turnover"), pct_of("g", -12, 45, key="turnover_growth"))


def s_turnover(c: Ctx) -> tuple[str, list[dict[str, Any]]]:
    env = draw(c, TURNOVER_DRAWS)
    name = c.rng.choice(["技术合同成交额", "技术合同成交额", "技术合同交易额", "技术交易额"])
    m, g, up = env["m"].text, env["g"], env["g"].value >= 0
    env["head"] = f"{name}达到{m}" if up else f"{name}{m}"
    env["change"] = f"同比增长{g.text}%" if up else f"同比下降{abs(g.value)}%"
    env["lead"] = f"{c.per}，{c.rw}" if up else f"受重大项目结转影响，{c.per}{c.rw}"
    return render(
        c,
        env,
        "{lead}{head}，{change}。",
        (F("{head}", TURNOVER, "amount", "m"), F("{head}，{change}", TURNOVER, TURNOVER_GROWTH, "g")),
    )


def s_turnover_growth_first(c: Ctx) -> tuple[str, list[dict[str, Any]]]:
    env = draw(c, TURNOVER_DRAWS)
    if env["g"].value < 0:
        return s_turnover(c)
    return render(
        c,
        env,
        "{per}，{rw}技术合同成交额同比增长{g}%，达到{m}，增速高于上年同期。",
        (
            F("技术合同成交额同比增长{g}%，达到{m}", TURNOVER, "amount", "m"),
            F("技术合同成交额同比增长{g}%", TURNOVER, TURNOVER_GROWTH, "g"),
        ),
    )


s_turnover_shixian = Pattern(
    (money_of("m", 8, 40, key="turnover"),),
    "{per}，{rw}实现技术合同成交额{m}，技术合同登记服务实现县（市）区全覆盖。",
    (F("实现技术合同成交额{m}", TURNOVER, "amount", "m"),),
)
s_sme_pre = Pattern(
    (count_of("n", 150, 900, key="sme_new", qualified=False),),
    "{per}，{rw}新培育{n}科技型中小企业，科技企业“微成长、小升高、高壮大”梯次培育成效明显。",
    (F("新培育{n}科技型中小企业", "tech_sme", "new", "n"),),
)
s_hitech_pre = Pattern(
    (
        count_of("n", 40, 400, qualified=False, key="hitech_new"),
        count_of("t", 200, 1500, key="hitech_total", floor="n"),
    ),
    "{per}，{rw}新认定{n}高新技术企业，总量达到{t}。",
    (
        F("新认定{n}高新技术企业", "high_tech", "new", "n"),
        F("新认定{n}高新技术企业，总量达到{t}", "high_tech", "total", "t"),
    ),
)
s_contract_count = Pattern(
    (
        count_of("n", 300, 1800, unit="项", chinese=False, key="contract_count"),
        money_of("m", 8, 40, key="turnover"),
    ),
    "{per}，{rw}共登记技术合同{n}，成交额{m}，平均每项合同金额较上年有所提高。",
    (
        F("登记技术合同{n}", "tech_contract_count", "count", "n"),
        F("技术合同{n}，成交额{m}", TURNOVER, "amount", "m"),
    ),
)
s_registered = Pattern(
    (money_of("m", 2, 20, key="registered"), int_of("x", 52, 130)),
    "{per}，{rw}完成技术合同登记额{m}，完成年度目标任务的{x}%。",
    (F("完成技术合同登记额{m}", "tech_contract_registered", "amount", "m"),),
)
s_turnover_subs = Pattern(
    (
        Pick(("a", "b")),
        money_of("m1", 8, 40, key="turnover", region="a"),
        money_of("m2", 8, 40, key="turnover", region="b"),
    ),
    "{per}，{a}、{b}技术合同成交额分别为{m1}和{m2}。",
    (
        F("技术合同成交额分别为{m1}", TURNOVER, "amount", "m1", region="{a}"),
        F("技术合同成交额分别为{m1}和{m2}", TURNOVER, "amount", "m2", region="{b}"),
    ),
)
s_sme = Pattern(
    (
        count_of("n", 150, 900, key="sme_new"),
        count_of("t", 900, 4000, qualified=False, key="sme_total", floor="n"),
    ),
    "{per}，{rw}新增科技型中小企业{n}，总数达到{t}。",
    (
        F("新增科技型中小企业{n}", "tech_sme", "new", "n"),
        F("新增科技型中小企业{n}，总数达到{t}", "tech_sme", "total", "t"),
    ),
)
s_sme_ruku = Pattern(
    (count_of("n", 150, 900, qualified=False, key="sme_new"), pct_of("g", 8, 60)),
    "{per}，{rw}科技型中小企业评价入库{n}，同比增长{g}%，入库数量创历史新高。",
    (
        F("科技型中小企业评价入库{n}", "tech_sme", "new", "n"),
        F("科技型中小企业评价入库{n}，同比增长{g}%", "tech_sme", "growth_pct", "g"),
    ),
)
s_sme_national = Pattern(
    (count_of("n", 300, 2500, key="sme_total", period="{year}"),),
    "截至{year}年底，{rw}共有国家科技型中小企业{n}。",
    (F("共有国家科技型中小企业{n}", "tech_sme", "total", "n", "national", YEAR_END),),
)
s_hitech = Pattern(
    (
        count_of("n", 40, 400, qualified=False, key="hitech_new"),
        count_of("t", 200, 1500, key="hitech_total", floor="n"),
        pct_of("g", 5, 30),
    ),
    "{per}，{rw}新认定高新技术企业{n}，有效期内高新技术企业总数达到{t}，同比增长{g}%。",
    (
        F("新认定高新技术企业{n}", "high_tech", "new", "n"),
        F("有效期内高新技术企业总数达到{t}", "high_tech", "total", "t"),
        F("有效期内高新技术企业总数达到{t}，同比增长{g}%", "high_tech", "growth_pct", "g"),
    ),
)
s_hitech_applied = Pattern(
    (count_of("n", 30, 300),),
    "{per}，{rw}组织{n}企业申报高新技术企业，申报数量为近年来最多。",
    (F("组织{n}企业申报高新技术企业", "high_tech", "applied", "n"),),
)
s_gaoqi = Pattern(
    (count_of("t", 150, 1200, key="hitech_total", period="{pub:%Y-%m}"),),
    "截至目前，{rw}高企数量达到{t}，较“十三五”末实现翻番。",
    (F("高企数量达到{t}", "high_tech", "total", "t", period=ASOF_PUB),),
)
s_chuying_gazelle = Pattern(
    (
        count_of("a", 10, 80, qualified=False),
        count_of("b", 3, 30, qualified=False),
        count_of("u", 1, 2, scaled=False, qualified=False),
    ),
    "{per}，{rw}新认定雏鹰企业{a}、瞪羚企业{b}、独角兽企业{u}。",
    (
        F("新认定雏鹰企业{a}", "chuying", "new", "a"),
        F("瞪羚企业{b}", "gazelle", "new", "b"),
        F("独角兽企业{u}", "unicorn", "new", "u"),
    ),
)
s_chuying_gazelle_joint = Pattern(
    (count_of("n", 30, 260),),
    "{per}，{rw}雏鹰瞪羚企业总数达到{n}，梯度培育体系基本形成。",
    (F("雏鹰瞪羚企业总数达到{n}", "chuying_gazelle", "total", "n"),),
)
s_new_economy = Pattern(
    (count_of("n", 60, 400),),
    "截至{year}年底，{rw}雏鹰、瞪羚、独角兽等新经济企业达到{n}。",
    (F("雏鹰、瞪羚、独角兽等新经济企业达到{n}", "new_economy", "total", "n", period=YEAR_END),),
)
s_little_giant = Pattern(
    (count_of("n", 3, 25, qualified=False), count_of("t", 20, 90, qualified=False, floor="n")),
    "{per}，{rw}{n}企业入选国家级专精特新“小巨人”企业名单，累计达到{t}。",
    (
        F("{n}企业入选国家级专精特新“小巨人”企业", "little_giant", "new", "n", "national"),
        F("专精特新“小巨人”企业名单，累计达到{t}", "little_giant", "total", "t", "national"),
    ),
)
s_specialized = Pattern(
    (count_of("n", 20, 200),),
    "{per}，{rw}新认定省级专精特新中小企业{n}。",
    (F("新认定省级专精特新中小企业{n}", "specialized_sme", "new", "n", "provincial"),),
)
s_leader = Pattern(
    (count_of("n", 3, 40, qualified=False),),
    "目前，{rw}共有科技领军企业{n}，带动上下游配套企业300余家。",
    (F("共有科技领军企业{n}", "tech_leader", "total", "n", period=ASOF_PUB),),
)
s_pool = Pattern(
    (count_of("n", 300, 3000),),
    "{per}，{rw}科技型企业培育库入库企业达到{n}。",
    (F("科技型企业培育库入库企业达到{n}", "tech_enterprise_pool", "total", "n"),),
)
s_champion = Pattern(
    (count_of("n", 2, 15, qualified=False),),
    "截至{year}年底，{rw}拥有国家级制造业单项冠军企业{n}。",
    (F("拥有国家级制造业单项冠军企业{n}", "single_champion", "total", "n", "national", YEAR_END),),
)
s_ip_demo = Pattern(
    (count_of("n", 2, 20, qualified=False), pct_of("g")),
    "{per}，{rw}新增国家知识产权示范企业{n}，发明专利授权量同比增长{g}%。",
    (F("新增国家知识产权示范企业{n}", "ip_demo", "new", "n", "national"),),
)
s_rd_active = Pattern(
    (count_of("n", 80, 900), int_of("x", 31, 62)),
    "{per}，{rw}有研发活动的规上工业企业{n}，占规上工业企业的{x}%。",
    (F("有研发活动的规上工业企业{n}", "rd_active_enterprise", "total", "n"),),
)
s_keylab = Pattern(
    (
        count_of("n", 2, 20, unit="个", qualified=False),
        count_of("t", 20, 160, unit="个", qualified=False, floor="n"),
    ),
    "{per}，{rw}新增省级重点实验室{n}，累计达到{t}。",
    (
        F("新增省级重点实验室{n}", "key_lab", "new", "n", "provincial"),
        F("新增省级重点实验室{n}，累计达到{t}", "key_lab", "total", "t", "provincial"),
    ),
)


def s_keylab_qizhong(c: Ctx) -> tuple[str, list[dict[str, Any]]]:
    lo, hi = (1, 6) if c.scale < 5 else (9, 14)  # a province has a dozen national labs, a city a few
    env = draw(
        c,
        (
            count_of("m", lo, hi, unit="个", scaled=False, qualified=False),
            count_of("t", 20, 160, unit="个", qualified=False, floor="m"),
        ),
    )
    return render(
        c,
        env,
        "截至{year}年底，{rw}省级以上重点实验室达到{t}，其中全国重点实验室{m}。",
        (
            F("省级以上重点实验室达到{t}", "key_lab", "total", "t", "provincial", YEAR_END),
            F("其中全国重点实验室{m}", "key_lab", "total", "m", "national", YEAR_END),
        ),
    )


# 省级 carried over from the first item to the next ones in the list
s_platform_list = Pattern(
    (
        count_of("a", 2, 15, unit="个", qualified=False),
        count_of("b", 2, 20, qualified=False),
        count_of("e", 2, 20, qualified=False),
    ),
    "{per}，{rw}新增省级重点实验室{a}、技术创新中心{b}、工程技术研究中心{e}。",
    (
        F("新增省级重点实验室{a}", "key_lab", "new", "a", "provincial"),
        F("技术创新中心{b}", "tech_innovation_center", "new", "b", "provincial"),
        F("工程技术研究中心{e}", "engineering_center", "new", "e", "provincial"),
    ),
)
s_tic = Pattern(
    (count_of("n", 2, 12, qualified=False),),
    "{per}，{rw}获批省级技术创新中心{n}，数量居全省前列。",
    (F("获批省级技术创新中心{n}", "tech_innovation_center", "new", "n", "provincial"),),
)
s_eng = Pattern(
    (count_of("n", 20, 200),),
    "截至{year}年底，{rw}市级以上工程技术研究中心达到{n}。",
    (F("市级以上工程技术研究中心达到{n}", "engineering_center", "total", "n", "municipal", YEAR_END),),
)
s_etc = Pattern(
    (count_of("n", 2, 30, qualified=False),),
    "{per}，{rw}新认定省级企业技术中心{n}。",
    (F("新认定省级企业技术中心{n}", "enterprise_tech_center", "new", "n", "provincial"),),
)
s_pilot = Pattern(
    (count_of("n", 2, 12, qualified=False),),
    "{per}，{rw}建成省级中试基地{n}，为中小企业提供中试熟化服务200余次。",
    (F("建成省级中试基地{n}", "pilot_base", "total", "n", "provincial"),),
)
s_pilot_applied = Pattern(
    (count_of("n", 3, 15, qualified=False),),
    "{per}，{rw}推荐{n}企业申报省级中试基地。",
    (F("推荐{n}企业申报省级中试基地", "pilot_base", "applied", "n", "provincial"),),
)
s_maker = Pattern(
    (count_of("a", 1, 4, scaled=False, qualified=False), count_of("b", 3, 12, qualified=False)),
    "{per}，{rw}新增国家级、省级众创空间分别为{a}和{b}。",
    (
        F("新增国家级、省级众创空间分别为{a}", "maker_space", "new", "a", "national"),
        F("新增国家级、省级众创空间分别为{a}和{b}", "maker_space", "new", "b", "provincial"),
    ),
)
s_incubator = Pattern(
    (count_of("m", 2, 9, scaled=False, qualified=False), count_of("t", 10, 120, qualified=False, floor="m")),
    "截至{year}年底，{rw}省级以上科技企业孵化器达到{t}，其中国家级{m}。",
    (
        F("省级以上科技企业孵化器达到{t}", "incubator", "total", "t", "provincial", YEAR_END),
        F("其中国家级{m}", "incubator", "total", "m", "national", YEAR_END),
    ),
)
s_star = Pattern(
    (count_of("n", 1, 8, scaled=False, qualified=False),),
    "{per}，{rw}新增省级星创天地{n}，服务农业科技企业和新型农业经营主体。",
    (F("新增省级星创天地{n}", "star_maker", "new", "n", "provincial"),),
)
s_new_rd = Pattern(
    (count_of("n", 5, 60, qualified=False),),
    "截至目前，{rw}已建成新型研发机构{n}，集聚研发人员1200余人。",
    (F("已建成新型研发机构{n}", "new_rd_institute", "total", "n", period=ASOF_PUB),),
)
s_transfer = Pattern(
    (count_of("n", 2, 10, qualified=False), count_of("t", 10, 60, qualified=False, floor="n")),
    "{per}，{rw}新增技术转移机构{n}，累计达到{t}。",
    (
        F("新增技术转移机构{n}", "tech_transfer", "new", "n"),
        F("新增技术转移机构{n}，累计达到{t}", "tech_transfer", "total", "t"),
    ),
)
s_iur = Pattern(
    (count_of("n", 5, 40, unit="个", qualified=False),),
    "{per}，{rw}组建实质性产学研联盟{n}，联合攻关关键核心技术难题。",
    (F("组建实质性产学研联盟{n}", "iur_alliance", "new", "n"),),
)
s_platforms_total = Pattern(
    (count_of("n", 100, 900, unit="个"),),
    "截至{year}年底，{rw}各类科技创新平台总数达到{n}。",
    (F("各类科技创新平台总数达到{n}", "innovation_platform", "total", "n", period=YEAR_END),),
)
s_sub_sme = Pattern(
    (Pick(("sub",)), count_of("n", 150, 900, qualified=False, key="sme_new", region="sub")),
    "其中，{sub}{per}新增科技型中小企业{n}，增量居各地区首位。",
    (F("新增科技型中小企业{n}", "tech_sme", "new", "n", region="{sub}"),),
)
s_sub_fenbie = Pattern(
    (
        Pick(("a", "b", "d")),
        *(count_of(f"n{r}", 40, 400, qualified=False, key="hitech_new", region=r) for r in "abd"),
    ),
    "分地区看，{per}{a}、{b}、{d}新认定高新技术企业分别为{na}、{nb}和{nd}。",
    (
        F("新认定高新技术企业分别为{na}", "high_tech", "new", "na", region="{a}"),
        F("新认定高新技术企业分别为{na}、{nb}", "high_tech", "new", "nb", region="{b}"),
        F("新认定高新技术企业分别为{na}、{nb}和{nd}", "high_tech", "new", "nd", region="{d}"),
    ),
)


# Sentences with numbers that are not indicators (precision matters as much as recall).
d_funding = Pattern(
    (money_of("m", 0.2, 3), int_of("x", 30, 200)),
    "{per}，{rw}财政安排科技专项资金{m}，支持科技计划项目{x}个。",
)
d_patents = Pattern(
    (int_of("a", 300, 6000), pct_of("g"), int_of("b", 5, 40), int_of("c", 1, 9)),
    "{per}，{rw}发明专利授权量{a}件，同比增长{g}%，每万人口高价值发明专利拥有量{b}.{c}件。",
)
d_people = Pattern(
    (int_of("a", 50, 600), int_of("b", 5, 40)), "{per}，{rw}选派科技特派员{a}人，引进高层次人才团队{b}个。"
)


def d_rnd(c: Ctx) -> tuple[str, list[dict[str, Any]]]:
    m, _ = money(c, 10, 80)
    return f"{c.per}，{c.rw}全社会研发投入{m}，研发投入强度达到{c.rng.randint(15, 35) / 10}%。", []


def d_batches(c: Ctx) -> tuple[str, list[dict[str, Any]]]:
    return (
        f"围绕“十四五”科技创新规划，{c.rw}实施科技型企业培育三年行动，"
        f"已组织第{cn2an.an2cn(c.rng.randint(2, 9))}批"
        + (
            f"企业申报辅导，覆盖{c.rng.randint(5, 14)}个县（市）区。"
            if c.rw[-1] in "市省"
            else f"企业申报辅导，覆盖{c.rng.randint(5, 14)}个乡镇（街道、园区）。"
        )
    ), []


d_loans = Pattern(
    (money_of("m", 0.5, 6), int_of("x", 40, 300)),
    "{per}，“科技贷”为{x}家次企业发放贷款{m}，单笔最高1000万元。",
)


def d_deal(c: Ctx) -> tuple[str, list[dict[str, Any]]]:
    return (
        "其中，一项镁基新材料制备技术以1.3亿元的价格实现转让，创下单项技术交易额新高。"
        if c.rng.random() < 0.5
        else "活动现场签约项目23个，意向金额4.6亿元。"
    ), []


# Statements that state the same figure (the period's new 科技型中小企业, its 高企 counts)
SAME_FIGURE = [{s_sme, s_sme_ruku, s_sme_pre}, {s_hitech, s_hitech_pre}]

FLOW = [
    s_turnover,
    s_contract_count,
    s_registered,
    s_sme,
    s_sme_ruku,
    s_hitech,
    s_hitech_applied,
    s_chuying_gazelle,
    s_chuying_gazelle_joint,
    s_little_giant,
    s_specialized,
    s_pool,
    s_ip_demo,
    s_rd_active,
    s_keylab,
    s_platform_list,
    s_tic,
    s_etc,
    s_pilot,
    s_pilot_applied,
    s_maker,
    s_star,
    s_transfer,
    s_iur,
]
STOCK = [
    s_sme_national,
    s_gaoqi,
    s_new_economy,
    s_leader,
    s_champion,
    s_keylab_qizhong,
    s_eng,
    s_incubator,
    s_new_rd,
    s_platforms_total,
]
SUBS = [s_turnover_subs, s_sub_sme, s_sub_fenbie]
DISTRACT = [d_funding, d_patents, d_people, d_rnd, d_batches, d_loans, d_deal]


def targets(c: Ctx, plan_year: int) -> tuple[str, list[dict[str, Any]]]:
    """A plan-section sentence: every figure is a target for the plan year."""
    py = str(plan_year)

    def planned(key: str, uplift: float) -> float:  # a goal a little above the region's own curve
        return (_trajectory(key, c.region, py, c.scale, c.rng) or 1) * uplift

    nv = max(10, round(planned("sme_new", 1.1) / 10) * 10)
    hv = max(5, round(planned("hitech_new", 1.1) / 5) * 5)
    d = Decimal(f"{planned('turnover', 1.08):.1f}").normalize()
    env = {
        "n": Figure(f"{nv}家", nv),
        "h": Figure(f"{hv}家", hv),
        "m": Figure(f"{d:f}亿元", int(d * 100_000_000), "yuan"),
    }
    count_of("p", 3, 15, qualified=False, chinese=False).into(c, env)
    env["plan"] = py
    return render(
        c,
        env,
        "力争新增科技型中小企业{n}、高新技术企业{h}，技术合同成交额达到{m}，确保新建省级以上创新平台{p}。",
        (
            F("力争新增科技型中小企业{n}", "tech_sme", "target", "n", period="{plan}"),
            F("高新技术企业{h}", "high_tech", "target", "h", period="{plan}"),
            F("技术合同成交额达到{m}", TURNOVER, "target", "m", period="{plan}"),
            F("确保新建省级以上创新平台{p}", "innovation_platform", "target", "p", "provincial", "{plan}"),
        ),
    )


# --- places -------------------------------------------------------------------------------------------
@dataclass
class Place:
    portal: str
    org: str  # publisher, as in 来源
    region: str
    words: list[str]  # how the text names its own region
    subs: list[str]
    scale: float
    columns: tuple[str, str]  # (news column, notices column)


PLACES = {
    "yingkou_kjj": Place(
        "yingkou_kjj",
        "营口市科学技术局",
        "营口市",
        ["全市", "我市"],
        ["站前区", "西市区", "鲅鱼圈区", "老边区", "大石桥市", "盖州市"],
        1.0,
        ("gzdt", "tzgg"),
    ),
    "liaoning_kjt": Place(
        "liaoning_kjt",
        "辽宁省科学技术厅",
        "辽宁省",
        ["全省", "我省"],
        ["沈阳市", "大连市", "鞍山市", "锦州市", "营口市", "盘锦市", "丹东市"],
        9.0,
        ("gzdt", "tzgg"),
    ),
    "huzhou_kjj": Place(
        "huzhou_kjj",
        "湖州市科学技术局",
        "湖州市",
        ["全市", "我市"],
        ["吴兴区", "南浔区", "德清县", "长兴县", "安吉县"],
        2.0,
        ("col1229", "col1230"),
    ),
    "moganshan_gxq": Place(
        "moganshan_gxq",
        "莫干山高新区科技局",
        "莫干山高新区",
        ["全区", "本区", "高新区"],
        [],
        0.4,
        ("gzdt", "tzgg"),
    ),
    "changxing_kjj": Place(
        "changxing_kjj", "长兴县科学技术局", "长兴县", ["全县", "我县"], [], 0.5, ("news", "tzgg")
    ),
}


def period_for(kind: str, year: int, rng: random.Random) -> tuple[str, str, dt.date, str]:
    """(time expression, period key, publish date, title stem) for a report of `kind` about `year`."""
    if kind == "annual":
        pub = dt.date(year + 1, rng.randint(1, 2), rng.randint(5, 25))
        return f"{year}年", str(year), pub, f"{year}年科技创新工作总结"
    if kind == "half":
        pub = dt.date(year, 7, rng.randint(8, 28))
        return (
            rng.choice([f"{year}年上半年", "上半年", "今年上半年"]),
            f"{year}H1",
            pub,
            f"{year}年上半年科技工作总结",
        )
    if kind == "months":
        m = rng.choice([4, 5, 8] if year >= 2025 else [4, 5, 8, 10, 11])  # nothing after the clock's day 0
        pub = dt.date(year, m + 1, rng.randint(8, 25))
        return (
            rng.choice([f"{year}年1-{m}月", f"今年1-{m}月", f"1-{m}月"]),
            f"{year}-{m:02d}",
            pub,
            f"1-{m}月科技创新主要指标运行情况",
        )
    pub = dt.date(year, 10, rng.randint(10, 28))  # q3
    return rng.choice([f"{year}年前三季度", "前三季度"]), f"{year}-09", pub, "前三季度科技创新工作综述"


NEWS_TITLES = {
    "contract": [
        "{rn}技术合同成交额实现较快增长",
        "{rn}技术转移转化工作成效明显",
        "{per}{rn}技术市场保持活跃",
    ],
    "enterprise": [
        "{rn}科技企业梯度培育工作取得新进展",
        "{rn}高新技术企业数量稳步增长",
        "{rn}科技型中小企业持续扩量提质",
    ],
    "platform": ["{rn}科技创新平台建设提速", "{rn}新增一批省级科技创新平台", "{rn}创新载体建设再上新台阶"],
}

OPENERS = [
    "{md}，{org}召开全{lvl}科技工作会议，通报有关指标完成情况。",
    "记者从{org}获悉，{rn}科技创新主要指标保持良好态势。",
    "近年来，{org}深入实施创新驱动发展战略，推动科技创新和产业创新深度融合。",
    "{md}，{org}主要负责同志带队赴企业调研，了解企业研发和成果转化情况。",
]
CLOSERS = [
    "下一步，{org}将持续优化创新生态，推动各项指标稳中有进。",
    "{org}有关负责人表示，将进一步加大政策宣传和服务力度。",
    "会议要求，各地区各部门要对标年度目标，压实工作责任。",
]


def build_report(
    place: Place, kind: str, year: int, rng: random.Random, theme: str | None, doc_id: str, with_targets: bool
) -> dict[str, Any]:
    per, period, pub, stem = period_for(kind, year, rng)
    pub_dt = dt.datetime.combine(pub, dt.time(rng.randint(8, 17), rng.choice([0, 5, 12, 20, 30, 45])))
    lvl = {"辽宁省": "省", "长兴县": "县", "莫干山高新区": "区"}.get(place.region, "市")
    rn = ("我" + place.words[0][1:]) if place.words[0].startswith("全") else place.region

    def ctx(rw: str | None = None) -> Ctx:
        return Ctx(
            rng, rw or rng.choice(place.words), place.region, per, period, year, pub, place.subs, place.scale
        )

    paragraphs: list[str] = []
    facts: list[dict[str, Any]] = []
    md = f"{pub.month}月{max(pub.day - rng.randint(1, 4), 1)}日"
    paragraphs.append(rng.choice(OPENERS).format(md=md, org=place.org, lvl=lvl, rn=rn))
    if with_targets:
        paragraphs.append(
            f"一、{per.removeprefix('今年')}工作完成情况"
            if per[0].isdigit()
            else f"一、{year}年{per.removeprefix('今年')}工作完成情况"
        )
    pools = {
        "contract": [s_turnover, s_contract_count, s_registered, s_turnover_growth_first, s_turnover_shixian],
        "enterprise": [
            s_sme,
            s_sme_pre,
            s_hitech_pre,
            s_sme_ruku,
            s_hitech,
            s_hitech_applied,
            s_chuying_gazelle,
            s_chuying_gazelle_joint,
            s_little_giant,
            s_specialized,
            s_pool,
            s_ip_demo,
            s_rd_active,
        ],
        "platform": [
            s_keylab,
            s_platform_list,
            s_tic,
            s_etc,
            s_pilot,
            s_pilot_applied,
            s_maker,
            s_star,
            s_transfer,
            s_iur,
        ],
    }

    # Statements are dealt from per-pool rotations, so every pattern of the bank gets used.
    def deal(pool: str, n: int) -> list[Stmt]:
        rot = ROTATION.setdefault(pool, [])
        out: list[Stmt] = []
        while len(out) < n:
            if not rot:
                rot.extend(rng.sample(pools[pool], len(pools[pool])))
            stmt = rot.pop()
            group = next((g for g in SAME_FIGURE if stmt in g), {stmt})
            if not any(o in group for o in out):  # one article states a figure once
                out.append(stmt)
        return out

    pools["stock"], pools["subs"] = STOCK, SUBS
    if theme == "contract":  # one statement of the turnover (several would repeat the figure), one other
        chosen = [*deal("contract", 1), s_registered, *deal("enterprise", 1)]
        if chosen[0] is s_registered:
            chosen[1] = s_turnover
    elif theme:
        chosen = deal(theme, 3)
    else:
        chosen = [*deal("contract", 1), *deal("enterprise", 2), *deal("platform", 2)]
    if kind == "annual":
        chosen += deal("stock", 1)
    elif rng.random() < 0.4:
        chosen.append(rng.choice([s_gaoqi, s_leader, s_new_rd]))
    if place.subs and rng.random() < 0.6:
        chosen += deal("subs", 1)
    for i, stmt in enumerate(chosen):
        text, fs = stmt(ctx())
        paragraphs.append(text)
        facts.extend(fs)
        if i == 1 or (i == 3 and rng.random() < 0.5):
            paragraphs.append(rng.choice(DISTRACT)(ctx())[0])
    if with_targets:
        plan_year = year + 1 if kind == "annual" else year
        paragraphs.append(f"二、{plan_year}年工作打算")
        text, fs = targets(ctx(), plan_year)
        paragraphs.append(text)
        facts.extend(fs)
    paragraphs.append(rng.choice(CLOSERS).format(org=place.org))
    if kind in ("annual", "half"):
        title = f"{place.org}{stem}" + ("和下一步工作打算" if with_targets else "")
    else:
        title = rng.choice(NEWS_TITLES[theme or "enterprise"]).format(
            rn=rn if rn != place.region else place.region, per=per if per[0].isdigit() else ""
        )
    for f in facts:
        if f["period"] == ASOF_PUB:
            f["period"] = f"asof:{pub.isoformat()}"
    return {
        "id": doc_id,
        "column": place.columns[0],
        "title": title,
        "published": pub_dt.strftime("%Y-%m-%d %H:%M"),
        "source": place.org,
        "paragraphs": paragraphs,
        "facts": facts,
    }


# --- enterprise lists, notices and filler -------------------------------------------------------------
SURNAME_PARTS = [
    "燊",
    "喆",
    "堃",
    "镕",
    "珺",
    "昇",
    "犇",
    "华",
    "宏",
    "鑫",
    "泰",
    "瑞",
    "恒",
    "达",
    "远",
    "嘉",
    "睿",
    "卓",
    "诚",
    "海",
    "源",
    "盛",
    "辰",
    "博",
    "创",
]
TRADES = [
    "新材料",
    "智能装备",
    "电子科技",
    "生物科技",
    "环保科技",
    "精密机械",
    "信息技术",
    "化工科技",
    "医疗器械",
    "能源科技",
]


def company(rng: random.Random, place: str) -> str:
    a, b = rng.sample(SURNAME_PARTS, 2)
    return f"{place}{a}{b}{rng.choice(TRADES)}有限公司"


def make_list(
    list_id: str, title: str, kind: str, regions: list[str], n: int, year: int, rng: random.Random
) -> None:
    rows = []
    for i in range(1, n + 1):
        reg = regions[min(len(regions) - 1, (i - 1) * len(regions) // n)]
        short = reg.removesuffix("市").removesuffix("区").removesuffix("县")
        if kind == "sme":
            code = f"{year}3305{rng.randint(0, 99):02d}A{rng.randint(1000, 9999):04d}"
        elif kind == "national":
            code = f"GR{year}{regions[0][-2:] and rng.randint(11, 65)}{rng.randint(1000000, 9999999):07d}"[
                :14
            ]
        else:
            code = f"GR{year}{rng.randint(11, 65)}{rng.randint(1000000, 9999999):07d}"[:14]
        rows.append([i, reg, company(rng, short), code])
    cols = ["序号", "地区", "企业名称", "入库登记编号" if kind == "sme" else "证书编号"]
    if kind == "national":  # innocom lists: 序号 | 企业名称 | 证书编号
        cols = ["序号", "企业名称", "证书编号"]
        rows = [[r[0], r[2], r[3]] for r in rows]
    data = {"title": title, "columns": cols, "rows": rows}
    if kind == "sme":
        data["group_header"] = {"t": "入库信息", "span": 2}
    (DATA / "lists" / f"{list_id}.yaml").write_text(
        "# generated by replay/tools/generate_articles.py\n"
        + yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )


def build_list_notice(
    place: Place, year: int, batch: int, kind: str, rng: random.Random, doc_id: str, attach: list[str], n: int
) -> dict[str, Any]:
    list_id = f"g_{doc_id}"
    what = "科技型中小企业入库名单" if kind == "sme" else "拟认定高新技术企业名单"
    bn = cn2an.an2cn(batch)
    title = (
        f"关于公布{place.region}{year}年第{bn}批{what}的通知"
        if kind == "sme"
        else f"关于{place.region}{year}年第{bn}批{what}的公示"
    )
    regions = place.subs[:3] or [place.region]
    make_list(list_id, f"{place.region}{year}年第{bn}批{what}", kind, regions, n, year, rng)
    pub = dt.datetime(
        year,
        rng.choice([4, 6, 9] if year >= 2025 else [4, 6, 9, 11]),
        rng.randint(3, 26),
        rng.randint(9, 17),
        30,
    )
    verb = "入库" if kind == "sme" else "拟认定为高新技术企业"
    subject = "科技型中小企业" if kind == "sme" else "企业"
    ind = "tech_sme" if kind == "sme" else "high_tech"
    cnt = f"{n}家"
    first = (
        (
            f"根据科技部、财政部、税务总局《科技型中小企业评价办法》，经企业自主评价、形式审查和公示，"
            f"{place.region}{year}年第{bn}批共有{cnt}{subject}{verb}，现予以公布。"
        )
        if kind == "sme"
        else (
            f"根据《高新技术企业认定管理办法》有关规定，经企业申报、专家评审，"
            f"{place.region}{year}年第{bn}批共有{cnt}{subject}{verb}，现予以公示。"
        )
    )
    quote = f"共有{cnt}{subject}{verb}"
    kinds = {"xlsx": ".xlsx", "xls": ".xls", "pdf": ".pdf"}
    return {
        "id": doc_id,
        "column": place.columns[1],
        "title": title,
        "published": pub.strftime("%Y-%m-%d %H:%M"),
        "source": place.org,
        "paragraphs": [
            first,
            f"公示期为{pub.month}月{pub.day}日至{pub.month}月{min(pub.day + 9, 28)}日。对名单有异议的，"
            f"请在公示期内以书面形式向{place.org}反映，逾期不予受理。",
            f"联系电话：0{rng.randint(410, 579)}-{rng.randint(2000000, 3999999)}。",
        ],
        "tables": [{"after": 0, "list": list_id}],
        "attachments": [
            {"name": f"{place.region}{year}年第{bn}批{what}{kinds[k]}", "kind": k, "list": list_id}
            for k in attach
        ],
        "facts": [fact(quote, ind, "new", n, place.region, str(year))],
    }


FILLER_TITLES = [
    (
        "关于组织申报{y}年度{r}科技计划项目的通知",
        [
            "为做好{y}年度科技计划项目组织工作，现将有关事项通知如下。",
            "申报单位须为在{r}注册的独立法人，项目实施期一般为2年，申报截止时间为{y}年{m}月{d}日17:00。",
            "每个单位限报项目不超过{k}项，项目资助额度一般不超过{f}万元。",
            "联系人：王老师，联系电话：{tel}。",
        ],
    ),
    (
        "关于举办{y}年科技成果转化培训班的通知",
        [
            "为提升技术经纪人业务能力，定于{y}年{m}月{d}日举办科技成果转化培训班。",
            "培训对象为各县（市）区科技部门工作人员及企业技术负责人，名额{p}人。",
            "请于{m}月{d2}日前将报名表发送至指定邮箱。",
        ],
    ),
    (
        "{r}召开{y}年科技创新政策宣讲会",
        [
            "{m}月{d}日，{org}召开科技创新政策宣讲会，{p}余名企业代表参加。",
            "会上解读了研发费用加计扣除、高新技术企业税收优惠等政策，现场解答企业问题{q}个。",
            "与会企业表示，将用足用好各项惠企政策。",
        ],
    ),
    (
        "关于开展{y}年度科技统计调查工作的通知",
        [
            "根据国家统计局批准的科技统计调查制度，现开展{y}年度科技统计调查工作。",
            "请各单位于{m}月{d}日前通过统计系统报送数据，统计报表共{k}张。",
            "联系电话：{tel}。",
        ],
    ),
]


def build_filler(place: Place, year: int, rng: random.Random, doc_id: str, i: int) -> dict[str, Any]:
    # a different notice template for each filler of a portal: a bureau does not publish the same
    # text twice, and near-duplicates would (rightly) be taken for reposts
    title_t, paras_t = FILLER_TITLES[(i + len(place.portal)) % len(FILLER_TITLES)]
    m, d = rng.randint(3, 11), rng.randint(3, 20)
    vals = {
        "y": year,
        "r": place.region,
        "m": m,
        "d": d,
        "d2": max(d - 3, 1),
        "org": place.org,
        "tel": f"0{rng.randint(410, 579)}-{rng.randint(2000000, 3999999)}",
        "k": rng.randint(2, 6),
        "f": rng.choice([20, 30, 50, 80, 100]),
        "p": rng.randint(8, 30) * 10,
        "q": rng.randint(12, 60),
    }
    pub = dt.datetime(year, max(m - 1, 1), rng.randint(1, 27), rng.randint(8, 17), rng.choice([0, 15, 40]))
    return {
        "id": doc_id,
        "column": place.columns[1],
        "title": title_t.format(**vals),
        "published": pub.strftime("%Y-%m-%d %H:%M"),
        "source": place.org,
        "paragraphs": [p.format(**vals) for p in paras_t],
        "facts": [],
    }


# --- reposts ---------------------------------------------------------------------------------------------
_s2t = opencc.OpenCC("s2t")


def repost(
    original: dict[str, Any],
    portal: str,
    doc_id: str,
    column: str,
    rng: random.Random,
    traditional: bool,
    original_url: str | None,
    days_later: int,
) -> dict[str, Any]:
    """Near-identical copy: a lead line added, the closing paragraph dropped, optionally in 繁體."""
    pub = dt.datetime.strptime(original["published"], "%Y-%m-%d %H:%M") + dt.timedelta(
        days=days_later, hours=2
    )
    paras = [f"据{original['source']}消息，" + original["paragraphs"][0], *original["paragraphs"][1:-1]]
    facts = [dict(f) for f in original["facts"]]
    title = original["title"]
    if traditional:
        paras = [_s2t.convert(p) for p in paras]
        title = _s2t.convert(title)
        for f in facts:
            f["quote"] = _s2t.convert(f["quote"])
    body = "\n".join(paras)
    kept = []
    for f in facts:
        if f["quote"] in body:
            kept.append(f)
        else:  # the dropped closing paragraph, or a conversion that differs in context
            assert not traditional or _s2t.convert(f["quote"]) not in body, f["quote"]
    for f in kept:
        if f["period"].startswith("asof:") and f["period"] == f"asof:{original['published'][:10]}":
            f["period"] = f"asof:{pub.date().isoformat()}"  # 截至目前 resolves against the repost's date
    out = {
        "id": doc_id,
        "column": column,
        "title": title,
        "published": pub.strftime("%Y-%m-%d %H:%M"),
        "source": original["source"] if not traditional else _s2t.convert(original["source"]),
        "paragraphs": paras,
        "facts": kept,
        "repost_of": original["id"],
    }
    if traditional:
        out["language"] = "zh-Hant"
    if original_url:
        out["original_url"] = original_url
    return out


INNOCOM_PROVINCES = [
    ("辽宁省", "liaoning"),
    ("浙江省", "zhejiang"),
    ("江苏省", "jiangsu"),
    ("山东省", "shandong"),
    ("四川省", "sichuan"),
    ("湖北省", "hubei"),
    ("陕西省", "shaanxi"),
]


def build_innocom(i: int, rng: random.Random) -> dict[str, Any]:
    """A national 备案公示 notice for one province's batch, with the list as a PDF."""
    prov, short = INNOCOM_PROVINCES[i % len(INNOCOM_PROVINCES)]
    year = 2021 + i % 5
    batch = 1 + i % 3
    bn = cn2an.an2cn(batch)
    doc_id = f"g_innocom_{year}_{short}_{i:02d}"
    list_id = f"g_{doc_id}"
    make_list(
        list_id,
        f"{prov}{year}年认定机构{['', '第一', '第二', '第三'][batch]}批认定报备高新技术企业名单",
        "national",
        [prov],
        rng.randint(10, 18),
        year,
        rng,
    )
    n = rng.randint(800, 6000)
    pub = dt.datetime(year, rng.choice([7, 9, 10, 11] if year < 2025 else [7, 9]), rng.randint(2, 27), 15, 0)
    quote = f"{prov}{year}年认定机构第{bn}批拟认定高新技术企业{n}家"
    return {
        "id": doc_id,
        "column": "gsgg",
        "title": f"对{prov}{year}年认定机构{['', '第一', '第二', '第三'][batch]}批"
        "认定报备高新技术企业拟进行补充备案的公示",
        "list_title": f"对{prov}{year}年认定机构第{bn}批认定报备高新技…",
        "published": pub.strftime("%Y-%m-%d %H:%M"),
        "source": "全国高新技术企业认定管理工作领导小组办公室",
        "paragraphs": [
            f"根据《高新技术企业认定管理办法》（国科发火〔2016〕32号）和《高新技术企业认定管理工作指引》"
            f"（国科发火〔2016〕195号）有关规定，现对{quote}进行公示（部分名单见附件）。",
            f"公示时间为{pub.month}月{pub.day}日至{pub.month}月{min(pub.day + 9, 28)}日。"
            "公示期内，任何单位和个人对名单有异议的，"
            "可通过书面方式向全国高新技术企业认定管理工作领导小组办公室提出。",
            "联系电话：010-88654321。",
        ],
        "attachments": [
            {"name": f"{prov}{year}年第{bn}批拟认定高新技术企业名单.pdf", "kind": "pdf", "list": list_id}
        ],
        "facts": [fact(quote, "high_tech", "new", n, prov, str(year))],
    }


def write(portal: str, art: dict[str, Any]) -> None:
    folder = DATA / "articles" / portal
    folder.mkdir(parents=True, exist_ok=True)
    text = "# generated by replay/tools/generate_articles.py; edit the generator, not this file\n"
    text += yaml.safe_dump(
        {k: v for k, v in art.items() if k != "id"},
        allow_unicode=True,
        sort_keys=False,
        width=200,
        default_flow_style=None,
    )
    (folder / f"{art['id']}.yaml").write_text(text, encoding="utf-8")


def check(art: dict[str, Any]) -> None:
    body = "\n".join(art["paragraphs"])
    for f in art["facts"]:
        assert f["quote"] in body, (art["id"], f["quote"])


KEYS = {
    ("tech_contract_turnover", "amount"): "turnover",
    ("tech_contract_turnover", "growth_pct"): "turnover_growth",
    ("tech_contract_registered", "amount"): "registered",
    ("tech_contract_count", "count"): "contract_count",
    ("tech_sme", "new"): "sme_new",
    ("tech_sme", "total"): "sme_total",
    ("high_tech", "new"): "hitech_new",
    ("high_tech", "total"): "hitech_total",
}


def seed_truth() -> None:
    """Figures of the hand-written articles are facts too: generated ones must agree with them."""
    for path in sorted((DATA / "articles").glob("*/[!g]*.yaml")):
        for f in yaml.safe_load(path.read_text(encoding="utf-8")).get("facts", []):
            key = KEYS.get((f["indicator"], f["measure"]))
            if key:
                value = f["value"] / 100_000_000 if f["unit"] == "yuan" else f["value"]
                TRUTH.setdefault((f["region"], str(f["period"]), key), value)


def main() -> None:
    rng = random.Random(20251120)
    TRUTH.clear()
    ROTATION.clear()
    seed_truth()
    for path in (DATA / "articles").glob("*/g_*.yaml"):
        path.unlink()
    for path in (DATA / "lists").glob("g_*.yaml"):
        path.unlink()
    written: dict[str, dict[str, Any]] = {}
    themes = [None, "contract", "enterprise", "platform"]
    plan = {  # portal -> (reports, notices, fillers)
        "yingkou_kjj": (12, 2, 4),
        "liaoning_kjt": (12, 2, 4),
        "huzhou_kjj": (12, 3, 4),
        "moganshan_gxq": (8, 2, 3),
        "changxing_kjj": (8, 2, 3),
    }
    attach_cycle = [["xlsx"], ["xls"], ["pdf"], ["xlsx", "pdf"], ["xls"]]
    n_att = 0
    for portal, (reports, notices, fillers) in plan.items():
        place = PLACES[portal]
        for i in range(reports):
            year = 2021 + (i * 5) // reports
            kind = ["annual", "half", "months", "q3"][i % 4]
            if kind == "annual" and year >= 2025:  # a 2025 annual report is not out by day 0
                year = 2024
            theme = None if kind in ("annual", "half") else themes[1 + i % 3]
            doc_id = f"g_{portal.split('_')[0]}_{year}_{kind}_{i:02d}"
            art = build_report(place, kind, year, rng, theme, doc_id, with_targets=kind in ("annual", "half"))
            check(art)
            written[doc_id] = art | {"portal": portal}
            write(portal, art)
        for i in range(notices):
            year = 2021 + (i * 2 + len(portal)) % 5
            kind = "sme" if i % 2 == 0 else "hitech"
            doc_id = f"g_{portal.split('_')[0]}_{year}_list_{i:02d}"
            art = build_list_notice(
                place, year, i + 1, kind, rng, doc_id, attach_cycle[n_att % 5], rng.randint(8, 12) + 5 * i
            )
            n_att += 1
            check(art)
            written[doc_id] = art | {"portal": portal}
            write(portal, art)
        for i in range(fillers):
            year = 2021 + (i * 3 + len(portal)) % 5
            doc_id = f"g_{portal.split('_')[0]}_{year}_notice_{i:02d}"
            art = build_filler(place, year, rng, doc_id, i)
            written[doc_id] = art | {"portal": portal}
            write(portal, art)
    for i in range(7):
        art = build_innocom(i, rng)
        check(art)
        write("innocom", art)
    # reposts on the trade site (GBK) and its forum, some in Traditional Chinese
    originals = [
        d
        for d, a in written.items()
        if a["portal"] in ("yingkou_kjj", "liaoning_kjt") and a["facts"] and "_list_" not in d
    ]
    originals = sorted(originals)[::2]
    for i, doc in enumerate(originals[:12]):
        orig = written[doc]
        trad = i % 4 == 3
        art = repost(orig, "mgo_news", f"g_mgo_repost_{i:02d}", "5", rng, trad, None, 1 + i % 3)
        check(art)
        write("mgo_news", art)
    notices = sorted(d for d, a in written.items() if a["portal"] == "yingkou_kjj" and "_list_" in d)
    for i, doc in enumerate(notices):
        art = repost(written[doc], "mgo_news", f"g_mgo_list_repost_{i:02d}", "5", rng, False, None, 1)
        art["tables"] = written[doc]["tables"]
        art["attachments"] = [dict(att, external=True) for att in written[doc]["attachments"]]
        check(art)
        write("mgo_news", art)
    for i, doc in enumerate(originals[1:14:2]):
        orig = written[doc]
        trad = i % 3 == 2
        art = repost(orig, "mgo_bbs", f"g_bbs_repost_{i:02d}", "2", rng, trad, None, 2 + i % 4)
        art["author"] = rng.choice(["镁材小编", "辽南老王", "耐材观察", "bluesky2008"])
        check(art)
        write("mgo_bbs", art)
    print(f"wrote {len(written)} bureau articles and reposts")


if __name__ == "__main__":
    main()
