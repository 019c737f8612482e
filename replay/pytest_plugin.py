"""pytest fixtures of the replay portals, loaded by tests/conftest.py via `pytest_plugins`.

`replay_server(scenario="clean", day=0, extra_hosts=0)` starts a ReplayServer in-process and stops
it at the end of the test; `replay_proxy` is the clean server's proxy URL, also exported as
KEJIWATCH_HTTP_PROXY for code that reads the proxy from the environment. `replay_shared_server` is
one clean day-0 server for the whole session (read-only use: do not move its clock)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from replay.server import ReplayServer


@pytest.fixture
def replay_server() -> Iterator[Callable[..., ReplayServer]]:
    started: list[ReplayServer] = []

    def start(scenario: str = "clean", day: int | None = None, extra_hosts: int = 0) -> ReplayServer:
        server = ReplayServer(scenario=scenario, day=day, extra_hosts=extra_hosts).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def replay_proxy(replay_server: Callable[..., ReplayServer], monkeypatch: pytest.MonkeyPatch) -> str:
    server = replay_server()
    monkeypatch.setenv("KEJIWATCH_HTTP_PROXY", server.proxy_url)
    return server.proxy_url


@pytest.fixture(scope="session")
def replay_shared_server() -> Iterator[ReplayServer]:
    server = ReplayServer().start()
    yield server
    server.stop()
