"""The gate's GX suites, one module per validation point, written as code to be reviewed like code.

Each module exposes ``suites(th) -> dict[asset, list[expectation]]`` where ``th`` is the parsed
``expectations/thresholds.yaml``; the File context also stores each suite as JSON under
``<data_dir>/gx/expectations/`` (and renders it in Data Docs) on every run."""
