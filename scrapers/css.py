"""CSS selectors for portal configs and the known CMS body containers, matched on a :class:`Page`.

A selector is translated once by cssselect's ``HTMLTranslator`` (what ``lxml.cssselect`` uses: tag
and attribute names compared lower-cased, values as written) to an XPath, evaluated on each
top-level element of the page. Removed elements (``Page.dead``) are not there: a match that is
removed, or under a removed element, is dropped, and a selector whose match depends on siblings or
text (``+``, ``~``, ``:first-child``, ``:nth-child()``, ``:contains()``, ``:has()`` …) runs on the
page's live view, where removed elements are neither siblings nor text. What cssselect cannot
translate (bad syntax, pseudo-elements) and the states a fetched page never has (``:hover``,
``:visited`` …) raise ``ValueError`` naming the selector, rather than silently matching nothing.
"""

from __future__ import annotations

import functools
from typing import NoReturn

import cssselect
from cssselect import parser as css
from cssselect.xpath import ExpressionError, XPathExpr
from lxml import etree

from scrapers.htmltree import Element, Page

Key = tuple[str, str]  # ("id" | "class" | "tag", value): every match of an alternative carries it


class _Translator(cssselect.HTMLTranslator):
    def _static_page(self, xpath: XPathExpr) -> NoReturn:
        raise ExpressionError("a state a fetched page never has: this would match nothing")

    xpath_hover_pseudo = xpath_active_pseudo = xpath_focus_pseudo = _static_page
    xpath_visited_pseudo = xpath_target_pseudo = _static_page


_TRANSLATOR = _Translator()


def _needs_live_view(node: css.Tree) -> bool:
    """Whether removed elements could change the match: anything but type/id/class/attribute tests,
    ``:not()`` of those, and descendant/child combinators (a live element's ancestors are live)."""
    if isinstance(node, css.CombinedSelector):
        return (node.combinator not in (" ", ">") or _needs_live_view(node.selector)
                or _needs_live_view(node.subselector))
    if isinstance(node, css.Negation):
        return _needs_live_view(node.selector) or _needs_live_view(node.subselector)
    if isinstance(node, (css.Hash, css.Class, css.Attrib)):
        return _needs_live_view(node.selector)
    return not isinstance(node, css.Element)


def _key(node: css.Tree) -> Key | None:
    """The id, else a class, else the tag that the rightmost compound selector names."""
    if isinstance(node, css.CombinedSelector):
        node = node.subselector
    keys: dict[str, str] = {}
    while not isinstance(node, css.Element):
        if isinstance(node, css.Hash):
            keys["id"] = node.id
        elif isinstance(node, css.Class):
            keys["class"] = node.class_name
        node = node.selector
    if node.element and not node.namespace:
        keys["tag"] = node.element.lower()
    return next(((k, keys[k]) for k in ("id", "class", "tag") if k in keys), None)


def _may_be_on(page: Page, key: Key) -> bool:
    kind, value = key
    if kind == "tag":
        return any(next(top.iter(value), None) is not None for top in page.elements)
    return value in page.id_class_text()


class Selector:
    """A compiled selector: ``sel.select(page)``, ``sel.select_one(page)``."""

    def __init__(self, selector: str) -> None:
        self.text = selector
        try:
            parsed = cssselect.parse(selector)
            xpath = " | ".join(
                _TRANSLATOR.selector_to_xpath(s, translate_pseudo_elements=True) for s in parsed)
            self._xpath = etree.XPath(xpath)
        except (cssselect.SelectorError, etree.XPathError) as exc:
            raise ValueError(f"unsupported CSS selector {selector!r}: {exc}") from exc
        self._live = any(_needs_live_view(s.parsed_tree) for s in parsed)
        keys = [_key(s.parsed_tree) for s in parsed]
        # The KNOWN_BODY scan runs on every page and libxml2's XPath walk costs more than looking
        # the page's ids/classes up once: a selector none of whose keys is on the page is skipped.
        self._keys = keys if all(keys) else None

    def select(self, page: Page) -> list[Element]:
        """Live matches in document order."""
        if self._keys is not None and not any(_may_be_on(page, k) for k in self._keys):
            return []
        dead = page.dead
        if self._live and dead:
            tops, original = page.live_view()
            return [original[e] for top in tops for e in self._xpath(top)]
        return [e for top in page.elements for e in self._xpath(top) if e not in dead]

    def select_one(self, page: Page) -> Element | None:
        found = self.select(page)
        return found[0] if found else None


@functools.lru_cache(maxsize=256)
def compile_selector(selector: str) -> Selector:
    return Selector(selector)
