"""DuckDB layout, landing and atomic publication of the marts."""
