"""Publish dates as Chinese portals write them, normalised to naive Asia/Shanghai wall time.

Forms seen in the wild: ``2023-08-23``, ``2024/12/20 9:12:16`` (.NET zh-CN, unpadded),
``2022年7月6日``, ``2020年08月02日 10:20``, ``[2024-03-01]``, ``2023.8.23``, meta ``PubDate`` with
minutes only. We keep wall time (no tz) because every portal publishes in China time.
"""

from __future__ import annotations

import re
from datetime import datetime

# One pattern for all the forms above; the time part is optional.
DATE_RE = re.compile(
    r"(?P<y>(?:19|20)\d{2})\s*(?:[-/.]|年)\s*(?P<m>\d{1,2})\s*(?:[-/.]|月)\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*(?:T|\s)?\s*(?P<H>\d{1,2})\s*[:：时]\s*(?P<M>\d{1,2})(?:\s*[:：分]\s*(?P<S>\d{1,2}))?)?"
)


def parse_date(text: str | None) -> datetime | None:
    """The first plausible date in ``text`` (None when there is none or it is impossible)."""
    if not text:
        return None
    for m in DATE_RE.finditer(text):
        try:
            return datetime(
                int(m["y"]), int(m["m"]), int(m["d"]),
                int(m["H"] or 0), int(m["M"] or 0), int(m["S"] or 0),
            )
        except ValueError:  # 2024-13-45 or 25:61: keep looking
            continue
    return None
