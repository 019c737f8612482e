"""Bytes → text for Chinese portals.

Order: the HTTP header's charset (requests' ISO-8859-1 default for a bare ``text/html`` is ignored,
see psf/requests#5161, and an explicit Western single-byte header comes after the meta) → BOM →
``<meta charset>`` / ``http-equiv`` in the first bytes → the portal's hint → charset-normalizer. The
first candidate that decodes the bytes cleanly wins, so a header that lies (says UTF-8, sends GBK)
does not garble a page whose meta tag is right. GB2312/GBK are decoded as GB18030: enterprise names
use characters outside GB2312 (燊, 喆, 堃). Text that still looks garbled (replacement characters,
UTF-8 read as Latin-1, 锟斤拷) is flagged ``ok=False``.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from charset_normalizer import from_bytes

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-:.]+)", re.I)
# UTF-8 bytes read as Latin-1/CP1252 (Ã©, å·, ç§) and the classic GBK-of-UTF-8 "锟斤拷".
_MOJIBAKE = re.compile(r"[ÃÂâåäæçèéï][\x80-\xbf¡-¿]|锟斤拷|�")

_LATIN1 = re.compile(r"[\u00a1-\u00ff]")
_CJK = re.compile(r"[\u4e00-\u9fff]")

_ALIASES = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030", "gb_2312-80": "gb18030",
    "x-euc-cn": "gb18030", "euc-cn": "gb18030", "ms936": "gb18030", "windows-936": "gb18030",
    "utf8": "utf-8", "big5-hkscs": "big5hkscs",
}


_WEAK = {"iso8859-1", "latin-1", "cp1252", "ascii", "windows-1252"}


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    how: str  # header | bom | meta | hint | detected | fallback
    ok: bool


def normalise(name: str | None) -> str | None:
    """Canonical codec name, GB family → gb18030; None if Python does not know it."""
    if not name:
        return None
    key = name.strip().strip("\"'").lower()
    key = _ALIASES.get(key, key)
    try:
        return _ALIASES.get(codecs.lookup(key).name, codecs.lookup(key).name)
    except LookupError:
        return None


def header_charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    m = _HEADER_CHARSET.search(content_type)
    return normalise(m.group(1)) if m else None


def meta_charset(body: bytes) -> str | None:
    m = _META_CHARSET.search(body[:4096])
    return normalise(m.group(1).decode("ascii", "ignore")) if m else None


def bom_charset(body: bytes) -> str | None:
    boms = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
    for bom, name in boms:
        if body.startswith(bom):
            return name
    return None


def _is_utf8_text(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return any(b > 0x7F for b in body[:65536])


def looks_garbled(text: str) -> bool:
    """More than a trace of mojibake: replacement chars or Latin-1-read UTF-8 sequences."""
    if not text:
        return False
    bad = len(_MOJIBAKE.findall(text))
    if bad > max(2, len(text) // 2000):
        return True
    # GBK (or any CJK bytes) read as a single-byte charset: Latin-1 letters where hanzi should be
    latin = len(_LATIN1.findall(text))
    return latin > 20 and latin > 5 * len(_CJK.findall(text))


def decode(body: bytes, content_type: str | None = None, hint: str | None = None) -> Decoded:
    candidates: list[tuple[str, str]] = []
    header = header_charset(content_type)
    # A Western single-byte charset in the header of a Chinese page is a server default, not a
    # statement (Latin-1 decodes any bytes "cleanly"): it goes after the page's own meta and the hint.
    weak = header in _WEAK
    for how, enc in (
        ("header", None if weak else header),
        ("bom", bom_charset(body)),
        ("meta", meta_charset(body)),
        ("hint", normalise(hint)),
        ("header", header if weak else None),
    ):
        if enc and enc not in {c for _, c in candidates}:
            candidates.append((how, enc))
    # Valid multi-byte UTF-8 is almost never GBK by accident, while GB18030 decodes nearly any
    # bytes "cleanly": a page declared GB but sent as UTF-8 would otherwise become rare hanzi.
    if candidates and candidates[0][1] == "gb18030" and _is_utf8_text(body):
        text = body.decode("utf-8").lstrip("\ufeff")
        return Decoded(text, "utf-8", "detected", not looks_garbled(text))
    garbled: Decoded | None = None  # the first clean decode that still reads as mojibake
    for how, enc in candidates:
        try:
            text = body.decode(enc).lstrip("\ufeff")
        except (UnicodeDecodeError, LookupError):
            continue
        if not looks_garbled(text):
            return Decoded(text, enc, how, True)
        # decodes but reads as mojibake (a Western charset on Chinese bytes): try the others first
        garbled = garbled or Decoded(text, enc, how, False)
    # Nothing declared reads well: UTF-8, else GB18030 (these are Chinese sites; detection mistakes
    # short GBK for CP949 or Big5), then charset-normalizer. Bytes that are valid UTF-8 but read as
    # mojibake were double-encoded at the source: they stay flagged, not re-read as rare hanzi.
    if _is_utf8_text(body):
        text = body.decode("utf-8").lstrip("\ufeff")
        return Decoded(text, "utf-8", "detected", True) if not looks_garbled(text) else (
            garbled or Decoded(text, "utf-8", "detected", False))
    try:
        text = body.decode("gb18030")
        if not looks_garbled(text):
            return Decoded(text, "gb18030", "detected", True)
    except UnicodeDecodeError:
        pass
    best = from_bytes(body[:200_000]).best()
    detected = normalise(best.encoding) if best else None
    if detected:
        try:
            text = body.decode(detected)
            if not looks_garbled(text):
                return Decoded(text, detected, "detected", True)
        except (UnicodeDecodeError, LookupError):
            pass
    if garbled:
        return garbled
    # Last resort: the first declared encoding (or UTF-8) with replacement, flagged as garbled.
    enc = candidates[0][1] if candidates else (detected or "utf-8")
    text = body.decode(enc, errors="replace")
    return Decoded(text, enc, "fallback", False if "\ufffd" in text else not looks_garbled(text))
