"""The rule set (``indicators.extract`` is its entry point): a page's text → facts with evidence.

How a page is read:

1. **Normalise** to a same-length working copy: full-width digits and signs to ASCII, Traditional to
   Simplified (OpenCC t2s, checked to keep every offset; a segment whose conversion changes length is
   converted character by character), so offsets in the working copy are offsets in the original.
2. **Lay out** the page: furniture lines (navigation, 上一篇/下一篇, 相关文章, footers) are dropped;
   headings (一、 (一) 1. and short unpunctuated lines) open sections that carry a period, a plan
   context (…工作打算) and nothing else; paragraphs split into sentences (。!?) and clauses (,;:).
3. **Find** in one pass each: indicator names (an Aho-Corasick automaton over the vocabulary seed and
   ``lexicon.yaml``), numbers with their unit and qualifier (one compiled expression; Chinese numerals
   through cn2an), place names (an automaton over the region seed), time expressions.
4. **Pair** each number with what it counts, by the grammar of these reports: "N家<name>" (the name
   right after), "<name>…达N家" (the name before, in the clause), a clause with no name borrowing the
   previous clause's subject (…,总数达N家,同比增长x%), 分别 lists, 由X提升至Y, 其中 breakdowns
   inheriting the head's level and measure, a list of several kinds under one number (the family's pool).
5. **Qualify**: measure from trigger words (applied > total-strong > new > total), a plan section or
   a target word making it a target; level from the wording around the name; region from a place
   at the head of the clause, sentence or paragraph, else the page's subject region (我市/全省 resolve
   to it); period from the nearest earlier time expression in the sentence, paragraph, then section.
"""

from __future__ import annotations

import os
import re
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import cn2an

from indicators.lexicon import Lexicon, Region, Term, lexicon
from indicators.model import Fact, PageContext
from indicators.page import fill_context, infer_year
from indicators.timex import TimeExpr, find_times

# ----------------------------------------------------------------------------- normalisation

_FULLWIDTH = {ord("０") + i: ord("0") + i for i in range(10)}
_FULLWIDTH.update({ord("％"): ord("%"), ord("．"): ord("."), ord("\u3000"): ord(" "), ord("\xa0"): ord(" "),
                   ord("～"): ord("~"), ord("－"): ord("-"), ord("﹪"): ord("%")})


@lru_cache(maxsize=1)
def _t2s():
    try:
        import opencc

        return opencc.OpenCC("t2s")
    except Exception:  # pragma: no cover - opencc is a dependency; degrade to no conversion
        return None


def normalise(text: str) -> str:
    """A working copy of ``text`` of exactly the same length (offsets are shared)."""
    work = text.translate(_FULLWIDTH)
    conv = _t2s()
    if conv is None:
        return work
    out = conv.convert(work)
    if out == work:
        return work
    if len(out) == len(work):
        return out
    # not length-preserving somewhere: convert line by line, then character by character
    parts = []
    for line in work.splitlines(keepends=True):
        c = conv.convert(line)
        if len(c) != len(line):
            c = "".join(ch if len(cc := conv.convert(ch)) != 1 else cc for ch in line)
        parts.append(c)
    return "".join(parts)


# ----------------------------------------------------------------------------- layout

HEADING_RE = [
    (1, re.compile(r"^[一二三四五六七八九十]{1,3}、")),
    (2, re.compile(r"^[(（][一二三四五六七八九十]{1,3}[)）]")),
    (3, re.compile(r"^\d{1,2}[.、．](?!\d)")),
    (4, re.compile(r"^[(（]\d{1,2}[)）]")),
]
SENT_END = re.compile(r"[。！？!?]|(?<!\d)\.|\.(?!\d)")
CLAUSE_SEP = re.compile(r"[,，;；:：]")
QUOTED = re.compile(r"《[^《》\n]{0,80}》")


@dataclass
class Heading:
    level: int
    times: list[TimeExpr]
    plan: bool


@dataclass
class Para:
    start: int
    end: int
    heading_time: TimeExpr | None
    plan: bool
    is_heading: bool


@dataclass
class Mention:
    start: int
    end: int
    term: Term


@dataclass
class Num:
    start: int       # incl. qualifier words
    end: int
    nstart: int      # the digits
    value: float
    kind: str        # money | count | percent
    qualifier: str
    unit: str


@dataclass
class Subject:
    key: str
    family: str
    level: str
    start: int       # where its evidence starts (for carried facts' quotes)
    measure: str = ""


@dataclass
class Doc:
    text: str
    work: str
    ctx: PageContext
    lex: Lexicon
    pub: date | None
    pub_year: int | None
    subject: Region | None
    mentions: list[Mention] = field(default_factory=list)
    numbers: list[Num] = field(default_factory=list)
    times: list[TimeExpr] = field(default_factory=list)
    places: list[tuple[int, int, Region | None, str]] = field(default_factory=list)
    time_starts: list[int] = field(default_factory=list)
    place_starts: list[int] = field(default_factory=list)
    number_starts: list[int] = field(default_factory=list)
    mention_starts: list[int] = field(default_factory=list)


def _layout(doc: Doc) -> list[Para]:
    lex, work = doc.lex, doc.work
    stack: list[Heading] = []
    paras: list[Para] = []
    pos = 0
    related = False
    for line in work.splitlines(keepends=True):
        start, pos = pos, pos + len(line)
        s = line.strip()
        if not s:
            continue
        lstart = start + (len(line) - len(line.lstrip()))
        if related and len(s) <= 60:
            continue  # link titles under 相关文章 / 推荐阅读
        related = False
        # a long line, or one with a full stop, is text whatever it starts with (a page in one line)
        furniture = len(s) <= 120 and "。" not in s
        if furniture and s.lstrip("•·●■◆▪-* ").startswith(lex.related):
            related = True
            continue
        if furniture and (s.lstrip("•·●■◆▪-* ").startswith(lex.boilerplate) or _is_furniture(s)):
            continue
        level = next((lv for lv, rx in HEADING_RE if rx.match(s)), 0)
        short = len(s) <= 40 and not re.search(r"[。；;！!？?]", s[:-1] if s.endswith("。") else s)
        is_heading = (level and short) or (len(s) <= 25 and not re.search(r"[。，,；;：:！!？?]", s))
        if is_heading:
            level = level or 5
            while stack and stack[-1].level >= level:
                stack.pop()
            htimes = _in(doc.times, lstart, start + len(line.rstrip()), doc.time_starts)
            plan = bool(lex.measures["plan_headings"].search(s)) and not re.search(r"总结|完成情况|成绩", s)
            stack.append(Heading(level, htimes, plan))
        htime = next((h.times[0] for h in reversed(stack) if len(h.times) == 1), None)
        plan = any(h.plan for h in stack)
        paras.append(Para(lstart, start + len(line.rstrip()), htime, plan, bool(is_heading)))
    return paras


_FURNITURE = re.compile(r"^(?:\[\d+\]|第?\d+页|共\d+页|页[:：]|\d+/\d+)$|^(?:扫一扫|打印|关闭|返回顶部)")


def _is_furniture(s: str) -> bool:
    return bool(_FURNITURE.search(s))


# ----------------------------------------------------------------------------- finding

def _find_mentions(doc: Doc, skip: list[tuple[int, int]]) -> list[Mention]:
    hits = []
    for end, term in doc.lex.terms.iter(doc.work):
        s = end - term.length + 1
        hits.append((s, end + 1, term))
    hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
    out: list[Mention] = []
    last_end = -1
    for s, e, term in hits:  # leftmost-longest, non-overlapping
        if s < last_end or any(a <= s < b for a, b in skip):
            continue
        out.append(Mention(s, e, term))
        last_end = e
    return out


_CN_NUM = re.compile(r"^[零〇一二两三四五六七八九十百千万]+$")


def _cn_value(s: str) -> float | None:
    if not _CN_NUM.match(s) or s[0] in "零〇":
        return None
    if s[0] in "十百千万":
        s = "一" + s  # 千家 (近千家, 上百家): one thousand
    if len(s) > 1 and s[0] == s[1] and s[0] not in "十":
        return None  # 一一, 两两: not a numeral
    try:
        v = cn2an.cn2an(s.replace("两", "二") if len(s) > 1 else s, "strict")
    except Exception:
        try:
            v = cn2an.cn2an(s, "smart")
        except Exception:
            return None
    return float(v)


def _find_numbers(doc: Doc) -> list[Num]:
    lex, work = doc.lex, doc.work
    out = []
    for m in lex.number_re.finditer(work):
        raw, unit = m.group("num"), m.group("unit")
        ns = m.start("num")
        if raw[0].isdigit():
            if ns > 0 and (work[ns - 1].isascii() and (work[ns - 1].isalnum() or work[ns - 1] in ".-/")):
                continue
            try:
                value = float(raw.replace(",", ""))
            except ValueError:
                continue
        else:
            v = _cn_value(raw)
            if v is None:
                continue
            after_unit = work[m.end("unit"):m.end("unit") + 1]
            if raw == "一" and (after_unit == unit or work[ns - 1:ns] in ("是", "为")):
                continue  # 一个个, 一项项, 是一家…企业
            if raw in ("千", "百", "万") and not m.group("pre"):
                continue  # 千家万户, 百家争鸣: only 近千家 / 上百家 count
            value = v
        mult = m.group("mult")
        if mult:
            value *= 1e4 if mult == "万" else 1e8
        after = work[m.end():m.end() + 3]
        if unit in lex.money_units:
            kind = "money"
            value *= lex.money_units[unit]
        elif unit == "%":
            kind = "percent"
        else:
            if after.startswith(("百分点", "百分比")):
                continue
            if mult and unit == "个" and after.startswith("百"):
                continue
            kind = "count"
        q = "exact"
        for g, table in (("pre", lex.q_before), ("post1", lex.q_after), ("post2", lex.q_after)):
            if m.group(g):
                q = table[m.group(g)]
        out.append(Num(m.start(), m.end(), ns, value, kind, q, unit))
    return out


SPECIAL_PLACES = re.compile(r"(我|全|本)(省|市|区|县|自治区)|(?<![\u4e00-\u9fff])高新区")
SELF_LEVEL = {"省": "province", "自治区": "province", "市": "city", "区": "district", "县": "district"}


def _find_places(doc: Doc) -> list[tuple[int, int, Region | None, str]]:
    """(start, end, region, kind): kind 'full' for written names, 'short' for 营口-style names,
    'self_<level>' for 我市/全省/本区-style words, 'zone' for a bare 高新区."""
    out = []
    for end, (n, region, full) in doc.lex.places.iter(doc.work):
        out.append((end - n + 1, end + 1, region, "full" if full else "short"))
    out.sort(key=lambda p: (p[0], -(p[1] - p[0])))
    kept, last = [], -1
    for p in out:
        if p[0] >= last:
            kept.append(p)
            last = p[1]
    for m in SPECIAL_PLACES.finditer(doc.work):
        if m.group(2):
            lvl = SELF_LEVEL[m.group(2)]
            kept.append((m.start(), m.end(), None, "self_" + lvl))
        else:
            kept.append((m.start(), m.end(), None, "zone"))
    kept.sort(key=lambda p: p[0])
    return kept


def _subject_region(doc: Doc) -> Region | None:
    """The region the page is about: the most named place (title counts thrice), with 我省/全省
    words voting for its province and the publisher's region as a prior."""
    lex = doc.lex
    votes: Counter = Counter()
    title = doc.ctx.title or ""
    self_prov = self_city = 0
    for s, _e, region, kind in doc.places:
        if region is not None:
            w = 1
            if title and s < 400 and doc.work[s:s + len(region.name)] and region.name in title:
                w = 1
            votes[region.code] += w
        elif kind == "self_province":
            self_prov += 1
        elif kind == "self_city":
            self_city += 1
    if title:
        for _end, (_n, region, _full) in lex.places.iter(title):
            votes[region.code] += 3
    pub = lex.region_by_name.get(doc.ctx.publisher_region or "")
    if pub is not None:
        votes[pub.code] += 3
    if not votes:
        return pub
    # fold counties' votes partly into their cities so a county's many mentions do not outvote the city
    best_code, best = max(votes.items(), key=lambda kv: (kv[1], -len(kv[0])))
    top = lex.regions[best_code]
    prov = lex.province_of(top)
    if prov is not None and top.level != "province":
        prov_votes = votes.get(prov.code, 0) + self_prov
        if prov_votes > best + self_city:
            return prov
    return top


# ----------------------------------------------------------------------------- pairing helpers

def _in(items, a: int, b: int, starts: list[int] | None = None):
    """The items (sorted by start) that start in [a, b); ``starts`` their start offsets, for bisection."""
    if starts is None:
        return [x for x in items if a <= x.start < b]
    return items[bisect_left(starts, a):bisect_left(starts, b)]


def _level_in(lex: Lexicon, s: str) -> str | None:
    """The level word nearest the end of ``s``."""
    best = None
    for word, lv in lex.level_words:
        i = s.rfind(word)
        while i >= 0:
            ok = True
            if word in ("省", "自治区"):
                prev, nxt = s[i - 1:i], s[i + len(word):i + len(word) + 1]
                ok = prev not in NOT_LEVEL_BEFORE and nxt not in ("内", "外", "份", "会")
            if word in ("国家",):
                nxt = s[i + 2:i + 3]
                ok = nxt not in ("高",)
            if ok:
                if best is None or i + len(word) > best[0]:
                    best = (i + len(word), lv)
                break
            i = s.rfind(word, 0, i)
    return best[1] if best else None


NOT_LEVEL_BEFORE = ("全", "我", "本", "该", "外", "跨", "各", "兄", "一")
_DEST = re.compile(r"^.{0,4}?(?:列入|纳入|进入|入选|认定为|获批|晋升为|升级为)(?:首批|第.批)?"
                   r"(国家级|国家|全国|省级|省|市级)")


def _measure_in(lex: Lexicon, s: str) -> str | None:
    ms = lex.measures
    if ms["applied"].search(s):
        return "applied"
    if ms["new_strong"].search(s):
        return "new"
    if ms["total_strong"].search(s):
        return "total"
    if ms["new"].search(s):
        return "new"
    if ms["total"].search(s):
        return "total"
    return None


def _mask(s: str, start: int, spans: list[Mention]) -> str:
    """``s`` (starting at ``start``) with the indicator names blanked, so 入库企业 is no trigger."""
    if not spans:
        return s
    chars = list(s)
    for m in spans:
        for i in range(max(m.start, start), min(m.end, start + len(s))):
            chars[i - start] = " "
    return "".join(chars)


# ----------------------------------------------------------------------------- the extractor


def extract(text: str, ctx: PageContext | None = None) -> list[Fact]:
    """Facts stated in ``text``. Never raises on odd input; every quote is ``text[start:end]``."""
    if not isinstance(text, str) or not text.strip():
        return []
    try:
        return _extract(text, ctx)
    except Exception:  # pragma: no cover - a bug must not stop a pipeline run; the tests hunt them
        if os.environ.get("KEJIWATCH_EXTRACT_STRICT") == "1":  # tests: raise instead of logging
            raise
        import logging

        logging.getLogger(__name__).exception("extract failed on doc %r", getattr(ctx, "doc", ""))
        return []


def _extract(text: str, ctx: PageContext | None) -> list[Fact]:
    lex = lexicon()
    work = normalise(text)
    ctx = fill_context(work, ctx)  # on the working copy: 發布時間 reads as 发布时间
    pub = ctx.published
    doc = Doc(text, work, ctx, lex, pub, pub.year if pub else infer_year(work), None)
    skip = [(m.start(), m.end()) for m in QUOTED.finditer(work)]
    doc.times = find_times(work, skip)
    doc.time_starts = [t.start for t in doc.times]
    paras = _layout(doc)
    doc.mentions = _find_mentions(doc, skip)
    doc.numbers = _find_numbers(doc)
    doc.places = _find_places(doc)
    doc.place_starts = [p[0] for p in doc.places]
    doc.number_starts = [n.start for n in doc.numbers]
    doc.mention_starts = [m.start for m in doc.mentions]
    doc.subject = _subject_region(doc)
    facts: list[Fact] = []
    for para in paras:
        _do_paragraph(doc, para, facts)
    return facts


@dataclass
class Ctx:
    """State while reading one paragraph."""

    para: Para
    region: Region | None = None
    last_fact: tuple | None = None  # (Fact, Subject) last stated in the paragraph


def _do_paragraph(doc: Doc, para: Para, facts: list[Fact]) -> None:
    work = doc.work
    state = Ctx(para)
    sents = []
    pos = para.start
    for m in SENT_END.finditer(work, para.start, para.end):
        sents.append((pos, m.end()))
        pos = m.end()
    if pos < para.end:
        sents.append((pos, para.end))
    for s, e in sents:
        if work[s:e].strip():
            _do_sentence(doc, state, s, e, facts)


def _clauses(work: str, s: int, e: int) -> list[tuple[int, int]]:
    out, pos = [], s
    for m in CLAUSE_SEP.finditer(work, s, e):
        out.append((pos, m.start()))
        pos = m.end()
    out.append((pos, e))
    return out


_STRIP_PREFIX = re.compile(r"^[\s“”\"'‘’(（]*")


HEAD_FILLER = re.compile(r"[\s“”\"'‘’(（,，]|在|据悉|据了解|目前|截至目前|同时|此外|其中|另外|以来|今年|全年"
                         r"|截至|截止|了")


def _region_at_clause_head(doc: Doc, cs: int, rs: int) -> bool:
    """A place counts as the statement's subject only at the head of its clause."""
    prefix = doc.work[cs:rs]
    if "、" in prefix and re.search(r"\d[家个户项所]、$|[家个户项所]、$", prefix):
        prefix = prefix[prefix.rindex("、") + 1:]  # "营口高新区120家、鲅鱼圈区80家"
    if len(prefix) > 30:
        return False
    for t in _in(doc.times, cs, rs, doc.time_starts):
        prefix = prefix.replace(doc.work[t.start:t.end], "")
    prefix = HEAD_FILLER.sub("", prefix)
    return prefix == ""


def _resolve_place(doc: Doc, p) -> Region | None:
    lex, subj = doc.lex, doc.subject
    _s, _e, region, kind = p
    if kind == "full":
        return region
    if kind == "zone":
        if subj is not None and subj.level == "zone":
            return subj
        city = lex.city_of(subj)
        if city is not None:
            zones = [r for r in lex.regions.values() if r.level == "zone" and r.parent_code == city.code
                     and r.name.endswith("高新区")]
            if len(zones) == 1:
                return zones[0]
        return None
    if kind == "self_province":
        return lex.province_of(subj) if subj is not None else None
    if kind == "self_city":
        if subj is not None and subj.level == "city":
            return subj
        return lex.city_of(subj) or (lex.region_by_name.get(doc.ctx.publisher_region or ""))
    if kind == "self_district":
        return subj if subj is not None and subj.level in ("county", "zone") else None
    return None


def _do_sentence(doc: Doc, state: Ctx, s: int, e: int, facts: list[Fact]) -> None:
    lex, work = doc.lex, doc.work
    numbers = _in(doc.numbers, s, e, doc.number_starts)
    mentions = _in(doc.mentions, s, e, doc.mention_starts)
    clauses = _clauses(work, s, e)
    # the subject region: a place at a clause head, nearest before the figure, else the paragraph's
    heads = []
    for p in doc.places[bisect_left(doc.place_starts, s):bisect_left(doc.place_starts, e)]:
        if p[3] != "short":
            cs = next((a for a, b in clauses if a <= p[0] < b + 1), s)
            if _region_at_clause_head(doc, cs, p[0]):
                r = _resolve_place(doc, p)
                if r is not None:
                    heads.append((p[0], r))
    if not numbers:
        if heads:
            state.region = heads[-1][1]
        return
    sent_text = work[s:e]
    target_at = None
    mt = lex.measures["target"].search(sent_text)
    if mt and not re.match(r"预计完成", sent_text[mt.start():mt.start() + 4]):
        target_at = s + mt.start()
    qz_marks = [s + m.start() for m in re.finditer("其中", sent_text)]
    done: set[int] = set()
    sent_facts: list[tuple[Fact, Subject]] = []

    for resp in re.finditer("分别", sent_text):
        _respectively(doc, state, s, e, s + resp.start(), numbers, mentions, heads, target_at, facts,
                      sent_facts, done)

    subject: Subject | None = None
    for cs, ce in clauses:
        cnums = [n for n in numbers if cs <= n.nstart < ce]
        cments = [m for m in mentions if cs <= m.start < ce]
        prev_end = cs
        last_in_clause = None
        for ni, n in enumerate(cnums):
            nxt_start = cnums[ni + 1].start if ni + 1 < len(cnums) else ce
            if id(n) in done:
                prev_end = n.end
                continue
            # a 其中 breakdown runs from 其中 to the next semicolon
            qizhong = next((q for q in reversed(qz_marks)
                            if q < n.start and not re.search(r"[;；]", work[q:n.start])), None)
            in_qz = qizhong is not None
            head = None
            if in_qz:
                # the head of a 其中 breakdown is the figure right before it, if that was a fact
                last_num = next((x for x in reversed(numbers) if x.end <= qizhong), None)
                head = next((sf for sf in reversed(sent_facts) if sf[0].start < qizhong), None)
                if head is not None and last_num is not None and head[0].end < last_num.end:
                    head = None
                if head is None and last_num is None and qizhong - s <= 2:
                    head = state.last_fact  # "…350家。其中,营口高新区120家、…"
            if n.kind == "percent":
                sub = _growth_subject(doc, work, cs, n, cments, subject)
                if sub is not None:
                    f = _make(doc, state, heads, s, n, sub, "growth_pct", None, target_at, para=state.para,
                              quote_from=sub.start if sub.start >= s else cs)
                    if f:
                        facts.append(f)
                        # "技术合同成交额同比增长5.0%,达到35.97亿元": the next clause goes on about it
                        subject = Subject(sub.key, sub.family, sub.level, sub.start)
                prev_end = n.end
                continue
            pair = _pair(doc, work, cs, ce, prev_end, n, cments, cnums)
            # 由X提升至Y: X is the previous year's stock of what Y counts
            m_from = re.match(r"^(?:提升|增加|增长|提高|上升|扩大|发展|增)?(?:至|到)$", work[n.end:nxt_start])
            m_by = FROM_BY.search(work, max(cs, n.start - 12), n.start)
            if ni + 1 < len(cnums) and m_from and m_by:
                nn = cnums[ni + 1]
                named = [m for m in cments if m.end <= n.start]
                pair_from = pair or _pair(doc, work, cs, ce, cs, nn, named, [])
                if pair_from is not None:
                    sub = pair_from[0]
                    # "由2021年的8个": a year of its own; else the year before the statement's period
                    own_time = _in(doc.times, m_by.start(), n.start, doc.time_starts)
                    f = _make(doc, state, heads, s, n, sub, "total", work[cs:ce], None,
                              shift=0 if own_time else -1,
                              para=state.para, quote_from=sub.start, quote_to=nn.end)
                    if f:
                        facts.append(f)
                        sent_facts.append((f, sub))
                    prev_end = n.end
                    continue
            if pair is None and ni > 0 and FROM_BY.search(work, max(cs, cnums[ni - 1].start - 12),
                                                          cnums[ni - 1].start):
                # 由X至Y: Y takes the subject named before X
                named = [m for m in cments if m.end <= cnums[ni - 1].start]
                pair = _pair(doc, work, cs, ce, cs, n, named, [])
                by = FROM_BY.search(work, max(cs, cnums[ni - 1].start - 12), cnums[ni - 1].start)
                time_limit = by.start() if by else None
            else:
                time_limit = None
            carried = False
            other = _counts_other(doc, work[n.end:n.end + 4])
            if pair is None and n.kind in ("count", "money") and not other:
                # no name in the clause: borrow the subject if the clause is only "总数达N家"-like
                item = max(cs, prev_end if work[prev_end:prev_end + 1] == "、" else cs)
                pre = work[item:n.start].lstrip("、")
                for t in _in(doc.times, item, n.start, doc.time_starts):
                    pre = pre.replace(work[t.start:t.end], "")
                lo_p, hi_p = bisect_left(doc.place_starts, item), bisect_left(doc.place_starts, n.start)
                for p in doc.places[lo_p:hi_p]:
                    if p[3] != "short":
                        pre = pre.replace(work[p[0]:p[1]], "")
                pre = _STRIP_PREFIX.sub("", pre)
                pre = re.sub(r"^(?:我|全|本)(?:省|市|区|县)|[\s“”\"]", "", pre)
                lv = _level_in(lex, pre)
                if head is not None and lex.carry_re.match(pre):
                    hs = head[1]
                    pair = (Subject(hs.key, hs.family, lv or hs.level, cs, hs.measure), cs, "carry")
                    carried = True
                elif subject is not None and lex.carry_re.match(pre):
                    pair = (Subject(subject.key, subject.family, lv or subject.level, subject.start,
                                    subject.measure), subject.start, "carry")
                    carried = True
            if pair is None and n.kind == "count" and not other:
                pair = _anaphor(doc, state.para, n)
            if pair is None:
                if n.kind == "count" and work[cs:n.start].strip():
                    subject = None  # a figure about something else: the thread is broken
                prev_end = n.end
                continue
            sub, qstart, how = pair[:3]
            qend = pair[3] if len(pair) > 3 else None
            sub = _fit_unit(doc, sub, n, work[cs:ce])
            if sub is None:
                prev_end = n.end
                continue
            # measure: local window, then the clause, then a 其中 head's measure
            masked_local = _mask(work[prev_end:nxt_start], prev_end, cments)
            if how == "pool":
                masked_local = _mask(work[prev_end:nxt_start], prev_end,
                                     [Mention(sub.start, n.start, None)])  # type: ignore[arg-type]
            measure = _measure_in(lex, masked_local)
            if how == "pool":
                # "已储备新注册科中小、高企…近200家": 新注册 qualifies the first kind; the verb rules
                seg = work[prev_end:sub.start]
                adj = re.search(r"(?:新注册|新认定|新入库|新培育|新增)$", seg)
                if adj and (earlier := _measure_in(lex, seg[:adj.start()])) is not None:
                    measure = earlier
            named = next((m for m in cments if m.start == sub.start), None)
            if named is not None and POST_NEW.match(work, named.end) and measure != "applied":
                measure = "new"  # "共有10家科技型中小企业入库": the verb right after the name decides
            if measure is None and how != "pool":
                measure = _measure_in(lex, _mask(work[cs:ce], cs, cments))
            if measure is None and named is not None:
                measure = _measure_in(lex, work[named.start:named.end])  # 科技型中小企业评价入库
            if measure is None and how == "before" and PROJECTS.match(work, n.end):
                measure = "new"  # "N个…项目" are projects taken on in the period
            if measure is None and head is not None:
                measure = head[1].measure or head[0].measure
            if measure is None and carried and sub.measure and sub.measure not in ("new", "applied"):
                measure = sub.measure
            measure = measure or "total"
            # a level carries over to the next item of a 、 list ("省级重点实验室14个、技术创新中心7家")
            if (sub.level == "unspecified" and not in_qz and last_in_clause is not None
                    and work[last_in_clause[0].end:qstart].strip() == "、"):
                sub = Subject(sub.key, sub.family, last_in_clause[1].level, sub.start, sub.measure)
            if in_qz and head is not None and not carried:
                hlevel = head[1].level
                if sub.level == "unspecified" and hlevel != "unspecified":
                    sub = Subject(sub.key, sub.family, hlevel, sub.start, sub.measure)
                if _measure_in(lex, masked_local) is None:
                    measure = head[0].measure
            f = _make(doc, state, heads, s, n, sub, measure, work[cs:ce], target_at, para=state.para,
                      quote_from=qstart, quote_to=qend, time_limit=time_limit)
            if f:
                facts.append(f)
                sub.measure = f.measure
                last_in_clause = (f, sub)
                sent_facts.append((f, sub))
                subject = Subject(sub.key, sub.family, sub.level, sub.start, f.measure)
            prev_end = n.end
        # a clause ending in an indicator's name, without a figure, sets the subject for the next
        # clause ("建立创新平台培育库,共有50余家企业纳入…"); a name used as a modifier does not
        if not cnums and cments:
            m = cments[-1]
            if len(work[m.end:ce].strip()) <= 3:
                subject = Subject(m.term.key, m.term.family, m.term.level or "unspecified", m.start)
    if heads:
        state.region = heads[-1][1]
    if sent_facts:
        state.last_fact = sent_facts[-1]


FROM_BY = re.compile(r"由[^,，;；。]{0,10}$")
PROJECTS = re.compile(r"[^,，;；。]{0,14}?项目")
ANAPHOR = re.compile(r"(?:平台|实验室|中心|基地|空间|孵化器|联盟|机构|载体)")


def _anaphor(doc: Doc, para: Para, n: Num):
    """"两个平台" right after a named 创新平台: a bare head noun refers back to the last name in the
    paragraph that ends with it."""
    work = doc.work
    m = ANAPHOR.match(work, n.end)
    if not m or work[n.start - 1:n.start] == "第":
        return None
    head = m.group()
    for x in reversed(_in(doc.mentions, para.start, n.start, doc.mention_starts)):
        if work[x.start:x.end].endswith(head):
            sub = _subject_of(x)
            if sub.level == "unspecified":
                sub.level = _level_in(doc.lex, work[max(para.start, x.start - 24):x.start]) or "unspecified"
            return sub, n.start, "anaphor", m.end()
    return None


POST_NEW = re.compile(r"(?:入库|获批|入选|获认定|通过认定|被认定)(?=$|[,，;；。、)）])")


def _fit_unit(doc: Doc, sub: Subject, n: Num, clause: str) -> Subject | None:
    """Money only for contract money indicators, counts for counted ones; 技术合同 with money is
    turnover (or registered when 登记 is said)."""
    lex = doc.lex
    row = lex.indicators.get(sub.key)
    unit = row["unit"] if row else "count"
    if n.kind == "money":
        if unit == "yuan":
            return sub
        if sub.family == "contract":
            key = "tech_contract_registered" if "登记" in clause else "tech_contract_turnover"
            return Subject(key, sub.family, sub.level, sub.start, sub.measure)
        return None
    if n.kind == "count":
        if unit == "count":
            return sub
        if sub.family == "contract" and n.unit in "项份":
            return Subject("tech_contract_count", sub.family, sub.level, sub.start, sub.measure)
        return None
    return sub


def _subject_of(m: Mention) -> Subject:
    return Subject(m.term.key, m.term.family, m.term.level or "unspecified", m.start)


LEVEL_HEAD = re.compile(r"^(?:国家级|国家|全国|省级|省|市级|县级|区级)")


def _level_for(doc: Doc, work: str, cs: int, ce: int, m: Mention, n: Num, window_from: int) -> str:
    if m.term.level:
        return m.term.level
    lex = doc.lex
    lo = max(cs, window_from, m.start - 12)
    if work[m.start - 1:m.start] == "等":
        lo = max(cs, window_from)  # "省级高新技术企业研究开发中心等创新载体": the list's level
    for p in doc.places[bisect_left(doc.place_starts, cs):bisect_left(doc.place_starts, m.start)]:
        if p[2] is not None and p[1] <= m.start and _region_at_clause_head(doc, cs, p[0]):
            lo = max(lo, p[1])  # 辽宁省2022年…认定高新技术企业: the subject, not the level
    lv = _level_in(lex, work[lo:m.start])
    if lv:
        return lv
    if m.end <= n.start:
        tail = work[n.end:min(ce, n.end + 4)]
        lv = _level_in(lex, tail[:3]) if LEVEL_HEAD.match(tail) else None
        if lv:
            return lv
    md = _DEST.match(work[m.end:min(ce, m.end + 16)])
    if md:
        return _level_in(lex, md.group(1)) or "unspecified"
    return "unspecified"


def _foreign(doc: Doc, gap: str) -> bool:
    return any(w in gap for w in doc.lex.foreign)


def _counts_other(doc: Doc, after: str) -> bool:
    """The number's own noun (right after its classifier) is something no indicator counts."""
    return after.startswith(doc.lex.foreign)


def _pair(doc: Doc, work: str, cs: int, ce: int, prev_end: int, n: Num, cments: list[Mention],
          cnums: list[Num]):
    """(subject, quote start, how) for the indicator ``n`` counts, or None."""
    lex = doc.lex
    if _counts_other(doc, work[n.end:n.end + 4]):
        return None
    after = [m for m in cments if m.start >= n.end]
    m_after = None
    if after:
        m = after[0]
        gap = work[n.end:m.start]
        nxt_num = any(n.end <= x.nstart < m.start for x in cnums if x is not n)
        modifier = len(gap) > 2 and work.startswith(lex.modifier_followers, m.end)
        if len(gap) <= 20 and not nxt_num and not re.match(r"^[、和及与]", gap) and not modifier:
            m_after = m
    before = [m for m in cments if prev_end <= m.start and m.end <= n.nstart]
    m_before = None
    if before:
        m = before[-1]
        gap = work[m.end:n.start]
        if len(gap) <= 15 and not _foreign(doc, gap):
            m_before = m
    if m_after is not None and (len(work[n.end:m_after.start]) <= 4 or m_before is None):
        # "<name>N家、<name>M家": a name right after a list comma belongs to the next number
        m = m_after
        group = [m]
        for x in after[1:]:
            if re.fullmatch(r"[、和及与以\s“”\"]*(?:及|和)?[、\s“”\"]*", work[group[-1].end:x.start]):
                group.append(x)
            else:
                break
        sub = _subject_of(m)
        sub.level = _level_for(doc, work, cs, ce, m, n, n.end)
        if len({g.term.key for g in group}) > 1 and len({g.term.family for g in group}) == 1:
            pool = lex.pools.get(m.term.family)
            if pool:
                return Subject(pool, m.term.family, sub.level, n.start), n.start, "pool", group[-1].end
        return sub, n.start, "after", m.end
    if m_before is not None and (lex.partial.search(work[max(cs, m_before.start - 12):m_before.start])
                                 or work[max(cs, m_before.start - 2):m_before.start] in lex.partial_words):
        return None  # 输出到省外的技术合同成交额: a slice of the indicator, not the indicator
    if m_before is not None:
        m = m_before
        group = [m]
        for x in reversed(before[:-1]):
            if re.fullmatch(r"[、和及与\s“”\"]*", work[x.end:group[0].start]):
                group.insert(0, x)
            else:
                break
        sub = _subject_of(m)
        sub.level = _level_for(doc, work, cs, ce, m, n, prev_end)
        if len({g.term.key for g in group}) > 1 and len({g.term.family for g in group}) == 1:
            pool = lex.pools.get(m.term.family)
            if pool:
                lv = _level_in(lex, work[max(cs, group[0].start - 8):group[0].start]) or "unspecified"
                return Subject(pool, m.term.family, lv, group[0].start), group[0].start, "pool"
        return sub, m.start, "before"
    return None


_GROWTH_BEFORE = re.compile(r"(同比增长|同比下降|同比增加|同比减少|增长|下降|增加|减少|提高|降低|上升|回落"
                            r"|增幅|增速)"
                            r"(?:了|为|达|达到)?$")


_GROWTH_GAP = re.compile(r"\s*(?:的)?(?:数量|总数|总量|家数|个数|数|规模|总额|金额)?(?:达到|达|为)?"
                         r"(?:[\d.]+(?:亿元|万元|元|家|个|户|项|份))?[,，]?"
                         r"(?:同比|比上年|较上年|较去年|比去年|与去年同期相比|较上年同期|比去年同期)?")
_COMPARED = re.compile(r"\s*(?:同比|比上年|较上年|较去年|比去年|与去年同期相比)?")


def _growth_subject(doc: Doc, work: str, cs: int, n: Num, cments: list[Mention], subject: Subject | None):
    pre = work[cs:n.start]
    m = _GROWTH_BEFORE.search(pre)
    if not m:
        return None
    if re.search(r"比重|占比|覆盖率|率$", pre[:m.start()]):
        return None
    sign = -1 if any(w in m.group(1) for w in ("下降", "减少", "降低", "回落")) else 1
    mine = [x for x in cments if x.end <= n.start]
    if mine and not _GROWTH_GAP.fullmatch(work[mine[-1].end:cs + m.start()]):
        return None  # 高企研发投入增长20%: the growth of something the indicator has, not of it
    if mine:
        sub = _subject_of(mine[-1])
    elif subject is not None and _COMPARED.fullmatch(pre[:m.start()]):
        sub = Subject(subject.key, subject.family, subject.level, subject.start)
    else:
        return None
    sub.measure = "growth" if sign > 0 else "decline"
    return sub


LEVEL_WORD = r"国家级|省级以上|省级|自治区级|市级以上|市级|县级以上|县级|区级"
LEVEL_LIST = re.compile(rf"(?:(?:{LEVEL_WORD})(?:[、和及与]|以上)?){{2,}}$")


def _respectively(doc, state, s, e, at, numbers, mentions, heads, target_at, facts, sent_facts, done):
    """"A、B分别为X家、Y家": values back to the names (indicators or places) listed before 分别."""
    work, lex = doc.work, doc.lex
    nums = [n for n in numbers if n.start > at and n.kind in ("count", "money")]
    # the list right before 分别, within the clause
    cs = max([s] + [m.end() for m in CLAUSE_SEP.finditer(work, s, at)])
    names = [m for m in mentions if cs <= m.start and m.end <= at]
    first_num = min((n.start for n in nums), default=e)
    after_names = [m for m in mentions if at <= m.start and m.end <= first_num]
    places = [p for p in doc.places[bisect_left(doc.place_starts, cs):bisect_left(doc.place_starts, at)]
              if p[2] is not None]
    tail_end = min([x.start() for x in CLAUSE_SEP.finditer(work, at, e)] or [e])
    nums = [n for n in nums if n.start < tail_end]
    if len(names) >= 2 and len(nums) == len(names):
        for m, n in zip(names, nums, strict=True):
            sub = _subject_of(m)
            if sub.level == "unspecified":
                sub.level = _level_in(lex, work[max(cs, m.start - 6):m.start]) or "unspecified"
            sub = _fit_unit(doc, sub, n, work[cs:e])
            if sub is None:
                continue
            measure = _measure_in(lex, work[cs:m.start] + work[at:n.start]) or "total"
            f = _make(doc, state, heads, s, n, sub, measure, work[cs:e], target_at, para=state.para,
                      quote_from=m.start)
            if f:
                facts.append(f)
                sent_facts.append((f, sub))
                done.add(id(n))
    elif len(names) == 1 and len(nums) >= 2 and (ml := LEVEL_LIST.search(work[cs:names[0].start])):
        m = names[0]
        levels = [_level_in(lex, w) for w in re.findall(LEVEL_WORD, ml.group(0))]
        if len(levels) == len(nums):
            for lv, n in zip(levels, nums, strict=True):
                sub = _fit_unit(doc, _subject_of(m), n, work[cs:e])
                if sub is None:
                    continue
                sub.level = lv or "unspecified"
                measure = _measure_in(lex, _mask(work[cs:n.start], cs, [m])) or "total"
                f = _make(doc, state, heads, s, n, sub, measure, work[cs:e], target_at, para=state.para,
                          quote_from=ml.start() + cs)
                if f:
                    facts.append(f)
                    sent_facts.append((f, sub))
                    done.add(id(n))
    elif len(places) >= 2 and len(nums) == len(places) and (names or after_names):
        m = names[-1] if names else after_names[-1]
        level = m.term.level or _level_in(lex, work[max(places[-1][1], m.start - 8):m.start]) or "unspecified"
        for p, n in zip(places, nums, strict=True):
            sub = _fit_unit(doc, _subject_of(m), n, work[cs:e])
            if sub is None:
                continue
            sub.level = level
            measure = _measure_in(lex, _mask(work[cs:n.start], cs, [m])) or "total"
            region = p[2]
            f = _make(doc, state, [(p[0], region)], s, n, sub, measure, work[cs:e], target_at,
                      para=state.para, quote_from=p[0], region_override=region)
            if f:
                facts.append(f)
                sent_facts.append((f, sub))
                done.add(id(n))


_BOUNDARY = re.compile(r"[,，;；:：。！？!?\n]")


def _time_at_head(doc: Doc, t: TimeExpr) -> bool:
    """A time expression that opens its clause ("2023年,全市…") sets the year of what follows;
    one inside a clause ("在省2021年度…表扬中") does not."""
    lo = max(0, t.start - 12)
    seg = doc.work[lo:t.start]
    cut = max((m.end() for m in _BOUNDARY.finditer(seg)), default=None)
    if cut is None and lo > 0:
        return False
    return HEAD_FILLER.sub("", seg[cut or 0:]) == ""


def _period_for(doc: Doc, para: Para, s: int, n: Num, measure: str, shift: int = 0,
                time_limit: int | None = None) -> str:
    pub, year = doc.pub, doc.pub_year
    stock = measure == "total"
    cand = None
    for t in reversed(_in(doc.times, para.start, time_limit or n.start, doc.time_starts)):
        if t.kind != "to_year":
            cand = t
            break
    if measure == "target":
        tos = [t for t in _in(doc.times, para.start, n.start, doc.time_starts) if t.kind == "to_year"]
        if tos:
            return str(tos[-1].year + 0)
    if cand is None:
        cand = para.heading_time
    if cand is None:
        if measure == "target":
            return str(year) if year else "unknown"
        if stock and not shift:
            return f"asof:{pub.isoformat()}" if pub else "unknown"
        return str(year + shift) if year else "unknown"
    if cand.year is None and cand.rel == 0 and cand.kind in ("year", "half", "quarter", "month"):
        # 全年 / 上半年 / 1-10月 without a year: the year last written in the paragraph or section
        anchor = next((t.year for t in reversed(_in(doc.times, para.start, cand.start, doc.time_starts))
                       if t.year is not None and _time_at_head(doc, t)), None)
        if anchor is None and para.heading_time is not None and para.heading_time.year is not None:
            anchor = para.heading_time.year
        if anchor is not None:
            year = anchor
    return cand.resolve(measure, pub, year, shift)


def _make(doc: Doc, state: Ctx, heads, s: int, n: Num, sub: Subject, measure: str, clause: str | None,
          target_at: int | None, para: Para, shift: int = 0, quote_from: int | None = None,
          quote_to: int | None = None, region_override: Region | None = None,
          time_limit: int | None = None) -> Fact | None:
    lex = doc.lex
    if sub.key not in lex.indicators:
        return None
    if n.kind == "percent":
        value = n.value if sub.measure != "decline" else -n.value
        measure, unit = "growth_pct", "percent"
    else:
        value, unit = n.value, ("yuan" if n.kind == "money" else "count")
        if para.plan or (target_at is not None and target_at < n.start):
            measure = "target"
        elif n.kind == "money":
            measure = "amount"
        elif sub.key == "tech_contract_count":
            measure = "count"
    if region_override is not None:
        region = region_override
    else:
        region = next((r for p, r in reversed(heads) if p < n.start), None) or state.region or doc.subject
    period = _period_for(doc, para, s, n, measure, shift, time_limit)
    a = min(quote_from if quote_from is not None else n.start, n.start)
    b = max(quote_to or n.end, n.end)
    if a < 0 or b > len(doc.text) or a >= b:
        return None
    return Fact(
        fact=sub.family, indicator=sub.key, level=sub.level or "unspecified", measure=measure,
        value=round(value, 4), unit=unit, qualifier=n.qualifier,
        region=region.name if region is not None else "unknown", period=period,
        quote=doc.text[a:b], start=a, end=b,
        region_code=region.code if region is not None else None,
    )
