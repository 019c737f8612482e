"""The vocabulary, read from data: the shared dbt seed of indicators plus ``lexicon.yaml``, compiled once
into Aho-Corasick automata (pyahocorasick) and a few regular expressions."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import ahocorasick
import yaml

HERE = Path(__file__).resolve().parent
SEEDS = HERE.parent / "dbt_project" / "seeds"
VOCABULARY = SEEDS / "indicator_vocabulary.csv"
REGIONS = SEEDS / "region_divisions.csv"
LEXICON = HERE / "lexicon.yaml"


@dataclass(frozen=True)
class Term:
    key: str
    family: str
    unit: str          # yuan | count
    level: str | None  # a level the wording itself carries (全国重点实验室 → national)
    length: int


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    level: str          # province | city | county | zone
    parent_code: str
    province_code: str


class Lexicon:
    """Everything the extractor looks up, built once per process."""

    def __init__(self, vocabulary: Path = VOCABULARY, regions: Path = REGIONS, lexicon: Path = LEXICON):
        with open(lexicon, encoding="utf-8") as f:
            self.cfg = cfg = yaml.safe_load(f)
        self.indicators: dict[str, dict] = {}
        with open(vocabulary, encoding="utf-8") as f:
            for row in csv.DictReader(f):
                self.indicators[row["indicator_key"]] = row
        self.regions: dict[str, Region] = {}
        self.region_by_name: dict[str, Region] = {}
        self._load_regions(regions)
        self.terms = ahocorasick.Automaton()
        surface: dict[str, Term] = {}

        leading = sorted(((w, lv) for lv, ws in cfg["levels"].items() for w in ws), key=lambda x: -len(x[0]))

        def add(word: str, key: str, level: str | None) -> None:
            row = self.indicators[key]
            word = word.strip()
            # a name that starts with a level word carries it (国家高新技术企业, 省重点实验室)
            level = level or next((lv for w, lv in leading if word.startswith(w) and len(word) > len(w) + 2),
                                  None)
            if word and (word not in surface or level):
                surface[word] = Term(key, row["fact_family"], row["unit"], level, len(word))

        for key, row in self.indicators.items():
            for word in [row["name_zh"], *row["variants"].split("|")]:
                add(word, key, None)
        for key, words in (cfg.get("variants") or {}).items():
            if key not in self.indicators:
                continue
            for w in words:
                word, _, level = str(w).partition(":")
                add(word, key, level.strip() or None)
        lab = cfg.get("province_labs") or {}
        if lab.get("indicator") in self.indicators:
            for r in self.regions.values():
                if r.level == "province":
                    add(_short(r.name) + "实验室", lab["indicator"], lab.get("level"))
        for word, term in surface.items():
            self.terms.add_word(word, term)
        self.terms.make_automaton()
        self.pools: dict[str, str] = cfg.get("pools") or {}
        self.count_classifiers = "".join(cfg["count_classifiers"])
        self.money_units: dict[str, float] = cfg["money_units"]
        self.q_before: dict[str, str] = cfg["qualifiers"]["before"]
        self.q_after: dict[str, str] = cfg["qualifiers"]["after"]
        self.level_words: list[tuple[str, str]] = sorted(
            ((w, lv) for lv, ws in cfg["levels"].items() for w in ws), key=lambda x: -len(x[0]))
        m = cfg["measures"]
        self.measures = {k: _alt(v) for k, v in m.items()}
        self.carry_re = re.compile(r"^(?:" + "|".join(sorted(map(re.escape, cfg["carry_words"]), key=len,
                                                          reverse=True)) + r")*$")
        self.boilerplate = tuple(cfg["boilerplate_prefixes"])
        self.foreign = tuple(cfg.get("foreign_objects") or ())
        self.related = tuple(cfg.get("related_markers") or ())
        self.modifier_followers = tuple(cfg.get("modifier_followers") or ())
        partial = "|".join(map(re.escape, cfg.get("partial_scope") or ["\x00"]))
        self.partial = re.compile(f"(?:{partial})[^,，;；。]*的$")
        self.partial_words = frozenset(cfg.get("partial_scope") or ())
        self.vague = _alt(cfg["vague_time"])
        self.number_re = self._number_re()

    # ------------------------------------------------------------------ regions
    def _load_regions(self, path: Path) -> None:
        self.places = ahocorasick.Automaton()
        names: dict[str, tuple[Region, bool]] = {}
        with open(path, encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        for row in rows:
            r = Region(row["code"], row["name"], row["level"], row["parent_code"], row["province_code"])
            self.regions[r.code] = r
            self.region_by_name.setdefault(r.name, r)
        for row in rows:
            r = self.regions[row["code"]]
            names.setdefault(r.name, (r, True))
            for alias in filter(None, row.get("aliases", "").split("|")):
                names.setdefault(alias, (r, True))
            short = row.get("short_name") or ""
            # short names (营口, 辽宁) vote for the page's subject but never name a figure's region alone
            if r.level in ("province", "city") and len(short) >= 2 and short != r.name:
                names.setdefault(short, (r, False))
        for name, (r, full) in names.items():
            self.places.add_word(name, (len(name), r, full))
        self.places.make_automaton()

    def province_of(self, r: Region | None) -> Region | None:
        return self.regions.get(r.province_code) if r else None

    def city_of(self, r: Region | None) -> Region | None:
        while r is not None and r.level in ("county", "zone"):
            r = self.regions.get(r.parent_code)
        return r if r is not None and r.level == "city" else None

    # ------------------------------------------------------------------ numbers
    def _number_re(self) -> re.Pattern:
        before = "|".join(sorted(map(re.escape, self.q_before), key=len, reverse=True))
        after = "|".join(sorted(map(re.escape, self.q_after), key=len, reverse=True))
        money = "|".join(sorted(map(re.escape, self.money_units), key=len, reverse=True))
        return re.compile(
            rf"(?P<pre>{before})?"
            r"(?P<num>\d+(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
            r"|(?<![第首每初周某逐唯统同单之任其])[零〇一二两三四五六七八九十百千]+(?:万[零〇一二两三四五六七八九十百千]*)?)"
            r"(?P<mult>万|亿)?"
            rf"(?P<post1>{after})?"
            rf"(?P<unit>{money}|%|[{self.count_classifiers}])"
            rf"(?P<post2>{after})?"
        )


def _alt(words) -> re.Pattern:
    return re.compile("|".join(sorted(map(re.escape, words), key=len, reverse=True)))


def _short(name: str) -> str:
    for s in ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市"):
        if name.endswith(s):
            return name[: -len(s)]
    return name


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    return Lexicon()
