"""A small client of Airflow 3's REST API (v2) for what kejiwatch does with a running Airflow:
wait for health, list DAGs, post an asset event (ingest a URL now), create a backfill,
follow DAG runs and read what their tasks returned.

Authentication is SimpleAuthManager's: POST /auth/token with the admin login of
:mod:`kejiwatch.airflow_env`, then a bearer token.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import requests

T = TypeVar("T")


class AirflowAPIError(RuntimeError):
    pass


def _poll(fetch: Callable[[], T], done: Callable[[T], bool], timeout: float,
          poll: float) -> tuple[bool, T | None]:
    """Call ``fetch`` every ``poll`` seconds until ``done`` holds for what it returned or
    ``timeout`` passes; (whether it held, the last value fetched)."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = fetch()
        if done(last):
            return True, last
        time.sleep(poll)
    return False, last


@dataclass
class AirflowAPI:
    base_url: str  # e.g. http://127.0.0.1:8080
    username: str = "admin"
    password: str = ""
    timeout: float = 30.0
    _session: requests.Session = field(default_factory=requests.Session, repr=False)
    _token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        # Loopback only: never route API calls through a proxy from the environment.
        self._session.trust_env = False

    # --- plumbing ---------------------------------------------------------------------------
    def _auth(self) -> dict[str, str]:
        if self._token is None:
            resp = self._session.post(
                f"{self.base_url}/auth/token",
                json={"username": self.username, "password": self.password},
                timeout=self.timeout,
            )
            if resp.status_code >= 400:
                raise AirflowAPIError(
                    f"login as {self.username} failed: {resp.status_code} {resp.text[:300]}")
            self._token = resp.json()["access_token"]
        return {"Authorization": f"Bearer {self._token}"}

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        resp = self._session.request(
            method, f"{self.base_url}/api/v2{path}", headers=self._auth(), timeout=self.timeout, **kwargs
        )
        if resp.status_code >= 400:
            raise AirflowAPIError(f"{method} {path}: {resp.status_code} {resp.text[:500]}")
        return resp.json() if resp.content else None

    # --- health -----------------------------------------------------------------------------
    def healthy(self) -> bool:
        """True when the api-server answers and reports the scheduler healthy."""
        try:
            resp = self._session.get(f"{self.base_url}/api/v2/monitor/health", timeout=5)
            body = resp.json() if resp.ok else {}
        except (requests.RequestException, ValueError):
            return False
        return (body.get("scheduler") or {}).get("status") == "healthy"

    def wait_healthy(self, timeout: float = 120, poll: float = 2) -> None:
        healthy, _ = _poll(self.healthy, bool, timeout, poll)
        if not healthy:
            raise AirflowAPIError(f"Airflow at {self.base_url} not healthy after {timeout:.0f}s")

    # --- DAGs, assets, runs -----------------------------------------------------------------
    def dag_ids(self) -> list[str]:
        return sorted(d["dag_id"] for d in self.request("GET", "/dags", params={"limit": 100})["dags"])

    def asset_id(self, name: str) -> int:
        """The id of the asset with this name (e.g. ``kejiwatch://ingest_requests``)."""
        assets = self.request("GET", "/assets", params={"name_pattern": name, "limit": 100})["assets"]
        for asset in assets:
            if asset["name"] == name:
                return int(asset["id"])
        raise AirflowAPIError(f"asset {name!r} is not registered (have the DAGs been parsed yet?)")

    def post_asset_event(self, name: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        body = {"asset_id": self.asset_id(name), "extra": extra or {}}
        return self.request("POST", "/assets/events", json=body)

    def dag_runs(self, dag_id: str) -> list[dict[str, Any]]:
        body = self.request("GET", f"/dags/{dag_id}/dagRuns", params={"order_by": "-run_after", "limit": 50})
        return body["dag_runs"]

    def create_backfill(self, dag_id: str, from_date: str, to_date: str, *,
                        conf: dict[str, Any] | None = None, reprocess_behavior: str = "none",
                        max_active_runs: int = 1) -> dict[str, Any]:
        """Ask the scheduler for runs of ``dag_id`` at every logical date of its schedule in
        [from_date, to_date] (ISO date-times); ``reprocess_behavior``: none, failed or completed."""
        body = {"dag_id": dag_id, "from_date": from_date, "to_date": to_date, "dag_run_conf": conf or {},
                "reprocess_behavior": reprocess_behavior, "max_active_runs": max_active_runs}
        return self.request("POST", "/backfills", json=body)

    def wait_for_backfill(self, backfill_id: int, timeout: float = 300, poll: float = 2) -> dict[str, Any]:
        """Wait until the scheduler marks the backfill completed (all its runs have ended)."""
        done, backfill = _poll(lambda: self.request("GET", f"/backfills/{backfill_id}"),
                               lambda b: bool(b.get("completed_at")), timeout, poll)
        if not done:
            raise AirflowAPIError(
                f"backfill {backfill_id} not completed in {timeout:.0f}s (last: {backfill})")
        return backfill

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str | None]:
        """The state of each task of a run (a mapped task: the state of its last instance listed)."""
        body = self.request("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", params={"limit": 100})
        return {t["task_id"]: t["state"] for t in body["task_instances"]}

    def xcom(self, dag_id: str, run_id: str, task_id: str, key: str = "return_value") -> Any:
        """The value a task instance pushed (its return value by default)."""
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/{key}"
        value = self.request("GET", path)["value"]
        # The native format is the column as stored: JSON, or JSON text on some databases.
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value

    def wait_for_run(self, dag_id: str, *, after: set[str] | None = None, states: set[str] | None = None,
                     timeout: float = 300, poll: float = 2) -> dict[str, Any]:
        """Wait for a run of ``dag_id`` not in ``after`` (run ids) to reach one of ``states``."""
        states = states or {"success", "failed"}
        after = after or set()

        def newest() -> dict[str, Any] | None:
            return next((r for r in self.dag_runs(dag_id) if r["dag_run_id"] not in after), None)

        done, last = _poll(newest, lambda run: run is not None and run["state"] in states, timeout, poll)
        if not done:
            raise AirflowAPIError(
                f"no run of {dag_id} reached {sorted(states)} in {timeout:.0f}s (last: {last})")
        return last
