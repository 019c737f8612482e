"""Fixtures shared by every test package. Each test gets its own warehouse files, so tests never
touch the developer's `warehouse/` folder and can run in any order."""

from __future__ import annotations

import importlib.util
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

# The replay portals' fixtures (replay_server factory) come from the replay package itself.
if importlib.util.find_spec("replay.pytest_plugin") is not None:
    pytest_plugins = ["replay.pytest_plugin"]


@pytest.fixture
def isolated_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point every kejiwatch path at a fresh temporary data dir; yields that dir."""
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("KEJIWATCH_DATA_DIR", str(data))
    monkeypatch.setenv("KEJIWATCH_WAREHOUSE", str(data / "warehouse.duckdb"))
    monkeypatch.setenv("KEJIWATCH_MARTS", str(data / "marts.duckdb"))
    yield data


# Real alert receivers on loopback: an SMTP server (aiosmtpd) and a JSON webhook (http.server),
# wired to kejiwatch through the same env settings an operator would use.


@dataclass
class Inbox:
    emails: list[EmailMessage] = field(default_factory=list)
    hooks: list[dict[str, Any]] = field(default_factory=list)

    def wait(self, emails: int, hooks: int, timeout: float = 5) -> None:
        """Deliveries are synchronous, but give the SMTP server's loop a moment to hand them over."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and (len(self.emails) < emails or len(self.hooks) < hooks):
            time.sleep(0.02)

    def clear(self) -> None:
        self.emails.clear()
        self.hooks.clear()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def inbox(isolated_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    box = Inbox()

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            box.emails.append(message_from_bytes(envelope.content, policy=policy.default))
            return "250 OK"

    from aiosmtpd.controller import Controller

    port = _free_port()
    smtp = Controller(Handler(), hostname="127.0.0.1", port=port)
    smtp.start()

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            box.hooks.append(json.loads(body))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    http = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()

    smtp_url = f"smtp://127.0.0.1:{port}?disable_ssl=true&disable_tls=true&retry_limit=0&timeout=10"
    hook_url = f"http://127.0.0.1:{http.server_port}/hooks/kejiwatch"
    monkeypatch.setenv("KEJIWATCH_SMTP_URL", smtp_url)
    monkeypatch.setenv("KEJIWATCH_ALERT_EMAIL_TO", "ops@kejiwatch.test")
    monkeypatch.setenv("KEJIWATCH_WEBHOOK_URL", hook_url)
    # the alerts module bridges these into Airflow's env connections; let monkeypatch undo that too
    monkeypatch.setenv("AIRFLOW_CONN_KEJIWATCH_SMTP", smtp_url)
    monkeypatch.setenv(
        "AIRFLOW_CONN_KEJIWATCH_WEBHOOK", json.dumps({"conn_type": "slackwebhook", "password": hook_url})
    )
    try:
        yield box
    finally:
        http.shutdown()
        http.server_close()
        smtp.stop()
