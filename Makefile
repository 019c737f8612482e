# The two commands of the README contract: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv

.PHONY: setup run test lint bench clean

# Installs uv with pip when it is absent, then the locked environment into .venv. A pip --user
# install puts the uv script in ~/.local/bin, which is often not on PATH, so uv is then run as
# `python3 -m uv`, which works wherever pip put it.
setup:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 \
		|| python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv
	@if command -v uv >/dev/null 2>&1; then uv sync --frozen --quiet; \
		else python3 -m uv sync --frozen --quiet; fi
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
