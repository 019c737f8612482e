"""``python -m bench [NAME ...]`` (``make bench``): run every benchmark under bench/ and write one
summary table of their figures to bench/results/summary.md (and summary.json).

Each ``bench/<name>.py`` (not starting with ``_``) runs as a subprocess, ``python -m bench.<name>``,
from the project root, one after another (they measure time; running them side by side on two
cores would measure each other). Its output is shown live and kept in bench/results/<name>.log;
its figures are the ``BENCH {json}`` lines described in bench/_protocol.py. For each script the
runner also records the exit code, wall time and peak memory (max RSS of the process tree's
largest process, from ``wait4``).

Options: ``--list``; ``--timeout S`` per script (default 3600, env KEJIWATCH_BENCH_TIMEOUT);
``--out DIR``. Arguments for one script: env ``KEJIWATCH_BENCH_ARGS_<NAME>`` (shell-split), e.g.
``KEJIWATCH_BENCH_ARGS_WAREHOUSE="--pages 10000"``. Exit code 1 when a script failed or timed out;
missed targets are reported, not failures.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._protocol import parse_line, target_met  # noqa: E402

BENCH_DIR = ROOT / "bench"


@dataclass
class BenchRun:
    name: str
    command: list[str]
    exit_code: int | None = None
    timed_out: bool = False
    wall_s: float = 0.0
    peak_rss_mb: float | None = None
    figures: list[dict[str, Any]] = field(default_factory=list)
    log: str = ""

    @property
    def status(self) -> str:
        if self.timed_out:
            return "timeout"
        return "ok" if self.exit_code == 0 else f"failed ({self.exit_code})"


def discover(names: list[str] | None = None) -> list[str]:
    found = sorted(p.stem for p in BENCH_DIR.glob("*.py") if not p.stem.startswith("_"))
    if names:
        unknown = [n for n in names if n not in found]
        if unknown:
            raise SystemExit(f"unknown benchmark(s) {unknown}; known: {', '.join(found)}")
        return [n for n in found if n in names]
    return found


def run_one(name: str, out_dir: Path, timeout: float) -> BenchRun:
    extra = shlex.split(os.environ.get(f"KEJIWATCH_BENCH_ARGS_{name.upper()}", ""))
    cmd = [sys.executable, "-m", f"bench.{name}", *extra]
    run = BenchRun(name, cmd)
    log_path = out_dir / f"{name}.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    print(f"\n=== bench {name}: {' '.join(cmd[1:])}", flush=True)
    started = time.perf_counter()
    # own process group, so a timeout stops the bench and everything it started
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, errors="replace", bufsize=1, start_new_session=True)
    timer = threading.Timer(timeout, _kill_group, args=(proc, run))
    timer.start()
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            sys.stdout.write(line)
            lines.append(line)
            figure = parse_line(line.rstrip("\n"))
            if figure is not None:
                run.figures.append(figure)
        _, status, usage = os.wait4(proc.pid, 0)
        run.exit_code = os.waitstatus_to_exitcode(status)
        proc.returncode = run.exit_code
        run.peak_rss_mb = round(usage.ru_maxrss / 1024, 1)  # KiB on Linux
    finally:
        timer.cancel()
    run.wall_s = round(time.perf_counter() - started, 2)
    run.log = str(log_path)
    log_path.write_text("".join(lines), encoding="utf-8")
    return run


def _kill_group(proc: subprocess.Popen, run: BenchRun) -> None:
    run.timed_out = True
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        time.sleep(5)
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


def _verdict(figure: dict[str, Any]) -> str:
    met = target_met(figure.get("value"), figure.get("target"))
    return {True: "met", False: "**missed**", None: ""}[met]


def summary_markdown(runs: list[BenchRun], started_at: datetime) -> str:
    lines = [
        "# kejiwatch benchmarks",
        "",
        f"Run {started_at:%Y-%m-%d %H:%M} UTC on {os.cpu_count()} CPUs, Python {sys.version.split()[0]}. "
        "Written by `make bench` (`python -m bench`); figures are the `BENCH {json}` lines of each "
        "script (see bench/_protocol.py), plus each script's wall time and peak memory.",
        "",
        "| bench | metric | value | unit | target | | note |",
        "|---|---|---:|---|---|---|---|",
    ]
    for run in runs:
        rows = [*run.figures,
                {"metric": "wall_s", "value": run.wall_s, "unit": "s", "note": f"exit: {run.status}"},
                {"metric": "peak_rss_mb", "value": run.peak_rss_mb, "unit": "MB"}]
        for f in rows:
            note = str(f.get("note", "")).replace("|", "\\|")
            lines.append(f"| {run.name} | {f['metric']} | {_fmt(f.get('value'))} | {f.get('unit', '')} | "
                         f"{f.get('target', '')} | {_verdict(f)} | {note} |")
    failed = [r.name for r in runs if r.status != "ok"]
    missed = [f"{r.name}.{f['metric']}" for r in runs for f in r.figures
              if target_met(f.get("value"), f.get("target")) is False]
    no_figures = [r.name for r in runs if not r.figures]
    lines += ["", f"Scripts: {len(runs)}; failed: {', '.join(failed) or 'none'}; "
              f"targets missed: {', '.join(missed) or 'none'}."]
    if no_figures:
        lines.append(f"Printed no `BENCH` line (figures only in their logs): {', '.join(no_figures)}.")
    lines.append("Logs: bench/results/<name>.log.")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument("--timeout", type=float,
                        default=float(os.environ.get("KEJIWATCH_BENCH_TIMEOUT", "3600")),
                        help="seconds per benchmark script")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results")
    args = parser.parse_args(argv)
    names = discover(args.names)
    if args.list:
        print("\n".join(names))
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    started_at = datetime.now(UTC)
    runs = [run_one(name, args.out, args.timeout) for name in names]
    text = summary_markdown(runs, started_at)
    (args.out / "summary.md").write_text(text, encoding="utf-8")
    (args.out / "summary.json").write_text(json.dumps(
        {"started_at": started_at.isoformat(timespec="seconds"),
         "runs": [{k: v for k, v in asdict(r).items()} | {"status": r.status} for r in runs]},
        ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    print("\n" + text)
    print(f"summary: {args.out / 'summary.md'}")
    return 0 if all(r.status == "ok" for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
