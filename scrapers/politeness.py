"""Per-host politeness: a rate limiter shared by every thread that talks to a host, and robots.txt.

Different hosts proceed in parallel; requests to one host are spaced by at least 1/rate seconds
(or the robots.txt Crawl-delay when that is longer). The limiter reserves slots under a lock and
sleeps outside it, so twenty hosts at 1 req/s really give ~20 req/s.
"""

from __future__ import annotations

import threading
import time

from protego import Protego

USER_AGENT = "kejiwatch/0.1 (+https://github.com/kejiwatch/kejiwatch; S&T statistics research crawler)"
ROBOTS_AGENT = "kejiwatch"


class HostLimiter:
    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self._next = 0.0
        self._lock = threading.Lock()

    def slow_down(self, seconds: float) -> None:
        """Raise the spacing (robots Crawl-delay), never lower it."""
        with self._lock:
            self.interval = max(self.interval, seconds)

    def defer(self, seconds: float) -> None:
        """Nobody talks to this host for ``seconds`` (Retry-After, back-off)."""
        with self._lock:
            self._next = max(self._next, time.monotonic() + seconds)

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
        delay = slot - time.monotonic()
        if delay > 0:
            time.sleep(delay)


class Robots:
    """Parsed robots.txt of one host; ``allow_all``/``deny_all`` for 4xx/5xx per RFC 9309."""

    def __init__(self, text: str | None = None, *, deny_all: bool = False) -> None:
        self.deny_all = deny_all
        self._parser = Protego.parse(text) if text else None

    def allowed(self, url: str) -> bool:
        if self.deny_all:
            return False
        return self._parser is None or self._parser.can_fetch(url, ROBOTS_AGENT)

    def crawl_delay(self) -> float | None:
        if self._parser is None:
            return None
        d = self._parser.crawl_delay(ROBOTS_AGENT)
        return float(d) if d else None
