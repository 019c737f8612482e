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


@pytest.fixture(scope="session")
def airflow_home() -> Path:
    return AIRFLOW_HOME
