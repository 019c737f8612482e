"""Atomic publication of the marts as a separate DuckDB file for BI tools.

BI tools never open the working warehouse (a DuckDB file with one writer at a time, or a DuckLake
that needs its catalog and extensions). Instead every table of its ``marts`` schema (views
materialised) plus the quarantine table and a ``publication_manifest`` is copied into a NEW file
next to the target, in the ``main`` schema, written with an explicit
``STORAGE_VERSION`` so DuckDB 1.x clients (BI drivers bundle old versions) can read it. The new
file is then swapped in with ``os.replace``: a reader that already holds the old file keeps its
consistent snapshot (the old inode), a reader that opens afterwards sees the new one, and nobody
ever sees a half-written file. A blocked gate raises before anything is written, so the previous
file stays byte-for-byte untouched.

The source follows ``KEJIWATCH_BACKEND`` (:func:`_source`): the DuckDB file, attached read-only
under the warehouse lock, or the DuckLake attached read-only (a snapshot: concurrent landing goes
on while the marts are copied). The published file is a plain DuckDB file on both backends.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

import duckdb

from expectations.frames import MANIFEST_TABLE, QUARANTINE_TABLE, newest_document_at
from expectations.result import GateBlocked, GateResult
from expectations.rules import thresholds
from kejiwatch import settings
from warehouse import backends, db

log = logging.getLogger(__name__)

# DuckDB 1.5.x accepts v1.0.0 .. v1.5.0; v1.0.0 is readable by every DuckDB >= 1.0 (and 2.x).
DEFAULT_STORAGE_VERSION = "v1.0.0"


@dataclass
class Publication:
    publish_id: str
    path: str
    published_at: str
    code_version: str
    storage_version: str
    row_counts: dict[str, int] = field(default_factory=dict)
    gate_run_ids: list[str] = field(default_factory=list)
    bytes: int = 0

    def summary(self) -> str:
        tables = ", ".join(f"{t}={n}" for t, n in sorted(self.row_counts.items()))
        return f"published {self.publish_id} to {self.path} ({tables})"


@lru_cache(maxsize=1)
def code_version() -> str:
    """`git describe` of the checkout when there is one, else the installed package version."""
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--tags"],
            cwd=settings.PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        if out.stdout.strip():
            return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kejiwatch")
    except PackageNotFoundError:
        from kejiwatch import __version__

        return __version__


def storage_version() -> str:
    return os.environ.get("KEJIWATCH_MARTS_STORAGE_VERSION", DEFAULT_STORAGE_VERSION)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _catalog_alias(path: Path) -> str:
    stem = path.stem
    if stem.isidentifier() and stem.lower() not in {"pub", "memory", "system", "temp", "main"}:
        return stem
    return "wh"


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def _source(warehouse: Path | None) -> Iterator[tuple[duckdb.DuckDBPyConnection, str]]:
    """An in-memory DuckDB with the working warehouse attached read-only; yields it and the
    warehouse's catalog name. Only the attached databases are touched."""
    if backends.is_ducklake():
        con = backends.open_ducklake(read_only=True)
        try:
            yield con, backends.LAKE_ALIAS
        finally:
            con.close()
        return
    with db.locked(warehouse) as wh_path:
        if not wh_path.exists():
            raise FileNotFoundError(f"{wh_path} does not exist: nothing to publish")
        con = duckdb.connect()
        try:
            # attached under its own file stem, as dbt-duckdb names it, so views in marts that
            # name their catalog ("warehouse".intermediate.x) resolve while being copied
            wh = _catalog_alias(wh_path)
            con.execute(f"attach '{wh_path}' as {_quote(wh)} (read_only)")
            yield con, wh
        finally:
            con.close()


def _copy_table(con: duckdb.DuckDBPyConnection, source: str, target: str) -> None:
    # ORDER BY ALL makes the row order (and so every reader's default scan) independent of how
    # the warehouse happened to store the rows: identical marts give identical tables.
    try:
        con.execute(f"create table pub.main.{_quote(target)} as select * from {source} order by all")
    except duckdb.Error:
        con.execute(f"create table pub.main.{_quote(target)} as select * from {source}")


def publish(
    results: Sequence[GateResult] | None = None,
    *,
    warehouse: Path | None = None,
    target: Path | None = None,
    allow_ungated: bool = False,
) -> Publication:
    """Publish the working warehouse's marts to ``settings.marts_path()`` (or ``target``).

    ``results`` are the gate runs this publication rests on; any unsuccessful one raises
    ``GateBlocked`` before anything is written. Publishing without results needs
    ``allow_ungated=True`` so an ungated publication is always a deliberate act."""
    results = list(results or [])
    if not results and not allow_ungated:
        raise ValueError("publish() needs the gate results it rests on (or allow_ungated=True)")
    if any(not r.success for r in results):
        raise GateBlocked([r for r in results if not r.success])

    target = Path(target or settings.marts_path())
    target.parent.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC).replace(tzinfo=None)
    publish_id = f"pub-{now:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:6]}"
    tmp = target.with_name(f"{target.name}.{publish_id}.tmp")
    version = storage_version()
    fresh_sources = thresholds()["marts"]["freshness_sources"]

    try:
        with _source(warehouse) as (con, wh):
            con.execute(f"attach '{tmp}' as pub (storage_version '{version}')")
            tables = [
                r[0]
                for r in con.execute(
                    "select table_name from information_schema.tables "
                    "where table_catalog = ? and table_schema = 'marts' order by table_name",
                    [wh],
                ).fetchall()
            ]
            if not tables:
                raise RuntimeError(f"the {backends.backend()} warehouse has no marts tables: "
                                   "run the dbt build first")
            reserved = {MANIFEST_TABLE, QUARANTINE_TABLE}
            for t in tables:
                if t in reserved:
                    log.warning("marts.%s clashes with a publication table name; skipped", t)
                    continue
                _copy_table(con, f"{_quote(wh)}.marts.{_quote(t)}", t)
            _copy_table(con, f"{_quote(wh)}.audit.quarantined_mentions", QUARANTINE_TABLE)
            con.execute("use pub")
            newest = newest_document_at(con, fresh_sources, schema="main")
            con.execute(f"use {_quote(wh)}")
            counts = {
                t: con.execute(f"select count(*) from pub.main.{_quote(t)}").fetchone()[0]
                for t in [*(t for t in tables if t not in reserved), QUARANTINE_TABLE]
            }
            version_str = code_version()
            gate_runs = json.dumps(
                [
                    {
                        "gate": r.gate,
                        "gate_run_id": r.gate_run_id,
                        "success": r.success,
                        "warnings": len(r.warnings),
                        "data_docs_path": r.data_docs_path,
                    }
                    for r in results
                ],
                ensure_ascii=False,
            )
            outcome = (
                "ungated"
                if not results
                else ("passed_with_warnings" if any(r.warnings for r in results) else "passed")
            )
            con.execute(f"""
                create table pub.main.{MANIFEST_TABLE} (
                    publish_id varchar, published_at timestamp, code_version varchar,
                    table_name varchar, row_count bigint, gate_runs json, gate_outcome varchar,
                    newest_document_at timestamp, storage_version varchar)""")
            con.executemany(
                f"insert into pub.main.{MANIFEST_TABLE} values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    [publish_id, now, version_str, t, n, gate_runs, outcome, newest, version]
                    for t, n in sorted(counts.items())
                ],
            )
            con.execute("detach pub")  # checkpoints the new file before it is swapped in
        _fsync(tmp)
        os.replace(tmp, target)
        _fsync(target.parent)
    finally:
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)

    pub = Publication(
        publish_id=publish_id,
        path=str(target),
        published_at=now.isoformat(timespec="seconds"),
        code_version=version_str,
        storage_version=version,
        row_counts=counts,
        gate_run_ids=[r.gate_run_id for r in results],
        bytes=target.stat().st_size,
    )
    log.info("%s", pub.summary())
    return pub


def advisory(result: GateResult) -> GateResult:
    """A gate result that informs but never blocks (e.g. the landing gate): its errors become
    warnings, so they are alerted with the publication instead of stopping it."""
    downgraded = [replace(f, severity="warning") for f in result.blocking]
    return replace(result, success=True, blocking=[], warnings=downgraded + list(result.warnings))


def publish_and_alert(
    results: Sequence[GateResult], *, advisory_results: Sequence[GateResult] = (), **kwargs: object
) -> Publication:
    """The publish step of the pipeline: publish when every gate passed, then alert.

    Blocked: one alert per incident (see ``kejiwatch.alerts``), then ``GateBlocked`` is raised and
    the previous file is left untouched. Passed: publish, then a recovery notice if an incident
    was open and a warning alert if the gates warned. ``advisory_results`` (e.g. the landing gate)
    never block; their failures are alerted as warnings."""
    from kejiwatch import alerts

    results = list(results)
    alerts.raise_if_blocked(results)
    publication = publish(results, **kwargs)  # type: ignore[arg-type]
    alerts.notify_gate([*(advisory(r) for r in advisory_results), *results], publication)
    return publication


def read_manifest(path: Path | None = None) -> list[dict]:
    """The manifest rows of the published file (what a BI user sees), [] before the first publication."""
    path = Path(path or settings.marts_path())
    if not path.exists():
        return []
    with duckdb.connect(str(path), read_only=True) as con:
        cur = con.execute(f"select * from {MANIFEST_TABLE} order by table_name")
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
