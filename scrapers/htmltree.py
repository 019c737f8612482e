"""An HTML page as an lxml tree, read with the text rules the article parser was written against.

The generic parser (``scrapers.article``) was tuned on BeautifulSoup's view of a page (its lxml
builder). Building that tree cost most of a page's parse time, so the page is now parsed by lxml
directly and this module reproduces the parts of BeautifulSoup's model the parser's thresholds
depend on, so its output stays the same:

* every text node is its own string: text cut by a comment or by a removed element stays two
  strings (``get_text(strip=True)`` strips each one);
* a string of ASCII whitespace only reads as ``"\\n"`` when it holds a newline, else ``" "``,
  except inside ``<pre>``/``<textarea>``;
* text inside ``<rt>``/``<rp>`` is a ruby annotation: an element's text leaves it out unless the
  element is that ``<rt>``/``<rp>``;
* comments are never text; removing an element keeps the text that follows it (its tail);
* what a page puts after ``</html>`` is part of the document (libxml2 opens a second ``<html>``
  for it), outside the first ``<body>``.

"Removed" elements are never taken out of the lxml tree: they are in :attr:`Page.dead` (with their
whole subtree), and every walk here skips them (:meth:`Page.live_view` is a copy without them, for
matching what depends on siblings or text). A subtree with nothing removed in it (not in
:attr:`Page.dirty`) is read with lxml's own ``itertext`` in C, which yields the same strings.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable

from lxml import etree

Element = etree._Element

_ASCII_WS = " \n\t\f\r"
RUBY = frozenset({"rt", "rp"})
PRESERVE_WS = frozenset({"pre", "textarea"})
_NON_WS = re.compile(r"\S+")
_ID_CLASS = etree.XPath("//@id | //@class", smart_strings=False)


def parse_tops(html: str) -> list[Element]:
    """The document's top-level nodes in order (comments before ``<html>``, ``<html>``, anything
    after it). Fed to a push parser as BeautifulSoup's lxml builder does: a str with an XML
    declaration is refused by ``etree.fromstring`` but read by ``feed``."""
    if html[:1] == "\ufeff":
        html = html[1:]
    parser = etree.HTMLParser()
    try:
        parser.feed(html)
        root = parser.close()
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return []
    if root is None:
        return []
    return [*reversed(list(root.itersiblings(preceding=True))), root, *root.itersiblings()]


def is_element(node: Element) -> bool:
    return node.tag.__class__ is str


def classes(el: Element) -> list[str]:
    """The class attribute as a list of names, split on whitespace."""
    return _NON_WS.findall(el.get("class") or "")


def _take_out(el: Element) -> None:
    """Remove ``el`` from its tree, leaving the text that follows it where it was."""
    parent = el.getparent()
    if el.tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def _norm_ws(text: str, pre: bool) -> str:
    if pre or text.strip(_ASCII_WS):
        return text
    return "\n" if "\n" in text else " "


class Page:
    """A parsed page: its top-level nodes, the removed elements, memoised text lengths."""

    def __init__(self, html: str) -> None:
        self.tops = parse_tops(html)
        self.elements = [t for t in self.tops if is_element(t)]
        self.dead: set[Element] = set()
        self.dirty: set[Element] = set()  # ancestors of removed elements
        self._len: dict[Element, int] = {}
        self._id_class: str | None = None
        self._live: tuple[list[Element], dict[Element, Element]] | None = None
        special = {e.tag for top in self.elements for e in top.iter(*RUBY, *PRESERVE_WS)}
        self.has_ruby = bool(special & RUBY)
        self.has_pre = bool(special & PRESERVE_WS)
        # itertext knows neither ruby nor <pre>: pages with either take the slow walk
        self._fast = not (self.has_ruby or self.has_pre)

    # ------------------------------------------------------------------ finding elements

    def iter(self, *tags: str) -> list[Element]:
        """Live elements of the whole document in document order (optionally of some tags)."""
        dead = self.dead
        out: list[Element] = []
        for top in self.elements:
            it = top.iter(*tags) if tags else top.iter(etree.Element)
            out.extend(e for e in it if e not in dead)
        return out

    def descendants(self, el: Element | None, *tags: str) -> list[Element]:
        """Live elements under ``el`` (not ``el`` itself; None: the document), in document order."""
        if el is None:
            return self.iter(*tags)
        dead = self.dead
        it = el.iter(*tags) if tags else el.iter(etree.Element)
        return [e for e in it if e is not el and e not in dead]

    def find(self, el: Element, tag: str) -> Element | None:
        """The first live ``tag`` element under ``el``."""
        dead = self.dead
        return next((e for e in el.iter(tag) if e is not el and e not in dead), None)

    def first(self, tag: str, attr: str | None = None) -> Element | None:
        """The first ``tag`` element of the document (removed or not), with ``attr`` if given."""
        for top in self.elements:
            for e in top.iter(tag):
                if attr is None or e.get(attr) is not None:
                    return e
        return None

    def remove(self, els: Iterable[Element]) -> None:
        """Remove elements with their subtrees (their tails stay)."""
        dead, dirty = self.dead, self.dirty
        for el in els:
            if el in dead:
                continue
            dead.update(el.iter())
            for anc in el.iterancestors():
                if anc in dirty:
                    break
                dirty.add(anc)
        self._len.clear()
        self._live = None

    def id_class_text(self) -> str:
        """Every id and class value of the document (removed elements too), joined: whether an id
        or a class name can be on the page at all, found without a walk in Python. Memoised."""
        if self._id_class is None:
            self._id_class = " ".join(_ID_CLASS(self.elements[0])) if self.elements else ""
        return self._id_class

    def live_view(self) -> tuple[list[Element], dict[Element, Element]]:
        """The live top-level elements copied with the removed elements taken out (their tails
        kept), and each copied element's original. Memoised until the next removal."""
        if self._live is None:
            dead = self.dead
            tops: list[Element] = []
            original: dict[Element, Element] = {}
            for top in self.elements:
                if top in dead:
                    continue
                top_copy = copy.deepcopy(top)
                pairs = list(zip(top.iter(), top_copy.iter(), strict=True))
                original.update((c, el) for el, c in pairs)
                for el, c in pairs:
                    if el in dead and el.getparent() not in dead:
                        _take_out(c)
                tops.append(top_copy)
            self._live = tops, original
        return self._live

    # ------------------------------------------------------------------ text

    def _clean(self, el: Element) -> bool:
        return self._fast and el not in self.dirty

    def strings(self, el: Element) -> list[str]:
        """``el``'s strings as ``get_text`` sees them, in order."""
        out: list[str] = []
        if self._clean(el):
            return [_norm_ws(t, False) for t in el.itertext()]
        pre = self.has_pre and any(a.tag in PRESERVE_WS for a in el.iterancestors())
        if self.has_ruby:
            want = el.tag if el.tag in RUBY else None
            cls = el.tag if el.tag in RUBY else next(
                (a.tag for a in el.iterancestors() if a.tag in RUBY), None)
            self._ruby_strings(el, out, want, cls, pre or el.tag in PRESERVE_WS)
        else:
            self._strings(el, out, pre or el.tag in PRESERVE_WS)
        return out

    def _strings(self, el: Element, out: list[str], pre: bool) -> None:
        dead = self.dead
        if el.text:
            out.append(_norm_ws(el.text, pre))
        for child in el:
            tag = child.tag
            if tag.__class__ is str and child not in dead:
                if self._clean(child):
                    out.extend(_norm_ws(t, False) for t in child.itertext())
                else:
                    self._strings(child, out, pre or tag in PRESERVE_WS)
            if child.tail:
                out.append(_norm_ws(child.tail, pre))

    def _ruby_strings(self, el: Element, out: list[str], want: str | None, cls: str | None,
                      pre: bool) -> None:
        dead = self.dead
        keep = cls == want
        if el.text and keep:
            out.append(_norm_ws(el.text, pre))
        for child in el:
            tag = child.tag
            if tag.__class__ is str and child not in dead:
                self._ruby_strings(child, out, want, tag if tag in RUBY else cls,
                                   pre or tag in PRESERVE_WS)
            if child.tail and keep:
                out.append(_norm_ws(child.tail, pre))

    def text(self, el: Element, sep: str = "") -> str:
        return sep.join(self.strings(el))

    def stripped_text(self, el: Element) -> str:
        """``get_text(strip=True)``: every string stripped, empty ones left out."""
        return "".join(s for s in (s.strip() for s in self.strings(el)) if s)

    def document_strings(self) -> list[str]:
        """The whole document's strings (``soup.get_text``)."""
        out: list[str] = []
        for top in self.elements:
            if top in self.dead:
                continue
            if self.has_ruby:
                self._ruby_strings(top, out, None, top.tag if top.tag in RUBY else None,
                                   top.tag in PRESERVE_WS)
            else:
                out.extend(self.strings(top))
        return out

    # ------------------------------------------------------------------ text lengths

    def text_len(self, el: Element) -> int:
        """``len(el.get_text(strip=True))``, memoised."""
        n = self._len.get(el)
        if n is None:
            texts = el.itertext() if self._clean(el) else self.strings(el)
            n = self._len[el] = sum(len(t.strip()) for t in texts)
        return n

    def link_text_len(self, el: Element) -> int:
        """Stripped text length of every ``<a>`` under ``el`` (nested links count twice)."""
        return sum(self.text_len(a) for a in self.descendants(el, "a"))

    def own_text_len(self, el: Element, block_tags: frozenset[str] | set[str]) -> tuple[int, int]:
        """(text length, link text length) of ``el``'s inline content: its own strings and its
        non-block children, stripped."""
        dead = self.dead
        total = links = 0
        if el.text:
            total += len(el.text.strip())
        for child in el:
            tag = child.tag
            if tag.__class__ is str and child not in dead and tag not in block_tags:
                n = self.text_len(child)
                total += n
                if tag == "a":
                    links += n
            if child.tail:
                total += len(child.tail.strip())
        return total, links
