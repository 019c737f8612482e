# The two commands of the README contract: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv

.PHONY: setup run test lint bench clean

# Installs uv with pip when it is absent, then the locked environment into .venv.
setup:
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv
	@uv sync --frozen --quiet
	@bash scripts/install_system_deps.sh

run: setup
	$(VENV)/bin/kejiwatch run

test: setup
	bash scripts/run_tests.sh

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/sqlfluff lint dbt_project/models

bench: setup
	$(VENV)/bin/python -m bench

clean:
	rm -rf warehouse/*.duckdb* warehouse/spool warehouse/reports warehouse/gx warehouse/airflow
