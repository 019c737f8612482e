"""`make bench`'s runner: the BENCH line protocol, target checks, and a real run of a benchmark
script as a subprocess (a tiny one, written to a temporary bench folder)."""

from __future__ import annotations

from pathlib import Path

import pytest

import bench.__main__ as runner
from bench._protocol import emit, parse_line, target_met


def test_emit_writes_a_line_parse_line_reads(capsys: pytest.CaptureFixture[str]) -> None:
    emit("incremental_over_full", 0.031, "ratio", target="<= 0.05", note="1,000 new pages")
    line = capsys.readouterr().out.rstrip("\n")
    assert line.startswith("BENCH {")
    assert parse_line(line) == {"metric": "incremental_over_full", "value": 0.031, "unit": "ratio",
                                "target": "<= 0.05", "note": "1,000 new pages"}


@pytest.mark.parametrize("line", ["BENCH not json", "BENCH {\"value\": 1}", "bench {\"metric\": \"a\"}",
                                  "some output", "BENCH [1, 2]"])
def test_other_lines_are_not_figures(line: str) -> None:
    assert parse_line(line) is None


@pytest.mark.parametrize(("value", "target", "met"), [
    (0.031, "<= 0.05", True), (0.06, "<= 0.05", False), (2.4, ">= 2.0", True), (4100, "< 4096", False),
    (0, "== 0", True), (3.0, "≥ 2", True), (1_500, "<= 1,000", False), (5, "fast", None), ("x", "<= 1", None),
    (True, "== 1", None),
])
def test_targets(value: object, target: str, met: bool | None) -> None:
    assert target_met(value, target) is met


def test_runner_runs_a_script_and_writes_the_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = tmp_path / "bench"
    pkg.mkdir()
    (pkg / "_protocol.py").write_text(Path(runner.__file__).with_name("_protocol.py").read_text())
    (pkg / "tiny.py").write_text(
        "from bench._protocol import emit\n"
        "print('hello from tiny')\n"
        "emit('answer', 42, 'units', target='>= 40')\n"
        "emit('too_slow_s', 9.5, 's', target='<= 5')\n"
    )
    (pkg / "broken.py").write_text("raise SystemExit(3)\n")
    (pkg / "_helper.py").write_text("raise RuntimeError('helpers are not benchmarks')\n")
    monkeypatch.setattr(runner, "BENCH_DIR", pkg)
    monkeypatch.setattr(runner, "ROOT", tmp_path)
    assert runner.discover() == ["broken", "tiny"]
    out = tmp_path / "results"
    code = runner.main(["--out", str(out)])
    assert code == 1  # broken exited 3
    summary = (out / "summary.md").read_text()
    assert "| tiny | answer | 42 | units | >= 40 | met |" in summary
    assert "| tiny | too_slow_s | 9.5 | s | <= 5 | **missed** |" in summary
    assert "failed (3)" in summary and "targets missed: tiny.too_slow_s" in summary
    assert "| tiny | peak_rss_mb |" in summary
    assert "hello from tiny" in (out / "tiny.log").read_text()
