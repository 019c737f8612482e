"""Airflow tests run against a temporary AIRFLOW_HOME (SQLite metadata, the project's dags/).

Airflow reads its configuration on first import, so the home is configured here, when pytest
imports this conftest, before any test module of this folder imports Airflow.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import pytest

from kejiwatch import airflow_env

AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="kejiwatch-airflow-test-"))
atexit.register(shutil.rmtree, AIRFLOW_HOME, ignore_errors=True)
airflow_env.configure(AIRFLOW_HOME)


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest() -> Path:
    """Render the dbt manifest once (as `kejiwatch airflow init` does) before DAGs are parsed."""
    import sys

    sys.path.insert(0, str(airflow_env.DAGS_FOLDER))
    from kejiwatch_common.dbt import ensure_manifest

    return ensure_manifest()


@pytest.fixture(scope="session")
def airflow_home() -> Path:
    return AIRFLOW_HOME
