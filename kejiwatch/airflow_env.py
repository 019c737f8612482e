"""Airflow on the embedded defaults: one AIRFLOW_HOME under the data dir, SQLite metadata,
the project's ``dags/`` as dags_folder, no example DAGs, kejiwatch's pools and a known login.

Airflow reads its configuration when ``airflow`` is first imported, so every entry point
(``kejiwatch run``, ``kejiwatch airflow``, the tests, the bench) calls :func:`configure` *before*
importing anything from Airflow, and child processes get the same settings through
:func:`airflow_env`. Nothing here imports Airflow at module level.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from kejiwatch import settings

DAGS_FOLDER = settings.PROJECT_ROOT / "dags"
ADMIN_USER = "admin"

# Pools: crawling is polite per host inside the crawler, across every process of one machine
# (scrapers/shared_limiter.py), so the crawl pool only caps how many portals are in flight, which
# is what bounds the load on a shared host across Celery machines. Every task that writes the
# working DuckDB file (dbt nodes, gates, publish) goes through a one-slot pool so the scheduler
# never queues writers against the file lock. dag.test() ignores pools; the warehouse file lock
# and the crawler's file-backed host limiter are the real guarantees.
POOLS: dict[str, tuple[int, str]] = {
    "kejiwatch_crawl": (4, "portals crawled at once; per-host politeness is the crawler's limiter, "
                           "shared by the processes of one machine, not across machines"),
    "kejiwatch_warehouse": (1, "tasks that write the working DuckDB warehouse: one at a time"),
}


def airflow_home() -> Path:
    """AIRFLOW_HOME from the environment, else ``<data dir>/airflow`` (git-ignored)."""
    value = os.environ.get("AIRFLOW_HOME")
    return Path(value).expanduser().resolve() if value else settings.data_dir() / "airflow"


# Settings derived from AIRFLOW_HOME: an explicitly passed home (tests, bench) overrides them.
_HOME_BOUND = (
    "AIRFLOW_HOME",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE",
    "AIRFLOW__COSMOS__CACHE_DIR",
)


def fernet_key(home: Path) -> str:
    """The home's Fernet key, created once before any Airflow process starts. Left to Airflow,
    each process that finds no airflow.cfg writes one with a key of its own, so components started
    together can disagree: the triggerer then cannot read the trigger kwargs the DAG processor
    encrypted (seen as a JSONDecodeError in Trigger._decrypt_kwargs) and AssetWatchers stop."""
    from cryptography.fernet import Fernet

    path = home / "fernet.key"
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        tmp = home / f".fernet.key.{os.getpid()}"
        tmp.write_bytes(Fernet.generate_key())
        tmp.chmod(0o600)
        # link() fails if the key exists: two processes creating it at once agree on one key
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
        tmp.unlink()
    return path.read_text(encoding="ascii").strip()


def airflow_env(home: Path | None = None, *, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment variables that make Airflow run kejiwatch on the embedded defaults.

    Values the caller already set for Airflow's knobs win, so a deployment (docker compose,
    CI) can point the same code at PostgreSQL or another executor; an explicit ``home``
    always wins for the settings that live inside it.
    """
    explicit = home is not None
    home = Path(home or airflow_home())
    defaults = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        # a loaded laptop can take more than the default 30 s to import the DAG files
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "120",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__FERNET_KEY": fernet_key(home),
        # Asset-scheduled DAGs must react to events as soon as they are registered.
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        # Pick up new or changed DAG files quickly on a laptop.
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "30",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
        # Cosmos renders dbt from a manifest (dags/kejiwatch_common/dbt.py): no dbt ls cache
        # needed; its partial-parse cache lives under AIRFLOW_HOME.
        "AIRFLOW__COSMOS__CACHE_DIR": str(home / "cosmos_cache"),
        "AIRFLOW__COSMOS__ENABLE_CACHE_DBT_LS": "False",
        "AIRFLOW__OPENLINEAGE__DISABLED": "True",
        # No usage telemetry: cosmos would otherwise call home after every dbt task.
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "DO_NOT_TRACK": "1",
        "SCARF_NO_ANALYTICS": "true",
    }
    env = {
        key: value if explicit and key in _HOME_BOUND else os.environ.get(key, value)
        for key, value in defaults.items()
    }
    # The data paths travel with the environment so task processes use the same warehouse.
    env["KEJIWATCH_DATA_DIR"] = str(settings.data_dir())
    env["KEJIWATCH_WAREHOUSE"] = str(settings.warehouse_path())
    env["KEJIWATCH_MARTS"] = str(settings.marts_path())
    if extra:
        env.update(extra)
    return env


def configure(home: Path | None = None, *, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Put :func:`airflow_env` into ``os.environ`` (before Airflow is imported) and create the home.

    If Airflow's configuration was already loaded in this process, the values are also set on
    the live config object so a later ``dag.test()`` sees them.
    """
    env = airflow_env(home, extra=extra)
    Path(env["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    # The KEJIWATCH_* paths are for child processes: in this process settings already resolve
    # them, and pinning them here would stop a later KEJIWATCH_DATA_DIR change from applying.
    os.environ.update({k: v for k, v in env.items() if not k.startswith("KEJIWATCH_") or k in (extra or {})})
    if "airflow.configuration" in sys.modules:
        from airflow.configuration import conf

        for key, value in env.items():
            if key.startswith("AIRFLOW__"):
                section, option = key[len("AIRFLOW__"):].lower().split("__", 1)
                conf.set(section, option, value)
    ensure_password(Path(env["AIRFLOW_HOME"]))
    return env


def ensure_password(home: Path | None = None) -> str:
    """The admin password of SimpleAuthManager, written once so `kejiwatch airflow` can print it.

    ``KEJIWATCH_AIRFLOW_PASSWORD`` fixes it; otherwise a random one is kept in the home.
    """
    home = Path(home or airflow_home())
    path = home / "passwords.json"
    wanted = os.environ.get("KEJIWATCH_AIRFLOW_PASSWORD")
    current: dict[str, str] = {}
    if path.exists():
        try:
            current = json.loads(path.read_text() or "{}")
        except json.JSONDecodeError:
            current = {}
    password = wanted or current.get(ADMIN_USER) or secrets.token_urlsafe(12)
    if current.get(ADMIN_USER) != password:
        current[ADMIN_USER] = password
        home.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(current) + "\n")
    return password


def migrate_db() -> None:
    """Migrate the metadata DB of the configured home in this process (idempotent, ~3 s on a new
    SQLite file, <1 s after), then create kejiwatch's pools. Call :func:`configure` first."""
    from airflow.utils.db import upgradedb

    upgradedb()
    ensure_pools_in_process()


def migrate_db_child(env: Mapping[str, str], timeout: float = 600) -> None:
    """Same as :func:`migrate_db` in one child process with ``env`` (another home or DB)."""
    code = "from kejiwatch import airflow_env as a; a.configure(); a.migrate_db()"
    proc = subprocess.run([sys.executable, "-c", code], env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"migrating Airflow's metadata DB failed:\n{proc.stderr[-4000:]}")


def airflow_bin() -> str:
    """The `airflow` executable of this environment (next to the running interpreter)."""
    candidate = Path(sys.executable).with_name("airflow")
    return str(candidate) if candidate.exists() else "airflow"


def ensure_pools_in_process() -> None:
    """Create the pools through the ORM (for in-process runs after the DB is migrated)."""
    from airflow.models.pool import Pool

    for name, (slots, description) in POOLS.items():
        Pool.create_or_update_pool(name, slots, description, include_deferred=False)
