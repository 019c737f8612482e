"""docker-compose.yml is a valid Compose file (checked offline against the compose-spec JSON
schema, tests/data/compose-spec.json, taken from the check-jsonschema package) and is consistent
with the project: bind mounts exist, commands are real kejiwatch / Airflow commands, workers can
be scaled, BI reads read-only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import typer
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
AIRFLOW_SERVICES = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
    "airflow-worker": "celery",
}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def test_valid_against_compose_spec(compose):
    schema = json.loads((ROOT / "tests" / "data" / "compose-spec.json").read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = sorted(validator.iter_errors(compose), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_the_distributed_system_is_all_there(compose):
    services = compose["services"]
    assert {"postgres", "redis", "airflow-init", "portals", "bi", *AIRFLOW_SERVICES} <= set(services)
    env = services["airflow-scheduler"]["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql")
    assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis")
    # every Airflow component shares one configuration
    for name in AIRFLOW_SERVICES:
        assert services[name]["environment"] == env, name
    # workers scale with --scale: no fixed container name or host port
    worker = services["airflow-worker"]
    assert "container_name" not in worker and "ports" not in worker


def test_bind_mounts_exist_and_dags_folder_is_mounted(compose):
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (ROOT / source).exists(), f"{name}: {source} does not exist"
    scheduler = compose["services"]["airflow-scheduler"]
    targets = {v.split(":")[1]: v.split(":")[0] for v in scheduler["volumes"]}
    dags_folder = scheduler["environment"]["AIRFLOW__CORE__DAGS_FOLDER"]
    assert targets[dags_folder] == "./dags" and (ROOT / "dags" / "build_marts.py").exists()
    for service in compose["services"].values():
        build = service.get("build")
        if build:
            assert (ROOT / build["context"] / build["dockerfile"]).exists()


def test_bi_reads_the_published_marts_read_only(compose):
    bi = compose["services"]["bi"]
    assert any(v.endswith(":/data:ro") for v in bi["volumes"])
    assert "read_only" in bi["environment"]["KEJIWATCH_MARTS_URI"]
    assert bi["environment"]["KEJIWATCH_MARTS_URI"].endswith("marts.duckdb?access_mode=read_only")


def _click_command(path: list[str]):
    from kejiwatch.cli import app

    command = typer.main.get_command(app)
    for name in path:
        sub = getattr(command, "commands", {}).get(name)
        assert sub is not None, f"`kejiwatch {' '.join(path)}` does not exist"
        command = sub
    return command


def test_kejiwatch_commands_are_real(compose):
    for name, service in compose["services"].items():
        command = service.get("command")
        if not command or command[0] != "kejiwatch":
            continue
        words = [w for w in command[1:] if not w.startswith("-")]
        options = [w for w in command[1:] if w.startswith("--")]
        # the leading words name the (sub)command; the rest are option values
        path = []
        for word in words:
            try:
                _click_command([*path, word])
            except AssertionError:
                break
            path.append(word)
        assert path, f"{name}: {command} is not a kejiwatch command"
        known = {opt for p in _click_command(path).params for opt in p.opts}
        assert set(options) <= known, f"{name}: unknown options {set(options) - known}"


def test_airflow_commands_are_real(compose, tmp_path):
    # Airflow's own CLI table, read in a child process with a throwaway AIRFLOW_HOME.
    code = "from airflow.cli.cli_config import core_commands;print('\\n'.join(c.name for c in core_commands))"
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    names = set(
        subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        ).stdout.split()
    )
    dockerfile = (ROOT / "docker" / "kejiwatch.Dockerfile").read_text()
    for service, subcommand in AIRFLOW_SERVICES.items():
        command = compose["services"][service]["command"]
        assert command[:2] == ["airflow", subcommand], service
        if subcommand == "celery":  # comes with the celery provider, installed in the image
            assert "apache-airflow-providers-celery" in dockerfile
        else:
            assert subcommand in names, f"`airflow {subcommand}` is not an Airflow 3.3 command"
