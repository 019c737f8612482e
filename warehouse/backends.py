"""Where the working warehouse lives: one DuckDB file (the embedded default) or a DuckLake.

``KEJIWATCH_BACKEND`` selects it:

* ``duckdb`` (default): ``settings.warehouse_path()``, one writing process at a time, serialised
  by the inter-process file lock of :mod:`warehouse.db`.
* ``ducklake``: a DuckLake whose catalog is a database (PostgreSQL for many machines; a local
  ``.ducklake`` DuckDB file also works for one process) and whose data files live under a shared
  path (object storage in production). Many processes write at once; DuckLake's snapshots make
  each transaction atomic, so no file lock is taken.

  - ``KEJIWATCH_DUCKLAKE_CATALOG``: the catalog, as DuckLake's ATTACH takes it after
    ``ducklake:`` — e.g. ``postgres:dbname=ducklake host=db user=kejiwatch`` (default: a local
    ``<data dir>/lake/catalog.ducklake``);
  - ``KEJIWATCH_DUCKLAKE_DATA_PATH``: where Parquet data files go (default ``<data dir>/lake/data/``).

The ducklake and postgres extensions load offline from the ``duckdb-extension-*`` wheels.

DuckLake has no PRIMARY KEY/UNIQUE constraints, so the raw schema is created without them and
idempotent landing uses ``MERGE`` on the same keys (:func:`insert_frame`); on the DuckDB file the
statement stays ``INSERT OR IGNORE/REPLACE`` against the declared keys.
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from kejiwatch import settings

if TYPE_CHECKING:  # duckdb is imported where used: the DAG files read the settings at parse time
    import duckdb

LAKE_ALIAS = "lake"
SCHEMA_SQL = Path(__file__).with_name("schema.sql")


def backend() -> str:
    name = os.environ.get("KEJIWATCH_BACKEND", "duckdb").strip().lower() or "duckdb"
    if name not in {"duckdb", "ducklake"}:
        raise ValueError(f"KEJIWATCH_BACKEND must be 'duckdb' or 'ducklake', not {name!r}")
    return name


def is_ducklake() -> bool:
    return backend() == "ducklake"


def ducklake_catalog() -> str:
    default = settings.data_dir() / "lake" / "catalog.ducklake"
    return os.environ.get("KEJIWATCH_DUCKLAKE_CATALOG") or str(default)


def ducklake_data_path() -> str:
    path = os.environ.get("KEJIWATCH_DUCKLAKE_DATA_PATH") or str(settings.data_dir() / "lake" / "data")
    return path if path.endswith("/") else path + "/"


def extension_path(name: str) -> Path:
    """The extension file shipped in the ``duckdb-extension-<name>`` wheel for this DuckDB."""
    import importlib

    import duckdb

    package = importlib.import_module(f"duckdb_extension_{name}")
    pattern = f"extensions/v{duckdb.__version__}/{name}.duckdb_extension"
    found = sorted(Path(package.__file__).parent.glob(pattern))
    if not found:
        raise RuntimeError(f"duckdb-extension-{name} has no build for duckdb {duckdb.__version__}")
    return found[0]


def load_extensions(con: duckdb.DuckDBPyConnection) -> None:
    """INSTALL from the wheels (no network) and LOAD ducklake (+ postgres for a PG catalog)."""
    names = ["ducklake"]
    if ducklake_catalog().startswith("postgres:"):
        names.append("postgres")
    for name in names:
        con.execute(f"INSTALL '{extension_path(name)}'")
        con.execute(f"LOAD {name}")


def _retry(action, what: str):  # type: ignore[no-untyped-def]
    """Run ``action`` again when a concurrent writer got there first: two processes may
    initialise a new catalog, or create the same schema, at the same moment."""
    from warehouse import conflicts

    return conflicts.run(action, what=what, creates=True, max_attempts=20, max_wait=2.0)


def open_ducklake(read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the lake attached as ``lake`` and in use, so ``raw.pages`` etc.
    resolve into the lake exactly as they do in the warehouse file."""
    import duckdb

    con = duckdb.connect()
    try:
        load_extensions(con)
        catalog = ducklake_catalog()
        if not catalog.startswith("postgres:"):
            Path(catalog).parent.mkdir(parents=True, exist_ok=True)
        data_path = ducklake_data_path()
        if "://" not in data_path:
            Path(data_path).mkdir(parents=True, exist_ok=True)
        options = [f"DATA_PATH '{data_path}'"] + (["READ_ONLY"] if read_only else [])
        _retry(lambda: con.execute(f"ATTACH IF NOT EXISTS 'ducklake:{catalog}' AS {LAKE_ALIAS} "
                                   f"({', '.join(options)})"), "attach the lake")
        con.execute(f"USE {LAKE_ALIAS}")
    except Exception:
        con.close()
        raise
    return con


# --- schema and keys ----------------------------------------------------------------------------

@cache
def _schema_text() -> str:
    return SCHEMA_SQL.read_text(encoding="utf-8")


@cache
def primary_keys() -> dict[str, tuple[str, ...]]:
    """``{"raw.pages": ("page_version_id",), ...}`` from the constraints declared in schema.sql."""
    keys: dict[str, tuple[str, ...]] = {}
    for match in re.finditer(r"create table if not exists (\w+\.\w+)\s*\((.*?)\n\);", _schema_text(), re.S):
        table, body = match.group(1), match.group(2)
        body = re.sub(r"--[^\n]*", "", body)
        composite = re.search(r"primary key\s*\(([^)]*)\)", body)
        if composite:
            keys[table] = tuple(c.strip() for c in composite.group(1).split(","))
            continue
        inline = re.search(r"^\s*(\w+)\s+[^,\n]*\bprimary key\b", body, re.M)
        if inline:
            keys[table] = (inline.group(1),)
    return keys


def without_constraints(sql: str) -> str:
    """DDL without comments and PRIMARY KEY clauses, which DuckLake does not accept (NOT NULL it does)."""
    text = re.sub(r"--[^\n]*", "", sql)
    text = re.sub(r",\s*primary key\s*\([^)]*\)", "", text)
    return re.sub(r"\s+primary key\b", "", text)


def ducklake_schema_sql() -> str:
    """schema.sql without PRIMARY KEY clauses (DuckLake has no constraints; MERGE keeps keys unique)."""
    return without_constraints(_schema_text())


_ENSURED: set[str] = set()


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw and audit tables in the lake if missing (safe with concurrent writers;
    once per catalog and process, since every statement is a round trip to the catalog)."""
    from warehouse import conflicts

    catalog = ducklake_catalog()
    if catalog in _ENSURED:
        return
    sql = ducklake_schema_sql()

    def create() -> None:
        con.execute("begin")
        try:
            con.execute(sql)
            con.execute("commit")
        except Exception:
            conflicts.rollback(con)
            raise

    _retry(create, "create the raw and audit schemas")
    _ENSURED.add(catalog)


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame_name: str, columns: tuple[str, ...],
                 *, replace: bool = False) -> int:
    """Insert a registered frame into ``table`` keeping its keys unique; returns rows written.

    DuckDB file: ``INSERT OR IGNORE`` / ``INSERT OR REPLACE`` (the declared keys decide).
    DuckLake: ``MERGE`` on the keys of schema.sql (insert the new ones, update them if ``replace``).
    """
    if not is_ducklake():
        verb = "insert or replace" if replace else "insert or ignore"
        (count,) = con.execute(f"{verb} into {table} by name select * from {frame_name}").fetchone()
        return int(count)
    keys = primary_keys().get(table)
    if not keys:
        (count,) = con.execute(f"insert into {table} by name select * from {frame_name}").fetchone()
        return int(count)
    # one row per key from the frame itself, as INSERT OR IGNORE would keep
    source = (f"(select * from {frame_name} qualify row_number() over (partition by "
              f"{', '.join(keys)}) = 1)")
    on = " and ".join(f"tgt.{k} is not distinct from src.{k}" for k in keys)
    sql = f"merge into {table} as tgt using {source} as src on ({on}) "
    if replace:
        updates = ", ".join(f"{c} = src.{c}" for c in columns if c not in keys)
        if updates:
            sql += f"when matched then update set {updates} "
    sql += "when not matched then insert by name"
    (count,) = con.execute(sql).fetchone()
    return int(count)


# --- dbt on the lake ----------------------------------------------------------------------------

def lake_dbt_dir() -> Path:
    """dbt's working folder for the lake: the generated profile, ``target/`` (manifest, run results)."""
    return settings.data_dir() / "lake" / "dbt"


LAKE_TARGET = "lake"


def install_extensions() -> None:
    """INSTALL the extensions from the wheels, so dbt-duckdb's own INSTALL finds them offline."""
    import duckdb

    con = duckdb.connect()
    try:
        load_extensions(con)
    finally:
        con.close()


def write_dbt_profile(directory: Path | None = None, *, install: bool = True) -> Path:
    """A dbt-duckdb profile (same profile name as the project's, target ``lake``) whose target
    database is the lake, attached through dbt-duckdb's ``attach:``; returns the profiles directory.

    The project's own profiles.yml stays the DuckDB-file one; ``warehouse.dbt.run_dbt`` runs dbt
    with ``--profiles-dir <this dir>`` to build the same models, seeds and tests in the DuckLake,
    and the cosmos task groups point at this file. ``install=False`` only writes the YAML (what
    DAG parsing needs; the task installs the extensions before dbt runs)."""
    import yaml

    if install:
        install_extensions()
    project = yaml.safe_load((settings.dbt_project_dir() / "dbt_project.yml").read_text(encoding="utf-8"))
    extensions = ["ducklake"] + (["postgres"] if ducklake_catalog().startswith("postgres:") else [])
    profile = {
        project.get("profile", "kejiwatch"): {
            "target": LAKE_TARGET,
            "outputs": {
                LAKE_TARGET: {
                    "type": "duckdb",
                    "path": ":memory:",
                    "extensions": extensions,
                    "attach": [{
                        "path": f"ducklake:{ducklake_catalog()}",
                        "alias": LAKE_ALIAS,
                        "options": {"data_path": ducklake_data_path()},
                    }],
                    "database": LAKE_ALIAS,
                    "threads": 1,
                }
            },
        }
    }
    directory = Path(directory or lake_dbt_dir())
    directory.mkdir(parents=True, exist_ok=True)
    path, text = directory / "profiles.yml", yaml.safe_dump(profile, sort_keys=False)
    if not path.exists() or path.read_text(encoding="utf-8") != text:  # parsed often: write on change
        path.write_text(text, encoding="utf-8")
    return directory
