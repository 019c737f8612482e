"""Recognise anti-bot answers so they are recorded as blocked, never landed as content.

We detect and report; we do not solve challenges (politeness, and the law of the sites we read).
"""

from __future__ import annotations

import re

_JSL = re.compile(r"document\.cookie\s*=", re.I)
_RIVERSEC = re.compile(r"\$_ts\s*=|\$_ts\.nsd|window\[['\"]\$_ts['\"]\]", re.I)
_WZWS = re.compile(r"WZWSREL|wzwschallenge", re.I)


def blocked_reason(status: int | None, text: str | None) -> str | None:
    """``js_challenge_521`` (加速乐), ``waf_412`` / ``waf_ts_stub`` (瑞数), ``wzws_challenge``, or None."""
    body = (text or "")[:20_000]
    if status == 521:
        return "js_challenge_521"
    if status == 412:
        return "waf_412"
    if _RIVERSEC.search(body) and len(body) < 20_000 and "<p" not in body.lower():
        return "waf_ts_stub"
    if _WZWS.search(body):
        return "wzws_challenge"
    # A tiny page that only sets a cookie and reloads is a JS challenge whatever its status.
    if _JSL.search(body) and "location" in body and len(body) < 5_000:
        return "js_challenge"
    return None
