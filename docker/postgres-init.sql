-- A second database in the same PostgreSQL for the DuckLake catalog (KEJIWATCH_BACKEND=ducklake).
CREATE DATABASE ducklake OWNER airflow;
