"""The GX File data context under the data dir, and one function that validates a pandas frame.

GX reads pandas frames here, never DuckDB through SQLAlchemy: the duckdb-engine route fails every
expectation with a metric-resolution IndexError on GX 1.x (see shared research). The File context
keeps suites, validation definitions, checkpoints and results as JSON under ``<data_dir>/gx`` and
rebuilds the Data Docs site on every validation, so each alert can point at a page."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from filelock import FileLock

from kejiwatch import settings

logging.getLogger("great_expectations").setLevel(logging.WARNING)

_CONTEXTS: dict[Path, Any] = {}
_LOCK = threading.Lock()
DATASOURCE = "kejiwatch"
# validation results (JSON + Data Docs page) kept per suite; older runs are pruned so the store
# and the Data Docs index (rebuilt on every run) stay small on a pipeline that runs for years
KEEP_RUNS_PER_SUITE = 100
# failing rows kept per expectation in the *stored* result (the gate itself sees them all): a
# systematic failure over a million mentions must not write hundreds of MB per run
STORED_ROWS_PER_EXPECTATION = 1000


def gx_root(data_dir: Path | None = None) -> Path:
    return Path(data_dir or settings.data_dir()) / "gx"


def data_docs_index(data_dir: Path | None = None) -> Path:
    return gx_root(data_dir) / "uncommitted" / "data_docs" / "local_site" / "index.html"


def get_context(data_dir: Path | None = None) -> Any:
    """The File data context rooted at ``<data_dir>/gx`` (created on first use, cached per process
    because building one re-reads the whole project config)."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    root = Path(data_dir or settings.data_dir()).resolve()
    with _LOCK:
        if root not in _CONTEXTS:
            root.mkdir(parents=True, exist_ok=True)
            ctx = gx.get_context(mode="file", project_root_dir=str(root))
            # tqdm bars would flood Airflow task logs
            ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
            _CONTEXTS[root] = ctx
        return _CONTEXTS[root]


@dataclass
class ExpectationOutcome:
    rule: str
    severity: str  # error | warning
    quarantine: bool
    description: str
    success: bool
    element_count: int = 0
    unexpected_count: int = 0
    unexpected_rows: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None


@dataclass
class AssetOutcome:
    asset: str
    suite: str
    success: bool
    outcomes: list[ExpectationOutcome]
    data_docs_page: str | None
    validation_id: str


def _get_or_add_asset(ctx: Any, name: str) -> Any:
    try:
        ds = ctx.data_sources.get(DATASOURCE)
    except (KeyError, ValueError, LookupError):
        ds = ctx.data_sources.add_pandas(DATASOURCE)
    try:
        asset = ds.get_asset(name)
    except LookupError:
        asset = ds.add_dataframe_asset(name)
    try:
        return asset.get_batch_definition("whole_frame")
    except (KeyError, LookupError, ValueError):
        return asset.add_batch_definition_whole_dataframe("whole_frame")


def _file_path(url: str | None) -> str | None:
    if not url:
        return None
    parsed = urlparse(url)
    return unquote(parsed.path) if parsed.scheme == "file" else url


def validate_frames(
    *,
    gate: str,
    assets: dict[str, tuple[Any, list[Any]]],
    id_columns: list[str],
    run_name: str,
    data_dir: Path | None = None,
) -> list[AssetOutcome]:
    """Validate each ``{asset: (frame, expectations)}`` as suite ``<gate>_<asset>``, then build the
    Data Docs pages of these results (once per gate: rendering is the slow part of a GX run)."""
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

    ctx = get_context(data_dir)
    raw: list[tuple[str, Any, Any]] = []
    # The GX File context is a folder of JSON files: one writer at a time across processes.
    with FileLock(str(gx_root(data_dir)) + ".lock"):
        for asset, (frame, expectations) in assets.items():
            name = f"{gate}_{asset}"
            batch_definition = _get_or_add_asset(ctx, name)
            suite = ctx.suites.add_or_update(gx.ExpectationSuite(name=name, expectations=expectations))
            vd = ctx.validation_definitions.add_or_update(
                gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
            )
            checkpoint = ctx.checkpoints.add_or_update(
                gx.Checkpoint(
                    name=name,
                    validation_definitions=[vd],
                    result_format={
                        "result_format": "COMPLETE",
                        "unexpected_index_column_names": [c for c in id_columns if c in frame.columns],
                    },
                )
            )
            result = checkpoint.run(
                batch_parameters={"dataframe": frame}, run_id=RunIdentifier(run_name=run_name)
            )
            ((identifier, validation),) = result.run_results.items()
            raw.append((name, identifier, validation))
        identifiers = [identifier for _, identifier, _ in raw]
        for name, _, _ in raw:
            compact_stored_results(name, run_name, data_dir=data_dir)
            prune_results(name, data_dir=data_dir)
        ctx.build_data_docs(resource_identifiers=identifiers)
        pages = {
            str(identifier): _file_path(urls[0]["site_url"]) if urls else None
            for identifier in identifiers
            for urls in [ctx.get_docs_sites_urls(resource_identifier=identifier)]
        }
    return [
        _outcome(name, identifier, validation, pages.get(str(identifier)))
        for name, identifier, validation in raw
    ]


def compact_stored_results(
    suite: str, run_name: str, keep: int | None = None, data_dir: Path | None = None
) -> int:
    """Cap the failing-row lists of one run's stored validation results at ``keep`` entries
    (before Data Docs render them); returns how many lists were cut."""
    import json

    keep = keep or STORED_ROWS_PER_EXPECTATION
    cut = 0
    for path in (gx_root(data_dir) / "uncommitted" / "validations" / suite / run_name).rglob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        changed = False
        for r in data.get("results", []):
            res = r.get("result") or {}
            for key in ("unexpected_index_list", "unexpected_list"):
                if isinstance(res.get(key), list) and len(res[key]) > keep:
                    res[key] = res[key][:keep]
                    res[f"{key}_truncated_to"] = keep
                    changed = True
                    cut += 1
        if changed:
            path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return cut


def prune_results(suite: str, keep: int = KEEP_RUNS_PER_SUITE, data_dir: Path | None = None) -> int:
    """Delete all but the newest ``keep`` runs of ``suite`` (run names start with the gate's UTC
    timestamp, so they sort by time); returns how many runs were removed."""
    import shutil

    uncommitted = gx_root(data_dir) / "uncommitted"
    removed = 0
    for base in (
        uncommitted / "validations" / suite,
        uncommitted / "data_docs" / "local_site" / "validations" / suite,
    ):
        if not base.is_dir():
            continue
        runs = sorted(p for p in base.iterdir() if p.is_dir())
        for old in runs[: max(0, len(runs) - keep)]:
            shutil.rmtree(old, ignore_errors=True)
            removed += 1
    return removed


def _outcome(name: str, identifier: Any, validation: Any, page: str | None) -> AssetOutcome:
    outcomes = []
    for r in validation.results:
        meta = r.expectation_config.meta or {}
        res = r.result or {}
        error = None
        if r.exception_info and r.exception_info.get("raised_exception"):
            error = str(r.exception_info.get("exception_message") or "exception")[:500]
        outcomes.append(
            ExpectationOutcome(
                rule=meta.get("kejiwatch_rule", r.expectation_config.type),
                severity=meta.get("kejiwatch_severity", "error"),
                quarantine=bool(meta.get("kejiwatch_quarantine", False)),
                description=r.expectation_config.description or r.expectation_config.type,
                success=bool(r.success),
                element_count=int(res.get("element_count") or 0),
                unexpected_count=int(res.get("unexpected_count") or 0),
                unexpected_rows=list(res.get("unexpected_index_list") or []),
                error=error,
            )
        )
    return AssetOutcome(
        asset=name,
        suite=name,
        success=bool(validation.success),
        outcomes=outcomes,
        data_docs_page=page,
        validation_id=str(identifier),
    )
