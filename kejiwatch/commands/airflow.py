"""CLI commands: `kejiwatch airflow` — the Airflow UI on the embedded defaults, its setup, and
event-driven ingestion (`kejiwatch airflow ingest URL`)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

airflow_app = typer.Typer(
    help="Airflow on the embedded defaults: the UI (`airflow standalone`), its setup, ingestion events.",
    invoke_without_command=True,
)


def _home(airflow_home: str | None) -> Path | None:
    return Path(airflow_home).expanduser().resolve() if airflow_home else None


@airflow_app.callback()
def main(
    ctx: typer.Context,
    port: int = typer.Option(8080, help="Port of the Airflow UI / REST API."),
    replay: bool = typer.Option(True, help="Start the replay portals and crawl them."),
    scenario: str = typer.Option("clean", help="Replay scenario."),
    airflow_home: str = typer.Option(None, help="AIRFLOW_HOME (default: <data dir>/airflow)."),
) -> None:
    """Start `airflow standalone` (scheduler, dag-processor, triggerer, api-server) with the
    project's DAGs and config and, by default, the replay portals; print the UI address and login."""
    if ctx.invoked_subcommand is not None:
        return
    from kejiwatch import airflow_env

    env = airflow_env.airflow_env(_home(airflow_home), extra={
        "AIRFLOW__API__PORT": str(port),
        # task processes report to the execution API on the same port
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://localhost:{port}/execution/",
    })
    Path(env["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    password = airflow_env.ensure_password(Path(env["AIRFLOW_HOME"]))
    server = None
    if replay:
        from replay.server import ReplayServer

        server = ReplayServer(scenario=scenario).start()
        env["KEJIWATCH_HTTP_PROXY"] = server.proxy_url
    # The pools must exist before the scheduler queues kejiwatch's tasks (standalone only migrates).
    typer.echo("Preparing the metadata DB and pools…")
    airflow_env.migrate_db_child(env)
    # Render the dbt manifest before the dag-processor parses build_marts the first time.
    sys.path.insert(0, str(airflow_env.DAGS_FOLDER))
    from kejiwatch_common.dbt import ensure_manifest

    ensure_manifest()
    typer.echo(f"Airflow UI:   http://localhost:{port}")
    typer.echo(f"Login:        {airflow_env.ADMIN_USER} / {password}")
    typer.echo(f"AIRFLOW_HOME: {env['AIRFLOW_HOME']}   DAGs: {airflow_env.DAGS_FOLDER}")
    if server:
        typer.echo(f"Replay portals (scenario {scenario}): proxy {server.proxy_url}")
    typer.echo("Ingest a URL now:  kejiwatch airflow ingest URL   (Ctrl-C stops everything)")
    proc = subprocess.Popen([airflow_env.airflow_bin(), "standalone"], env={**os.environ, **env},
                            start_new_session=True)
    try:
        proc.wait()
    except KeyboardInterrupt:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    finally:
        if server:
            server.stop()


@airflow_app.command("init")
def init(airflow_home: str = typer.Option(None, help="AIRFLOW_HOME (default: <data dir>/airflow).")) -> None:
    """Migrate Airflow's metadata DB, create kejiwatch's pools and the admin password (idempotent).

    Uses the configured metadata DB (SQLite by default, PostgreSQL in docker compose)."""
    from kejiwatch import airflow_env

    env = airflow_env.configure(_home(airflow_home))
    airflow_env.migrate_db()
    sys.path.insert(0, str(airflow_env.DAGS_FOLDER))
    from kejiwatch_common.dbt import ensure_manifest

    ensure_manifest()
    typer.echo(f"Airflow metadata DB ready ({env['AIRFLOW__DATABASE__SQL_ALCHEMY_CONN'].split(':')[0]}), "
               f"pools: {', '.join(airflow_env.POOLS)}")


@airflow_app.command("ingest")
def ingest(
    urls: Annotated[list[str], typer.Argument(help="Article URL(s) to fetch, land and build now.")],
    inbox: bool = typer.Option(False, help="Drop the URLs in the inbox folder (the AssetWatcher "
                               "picks them up) instead of posting an event through the REST API."),
    api: str = typer.Option("http://localhost:8080", help="Airflow api-server base URL."),
    airflow_home: str = typer.Option(None, help="AIRFLOW_HOME, for the admin password."),
) -> None:
    """Ask a running Airflow to ingest document URLs now (then build_marts runs)."""
    from kejiwatch import airflow_env

    if inbox:
        path = drop_in_inbox(urls)
        typer.echo(f"wrote {path}; the triggerer picks it up within seconds")
        return
    from kejiwatch.airflow_api import AirflowAPI

    password = airflow_env.ensure_password(_home(airflow_home) or airflow_env.airflow_home())
    client = AirflowAPI(api, airflow_env.ADMIN_USER, password)
    event = client.post_asset_event("kejiwatch://ingest_requests", {"urls": list(urls)})
    typer.echo(f"asset event {event.get('id')} posted on kejiwatch://ingest_requests for {len(urls)} URL(s)")


def drop_in_inbox(urls: list[str]) -> Path:
    """Write the URLs as one ``*.url`` file, then the READY flag the AssetWatcher waits for."""
    import uuid

    from kejiwatch import settings

    inbox_dir = settings.data_dir() / "inbox"
    inbox_dir.mkdir(parents=True, exist_ok=True)
    target = inbox_dir / f"{uuid.uuid4().hex[:12]}.url"
    tmp = target.with_suffix(".tmp")
    tmp.write_text("\n".join(urls) + "\n", encoding="utf-8")
    tmp.replace(target)  # complete before the flag appears
    (inbox_dir / "READY").touch()
    return target


def register(app: typer.Typer) -> None:
    app.add_typer(airflow_app, name="airflow")
