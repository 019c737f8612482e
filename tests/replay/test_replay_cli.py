"""`kejiwatch portals serve` and `kejiwatch portals key` as a user runs them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import requests
from typer.testing import CliRunner

from kejiwatch.cli import app

ROOT = Path(__file__).resolve().parents[2]


def test_serve_prints_proxy_and_start_urls_and_serves() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kejiwatch.cli",
            "portals",
            "serve",
            "--port",
            "0",
            "--host",
            "127.0.0.1",
            "--day",
            "1",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("Ctrl-C"):
                break
        text = "".join(lines)
        proxy = re.search(r"proxy: (http://127\.0\.0\.1:\d+)", text).group(1)
        curl = re.search(r"curl -x \S+ (\S+)", text).group(1)
        assert "http://kjt.fixture-prov.gov.cn/kjzx/tzgg/index.html" in text
        assert requests.get(curl, proxies={"http": proxy}, timeout=5).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_rejects_an_unknown_scenario() -> None:
    result = CliRunner().invoke(app, ["portals", "serve", "--scenario", "nonsense", "--port", "0"])
    assert result.exit_code == 2 and "unknown fault" in result.output


def test_key_writes_gold_rows(tmp_path: Path) -> None:
    out = tmp_path / "gold.jsonl"
    result = CliRunner().invoke(app, ["portals", "key", "--day", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows and {"doc", "quote", "indicator", "period"} <= set(rows[0])
    assert any(r["doc"] == "mgo_2025_yk_repost_day2" for r in rows)
