"""CSS selectors for portal configs and the known CMS body containers, matched on a :class:`Page`.

The subset portal YAMLs need: type and ``*``, ``#id``, ``.class``, ``[attr]``,
``[attr=v]`` (also ``~= ^= $= *= |=``, quoted or not), the descendant, ``>``, ``+`` and ``~``
combinators, comma groups, and ``:first-child``, ``:last-child``, ``:nth-child(an+b)``,
``:nth-of-type(an+b)``. Anything else raises ``ValueError`` naming the selector, rather than
silently matching nothing. Removed elements (``Page.dead``) are not there: they match nothing and
are not siblings. Tag and attribute names are compared lower-cased (HTML), values as written.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

from scrapers.htmltree import Element, Page, classes

_TOKEN = re.compile(
    r"""\s*(?P<comb>[>+~,])\s*
      | (?P<ws>\s+)
      | (?P<type>\*|[A-Za-z][\w-]*)
      | \#(?P<id>[\w-]+)
      | \.(?P<cls>[\w-]+)
      | \[\s*(?P<attr>[\w:-]+)\s*
          (?:(?P<op>[~^$*|]?=)\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\]\s]+))\s*)?\]
      | :(?P<pseudo>first-child|last-child|nth-child|nth-of-type)(?:\(\s*(?P<arg>[^)]*?)\s*\))?
    """,
    re.X,
)
_NTH = re.compile(
    r"^(?:(?P<a>[+-]?\d*)n\s*(?:(?P<sign>[+-])\s*(?P<b>\d+))?|(?P<n>[+-]?\d+)|(?P<kw>odd|even))$")

Test = Callable[[Element, Page], bool]


@dataclass
class _Compound:
    tests: list[Test] = field(default_factory=list)
    # one test every match passes ("id"/"class"/"tag", value): a cheap pre-filter
    key: tuple[str, str] | None = None

    def match(self, el: Element, page: Page) -> bool:
        return all(t(el, page) for t in self.tests)


def _siblings(el: Element, page: Page, preceding: bool) -> list[Element]:
    return [s for s in el.itersiblings(preceding=preceding)
            if s.tag.__class__ is str and s not in page.dead]


def _nth(arg: str | None) -> tuple[int, int]:
    m = _NTH.match((arg or "").replace(" ", "").lower())
    if m is None:
        raise ValueError(f"unsupported :nth argument {arg!r}")
    if m["kw"]:
        return (2, 1) if m["kw"] == "odd" else (2, 0)
    if m["n"]:
        return 0, int(m["n"])
    a = m["a"]
    a_val = 1 if a in ("", "+") else -1 if a == "-" else int(a)
    b_val = int(m["b"] or 0) * (-1 if m["sign"] == "-" else 1)
    return a_val, b_val


def _nth_test(a: int, b: int, of_type: bool) -> Test:
    def test(el: Element, page: Page) -> bool:
        before = _siblings(el, page, True)
        pos = 1 + (sum(s.tag == el.tag for s in before) if of_type else len(before))
        if a == 0:
            return pos == b
        return (pos - b) % a == 0 and (pos - b) // a >= 0

    return test


def _attr_test(name: str, op: str | None, value: str) -> Test:
    def get(el: Element) -> str | None:
        if name == "class":
            return " ".join(classes(el)) if el.get("class") is not None else None
        return el.get(name)

    if op is None:
        return lambda el, page: get(el) is not None
    checks: dict[str, Callable[[str], bool]] = {
        "=": lambda v: v == value,
        "~=": lambda v: value in v.split(),
        "^=": lambda v: bool(value) and v.startswith(value),
        "$=": lambda v: bool(value) and v.endswith(value),
        "*=": lambda v: bool(value) and value in v,
        "|=": lambda v: v == value or v.startswith(value + "-"),
    }
    check = checks[op]

    def test(el: Element, page: Page) -> bool:
        v = get(el)
        return v is not None and check(v)

    return test


def _parse(selector: str) -> list[list[tuple[str, _Compound]]]:
    """Groups of (combinator to the left, compound) pairs; the first combinator is ''."""
    groups: list[list[tuple[str, _Compound]]] = []
    chain: list[tuple[str, _Compound]] = []
    comb, cur, pos = "", None, 0
    text = selector.strip()
    if not text:
        raise ValueError("empty CSS selector")
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise ValueError(f"unsupported CSS selector {selector!r} at {text[pos:]!r}")
        pos = m.end()
        if m["comb"]:
            if cur is None:  # a leading, trailing or doubled combinator
                raise ValueError(f"unsupported CSS selector {selector!r}")
            chain.append((comb, cur))
            cur = None
            if m["comb"] == ",":
                groups.append(chain)
                chain, comb = [], ""
            else:
                comb = m["comb"]
            continue
        if m["ws"]:
            if cur is not None:
                chain.append((comb, cur))
                cur, comb = None, " "
            continue
        if cur is None:
            cur = _Compound()
        if m["type"]:
            if m["type"] != "*":
                name = m["type"].lower()
                cur.tests.append(lambda el, page, name=name: el.tag == name)
                cur.key = cur.key or ("tag", name)
        elif m["id"]:
            cur.tests.append(lambda el, page, v=m["id"]: el.get("id") == v)
            cur.key = ("id", m["id"])
        elif m["cls"]:
            cur.tests.append(lambda el, page, v=m["cls"]: v in classes(el))
            if cur.key is None or cur.key[0] == "tag":
                cur.key = ("class", m["cls"])
        elif m["attr"]:
            value = next((v for v in (m["dq"], m["sq"], m["bare"]) if v is not None), "")
            cur.tests.append(_attr_test(m["attr"].lower(), m["op"], value))
        elif m["pseudo"] == "first-child":
            cur.tests.append(lambda el, page: not _siblings(el, page, True))
        elif m["pseudo"] == "last-child":
            cur.tests.append(lambda el, page: not _siblings(el, page, False))
        else:
            a, b = _nth(m["arg"])
            cur.tests.append(_nth_test(a, b, m["pseudo"] == "nth-of-type"))
    if cur is None:
        raise ValueError(f"unsupported CSS selector {selector!r}")
    chain.append((comb, cur))
    groups.append(chain)
    return groups


def _match_chain(el: Element, page: Page, chain: list[tuple[str, _Compound]], i: int) -> bool:
    comb, compound = chain[i]
    if not compound.match(el, page):
        return False
    if i == 0:
        return True
    if comb == ">":
        parent = el.getparent()
        return parent is not None and _match_chain(parent, page, chain, i - 1)
    if comb == " ":
        return any(_match_chain(a, page, chain, i - 1) for a in el.iterancestors())
    before = _siblings(el, page, True)
    if comb == "+":
        return bool(before) and _match_chain(before[0], page, chain, i - 1)
    return any(_match_chain(s, page, chain, i - 1) for s in before)


class Selector:
    """A compiled selector: ``sel.match(el, page)``, ``sel.select(page)``, ``sel.select_one(page)``."""

    def __init__(self, selector: str) -> None:
        self.text = selector
        self.groups = _parse(selector)
        keys = [chain[-1][1].key for chain in self.groups]
        # Only elements carrying an id, a class (as a substring) or the tag the selector names
        # are matched in full: the KNOWN_BODY scan runs on every page.
        self._prefilter = all(keys)
        self._ids = {v for k, v in filter(None, keys) if k == "id"}
        self._tags = {v for k, v in filter(None, keys) if k == "tag"}
        names = sorted({v for k, v in filter(None, keys) if k == "class"})
        self._class_re = re.compile("|".join(map(re.escape, names))) if names else None

    def match(self, el: Element, page: Page) -> bool:
        return any(_match_chain(el, page, chain, len(chain) - 1) for chain in self.groups)

    def _scan(self, page: Page) -> list[Element]:
        if not self._prefilter:
            return page.iter()
        ids, tags, class_re, dead = self._ids, self._tags, self._class_re, page.dead
        def candidate(el: Element) -> bool:
            return el.get("id") in ids or el.tag in tags or (
                class_re is not None and class_re.search(el.get("class") or "") is not None)

        return [el for top in page.elements for el in top.iter(etree.Element)
                if candidate(el) and el not in dead]

    def select(self, page: Page) -> list[Element]:
        return [el for el in self._scan(page) if self.match(el, page)]

    def select_one(self, page: Page) -> Element | None:
        return next((el for el in self._scan(page) if self.match(el, page)), None)


@functools.lru_cache(maxsize=256)
def compile_selector(selector: str) -> Selector:
    return Selector(selector)
