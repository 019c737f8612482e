"""Reposts: the same article on several portals (a trade site copying a bureau's notice, a forum
quoting it, a 繁體 copy) linked to its earliest copy so facts are not counted twice.

Bodies are converted to simplified Chinese (OpenCC t2s), stripped of whitespace and punctuation,
cut into character 5-gram shingles and hashed with MinHash; MinHashLSH finds candidates, whose
estimated Jaccard similarity must pass ``THRESHOLD``. Template news ("3月8日，…召开宣讲会" and
"4月9日，…召开宣讲会") is textually near-identical but reports different events, so a copy must
also carry every figure of the shorter text (dates, counts, amounts: a repost keeps the numbers).
Versions of the same URL are never reposts of each other (an edit is a new version, not a copy).
"""

from __future__ import annotations

import dataclasses
import functools
import re
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH

NUM_PERM = 128
SCHEME = "affine32"  # stored signatures are only comparable under the scheme that made them
SHINGLE = 5
THRESHOLD = 0.7
MIN_SHINGLES = 20  # below this a body is too short to call anything a copy

_PUNCT = re.compile(r"[\s\u3000\W_]+", re.UNICODE)
_converter = None
_conv_lock = threading.Lock()


def to_simplified(text: str) -> str:
    global _converter
    with _conv_lock:
        if _converter is None:
            import opencc

            _converter = opencc.OpenCC("t2s")
        return _converter.convert(text)


_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def numbers(text: str) -> list[str]:
    """The figures of a body, in order (dates, counts, amounts)."""
    return _NUMBER.findall(text or "")


def signature(text: str) -> list[int] | None:
    """MinHash signature of a body (None when the body is too short to compare)."""
    norm = _PUNCT.sub("", to_simplified(text or ""))
    shingles = {norm[i : i + SHINGLE] for i in range(max(0, len(norm) - SHINGLE + 1))}
    if len(shingles) < MIN_SHINGLES:
        return None
    m = MinHash(num_perm=NUM_PERM, scheme=SCHEME)
    m.update_batch([s.encode("utf-8") for s in shingles])
    return [int(v) for v in m.hashvalues]


@dataclass
class SigRow:
    page_version_id: str
    url: str
    published_at: datetime | None
    fetched_at: datetime
    signature: list[int]
    duplicate_of: str | None = None
    numbers: list[str] | None = None


def _minhash(sig: list[int]) -> LeanMinHash:
    # LeanMinHash: stored values only, no permutation tables rebuilt per page (that cost 1 ms each)
    return LeanMinHash(seed=1, hashvalues=np.array(sig, dtype=np.uint32), scheme=SCHEME)


@functools.cache
def _lsh_params() -> tuple[int, int]:
    """Bands × rows for THRESHOLD, optimised once (datasketch integrates numerically each time)."""
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    return lsh.b, lsh.r


def _order(r: SigRow) -> tuple:
    # earliest publication wins; unknown dates go last; then first fetched; then a stable id
    return (r.published_at is None, r.published_at or datetime.max, r.fetched_at, r.page_version_id)


def _same_figures(a: SigRow, b: SigRow) -> bool:
    """Every figure of the text with fewer figures appears (as often) in the other."""
    if a.numbers is None or b.numbers is None:
        return True
    small, large = sorted((Counter(a.numbers), Counter(b.numbers)), key=lambda c: sum(c.values()))
    return not (small - large)


class RepostIndex:
    """Signatures of the landed pages in an LSH index that grows batch by batch (the lander keeps
    one per warehouse connection instead of reloading every signature for each portal)."""

    def __init__(self, rows: list[SigRow] | None = None) -> None:
        self.lsh = MinHashLSH(num_perm=NUM_PERM, params=_lsh_params())
        self.rows: dict[str, SigRow] = {}
        self.hashes: dict[str, LeanMinHash] = {}
        for r in rows or []:
            self._add(r)

    def _add(self, r: SigRow) -> None:
        if r.page_version_id in self.rows:
            return
        self.rows[r.page_version_id] = dataclasses.replace(r)  # links change here, not in the caller's row
        self.hashes[r.page_version_id] = _minhash(r.signature)
        self.lsh.insert(r.page_version_id, self.hashes[r.page_version_id])

    def add_and_link(self, new: list[SigRow]) -> dict[str, str | None]:
        """Add the new pages; ``{page_version_id: duplicate_of}`` for every link that must change."""
        for r in new:
            self._add(r)
        rows, hashes = self.rows, self.hashes
        changes: dict[str, str | None] = {}
        done: set[str] = set()
        for r in new:
            if r.page_version_id in done:
                continue
            # the connected group of copies around this new page (transitively, across URLs)
            group: dict[str, SigRow] = {}
            todo = [r.page_version_id]
            while todo:
                pid = todo.pop()
                if pid in group:
                    continue
                group[pid] = rows[pid]
                for cand in self.lsh.query(hashes[pid]):
                    if cand in group or rows[cand].url == rows[pid].url:
                        continue
                    similar = hashes[pid].jaccard(hashes[cand]) >= THRESHOLD
                    if similar and _same_figures(rows[pid], rows[cand]):
                        todo.append(cand)
            done |= set(group)
            if len({g.url for g in group.values()}) < 2:
                continue
            original = min(group.values(), key=_order)
            for g in group.values():
                want = None if g.url == original.url else original.page_version_id
                if g.duplicate_of != want:
                    changes[g.page_version_id] = want
                    g.duplicate_of = want
        return changes


def link_duplicates(existing: list[SigRow], new: list[SigRow]) -> dict[str, str | None]:
    """``{page_version_id: duplicate_of}`` for every row whose link must change (None = original)."""
    return RepostIndex(existing).add_and_link(new)
