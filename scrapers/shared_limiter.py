"""Per-host politeness that holds across processes on one machine.

:class:`~scrapers.politeness.HostLimiter` spaces the requests of the threads of one process. Two
processes that talk to the same host — two Airflow mapped crawl tasks for two portals on one host,
a backfill overlapping the scheduled run, `kejiwatch crawl` beside `kejiwatch run` — would each
keep their own spacing and together hit the host twice as often. :class:`SharedHostLimiter` keeps
the host's *next allowed request time* in a small state file guarded by a file lock (``filelock``),
so every process on the machine reserves its slot from the same clock. Several machines (Celery
workers) do not share the file: there the Airflow pool ``kejiwatch_crawl`` bounds the fan-out.

Wall-clock time (``time.time``) is stored because it is the one clock every process agrees on; a
stored time implausibly far ahead (the clock was set back) is ignored rather than obeyed.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from filelock import FileLock

from scrapers.politeness import HostLimiter

# A reservation further ahead than this is not a real one (Retry-After is capped at 60 s and a
# robots Crawl-delay beyond minutes is not honoured blindly either): the wall clock moved back.
MAX_AHEAD_S = 600.0


def default_state_dir() -> Path:
    """``KEJIWATCH_POLITENESS_DIR``, else ``<data dir>/politeness`` (next to the warehouse the
    crawls write, so every process of one deployment shares it and test data dirs stay apart)."""
    explicit = os.environ.get("KEJIWATCH_POLITENESS_DIR")
    if explicit:
        return Path(explicit).expanduser()
    from kejiwatch import settings

    return settings.data_dir() / "politeness"


def _file_stem(host: str) -> str:
    return re.sub(r"[^a-z0-9.\-]", "_", host.lower()) or "_"


class SharedHostLimiter(HostLimiter):
    """A :class:`HostLimiter` whose next free slot lives in ``<state_dir>/<host>.next``."""

    def __init__(self, host: str, rate: float, state_dir: Path | None = None) -> None:
        super().__init__(rate)
        folder = Path(state_dir or default_state_dir())
        folder.mkdir(parents=True, exist_ok=True)
        stem = _file_stem(host)
        self.state_path = folder / f"{stem}.next"
        self._file_lock = FileLock(str(folder / f"{stem}.lock"))

    def _read(self, now: float) -> float:
        try:
            value = float(self.state_path.read_text() or 0.0)
        except (OSError, ValueError):
            return 0.0  # no file yet, or a torn write from a killed process: start afresh
        return value if value - now <= MAX_AHEAD_S else 0.0

    def _write(self, value: float) -> None:
        self.state_path.write_text(f"{value:.6f}")

    def defer(self, seconds: float) -> None:
        """Nobody on this machine talks to this host for ``seconds`` (Retry-After, back-off)."""
        with self._lock, self._file_lock:
            now = time.time()
            self._write(max(self._read(now), now + seconds))

    def wait(self) -> None:
        with self._lock, self._file_lock:
            now = time.time()
            slot = max(now, self._read(now))
            self._write(slot + self.interval)
        delay = slot - time.time()
        if delay > 0:
            time.sleep(delay)
