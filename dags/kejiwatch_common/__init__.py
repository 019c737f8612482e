"""Shared pieces of kejiwatch's DAGs: assets, pools, default task arguments, dbt rendering.

Imported at DAG parse time, so everything here is cheap: no warehouse, dbt, GX or crawler
imports at module level (tasks import those when they run).
"""
