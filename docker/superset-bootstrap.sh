#!/bin/sh
# Superset with the DuckDB driver, one admin, and the published marts registered read-only.
set -e
pip install --quiet "duckdb>=1.5.2,<1.6" "duckdb-engine>=0.17"
superset db upgrade
superset fab create-admin --username admin --firstname kejiwatch --lastname admin \
  --email admin@kejiwatch.invalid --password "${SUPERSET_ADMIN_PASSWORD:-admin}" || true
superset init
superset set_database_uri --database_name "kejiwatch marts" --uri "${KEJIWATCH_MARTS_URI}"
exec superset run --host 0.0.0.0 --port 8088 --with-threads
