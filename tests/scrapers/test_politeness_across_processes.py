"""Two crawler processes hitting the same replay host together keep the host's rate between them.

Each process is a real `Fetcher` (its own requests Session and limiter) talking HTTP to the replay
portals; they start on a common signal and fetch the same host at the same time. The request times
come from the fetch log (`raw.fetches` rows: `requested_at` is taken when the limiter lets the
request go). With the shared per-host state the merged log is spaced by 1/rate; the control run
with process-local limiters shows what the test would catch: the two processes together go at
twice the rate."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

from scrapers.shared_limiter import SharedHostLimiter

RATE = 2.5  # requests/s for the host: a 0.4 s spacing, wide against scheduling noise
PER_PROCESS = 6  # list-page fetches per process (plus each process's robots.txt)

_CHILD = r"""
import json, sys
from datetime import UTC
from scrapers.fetch import Fetcher, FetchPolicy

proxy, url, n, rate = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
shared = sys.argv[5] == "1"
policy = FetchPolicy(rate=rate, retries=0, shared_limits=shared)
with Fetcher(proxy, policy) as fetcher:
    print("ready", flush=True)
    sys.stdin.readline()  # the common start signal
    rows = []
    for _ in range(n):
        res = fetcher.fetch(url, portal_id="t", kind="list", allowed=lambda u: True)
        assert res.ok, res.error
        rows += [r["requested_at"].replace(tzinfo=UTC).timestamp() for r in res.attempts]
print(json.dumps(rows), flush=True)
"""


def _crawl_together(proxy: str, url: str, state_dir: Path, *, shared: bool) -> list[tuple[float, int]]:
    env = {**os.environ, "KEJIWATCH_POLITENESS_DIR": str(state_dir), "KEJIWATCH_CRAWL_RATE": ""}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD, proxy, url, str(PER_PROCESS), str(RATE), "1" if shared else "0"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        for _ in range(2)
    ]
    for p in procs:  # both have imported everything and opened their Fetcher
        assert p.stdout is not None and p.stdout.readline().strip() == "ready", p.stderr
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    stamps: list[tuple[float, int]] = []
    for i, p in enumerate(procs):
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err[-3000:]
        stamps += [(t, i) for t in json.loads(out.strip().splitlines()[-1])]
    return sorted(stamps)


def test_two_processes_share_the_host_rate(replay_server, tmp_path: Path) -> None:
    server = replay_server()
    url = next(iter(server.start_urls().values()))[0]
    interval = 1.0 / RATE

    stamps = _crawl_together(server.proxy_url, url, tmp_path / "shared", shared=True)
    times = [t for t, _ in stamps]
    assert len(times) == 2 * (PER_PROCESS + 1)  # robots.txt once per process, then the list pages
    assert {who for _, who in stamps} == {0, 1}
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # A request goes at or after its reserved slot, so a late wake-up of one process can shorten
    # the gap to the next request by that lateness: half the spacing is the tolerance.
    print(f"gaps between the two processes' requests to one host: {[round(g, 3) for g in gaps]}")
    assert min(gaps) >= 0.5 * interval, [round(g, 3) for g in gaps]
    # Over the whole run the host never saw more than RATE requests/s from the two together.
    assert times[-1] - times[0] >= 0.95 * interval * (len(times) - 1), round(times[-1] - times[0], 3)
    assert list((tmp_path / "shared").glob("*.next"))


def test_control_process_local_limiters_double_the_rate(replay_server, tmp_path: Path) -> None:
    """What the shared state prevents: each process alone is polite, together they are not."""
    server = replay_server()
    url = next(iter(server.start_urls().values()))[0]
    interval = 1.0 / RATE

    stamps = _crawl_together(server.proxy_url, url, tmp_path / "local", shared=False)
    times = [t for t, _ in stamps]
    assert times[-1] - times[0] < 0.9 * interval * (len(times) - 1)
    assert not list((tmp_path / "local").glob("*.next"))


def test_a_stored_slot_far_ahead_is_ignored(tmp_path: Path) -> None:
    """A wall clock set back must not stall the crawler for hours behind an old reservation."""
    limiter = SharedHostLimiter("www.example.gov.cn", 50.0, tmp_path)
    limiter.state_path.write_text("9999999999.0")
    limiter.wait()
    assert float(limiter.state_path.read_text()) < 9_000_000_000
