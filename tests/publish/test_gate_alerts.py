"""Gate -> publish -> alert, end to end against a real SMTP server and a real webhook receiver."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import duckdb
import pytest

from expectations import sample_warehouse as sw
from kejiwatch import alerts, settings
from warehouse.publish import read_manifest


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _bad_batch() -> tuple[list[sw.Page], list[sw.Mention]]:
    """A batch-level error: the extractor emitted the same statement twice (mention_id not unique)."""
    pages = sw.sample_pages()
    mentions = sw.sample_mentions(pages)
    return pages, [*mentions, mentions[0]]


def _warning_batch() -> tuple[list[sw.Page], list[sw.Mention]]:
    """Only a warning: one quote's offsets are off by one (the quote itself is in the document)."""
    pages = sw.sample_pages()
    mentions = sw.sample_mentions(pages)
    m = mentions[2]
    start = m.page.body_text.find(m.quote) + 1
    m.extra.update(quote_start=start, quote_end=start + len(m.quote))
    return pages, mentions


def test_block_alerts_once_then_recovers_then_warns(inbox: Any) -> None:
    wh = settings.warehouse_path()
    marts = settings.marts_path()

    # 1. a clean first publication
    sw.build(wh)
    results, pub = sw.run_sample_pipeline()
    assert pub is not None and all(r.success for r in results)
    inbox.wait(0, 0, timeout=0.3)
    assert inbox.emails == [] and inbox.hooks == []  # nothing to say about a clean run
    before = _sha256(marts)
    first_id = read_manifest()[0]["publish_id"]

    # 2. a planted bad batch blocks publication: file untouched, one email + one webhook
    inbox.clear()
    sw.build(wh, *_bad_batch())
    results, pub = sw.run_sample_pipeline()
    assert pub is None
    assert results[0].gate == "facts" and not results[0].success
    assert [f.expectation for f in results[0].blocking] == ["facts.mention_id_unique"]
    assert _sha256(marts) == before
    inbox.wait(1, 1)
    assert len(inbox.emails) == 1 and len(inbox.hooks) == 1
    email, hook = inbox.emails[0], inbox.hooks[0]
    assert "BLOCKED" in email["subject"] and "facts.mention_id_unique" in email["subject"]
    body = email.get_body(("html",)).get_content()
    assert "facts.mention_id_unique" in body and "yk_kjj" in body
    assert hook["kejiwatch"]["event"] == "blocked"
    assert hook["kejiwatch"]["failing_expectations"] == ["facts.mention_id_unique"]
    assert "facts.mention_id_unique" in hook["text"]
    assert hook["kejiwatch"]["portals"] == ["yk_kjj"]
    docs = Path(hook["kejiwatch"]["data_docs"])
    assert docs.exists() and docs.suffix == ".html"

    # 3. still broken on the next run: same incident, no second alert
    results, pub = sw.run_sample_pipeline()
    assert pub is None
    inbox.wait(2, 2, timeout=0.5)
    assert len(inbox.emails) == 1 and len(inbox.hooks) == 1
    assert _sha256(marts) == before

    # 4. a clean batch publishes and sends exactly one recovery notice per channel
    inbox.clear()
    sw.build(wh)
    results, pub = sw.run_sample_pipeline()
    assert pub is not None
    assert read_manifest()[0]["publish_id"] == pub.publish_id != first_id
    inbox.wait(1, 1)
    assert len(inbox.emails) == 1 and len(inbox.hooks) == 1
    assert "RECOVERED" in inbox.emails[0]["subject"]
    assert inbox.hooks[0]["kejiwatch"]["event"] == "recovered"
    assert inbox.hooks[0]["kejiwatch"]["blocked_runs"] == 2

    # 5. a warning-only batch publishes and alerts
    inbox.clear()
    sw.build(wh, *_warning_batch())
    results, pub = sw.run_sample_pipeline()
    assert pub is not None and all(r.success for r in results)
    assert [f.expectation for r in results for f in r.warnings] == ["facts.quote_at_offsets"]
    inbox.wait(1, 1)
    assert len(inbox.emails) == 1 and len(inbox.hooks) == 1
    assert "WARNING" in inbox.emails[0]["subject"] and "facts.quote_at_offsets" in inbox.emails[0]["subject"]
    assert inbox.hooks[0]["kejiwatch"]["publish_id"] == pub.publish_id
    assert read_manifest()[0]["gate_outcome"] == "passed_with_warnings"


def test_absurd_figure_is_quarantined_while_the_rest_publishes(inbox: Any, backend: str) -> None:
    pages = sw.sample_pages()
    mentions = sw.sample_mentions(pages)
    bad = mentions[3]  # 高新技术企业总数达到312家 -> a planted 3.12 billion enterprises
    bad.value = 3.12e9
    sw.build(settings.warehouse_path(), pages, mentions)
    results, pub = sw.run_sample_pipeline()
    assert pub is not None and all(r.success for r in results)
    facts = results[0]
    assert facts.counts["quarantined"] == 1
    assert {f.expectation for f in facts.warnings} == {"facts.value_in_range.count"}
    with duckdb.connect(str(settings.marts_path()), read_only=True) as con:
        rows = con.execute(
            "select mention_id, page_version_id, expectation, reason, severity from quarantined_mentions"
        ).fetchall()
        reports = con.execute("select mention_id from fct_indicator_reports").fetchall()
        high_tech = con.execute(
            "select value from fct_enterprises where indicator_key = 'high_tech' and region_key = '210800'"
        ).fetchall()
    bad_id = bad.row()["mention_id"]
    assert rows == [(bad_id, "yk0001", "facts.value_in_range.count", rows[0][3], "error")]
    assert "value=3.12e+09" in rows[0][3] and "unit=count" in rows[0][3]
    assert "published_date=2025-01-15," in rows[0][3] and "quote=高新技术企业总数达到312家" in rows[0][3]
    # the rest of the batch, including the bad mention's own page, is published
    assert len(reports) == len(mentions) - 1 and (bad_id,) not in reports
    same_page = {m.row()["mention_id"] for m in mentions if m.page.page_version_id == "yk0001"} - {bad_id}
    assert same_page and same_page <= {r[0] for r in reports}
    assert high_tech == []
    inbox.wait(1, 1)
    assert "facts.value_in_range.count" in inbox.hooks[0]["text"]


def test_failure_callbacks_deliver_task_failures(inbox: Any) -> None:
    from expectations.result import GateBlocked

    class TI:
        dag_id, task_id, run_id, try_number = "scrape_portals", "crawl_portal", "manual__1", 1

    (callback,) = alerts.failure_callbacks()
    callback({"ti": TI(), "run_id": "manual__1", "exception": RuntimeError("7 of 9 fetches failed {x}")})
    inbox.wait(1, 1)
    assert len(inbox.emails) == 1 and len(inbox.hooks) == 1
    assert inbox.emails[0]["subject"] == "[kejiwatch] FAILED: scrape_portals.crawl_portal"
    assert "7 of 9 fetches failed {x}" in inbox.hooks[0]["text"]
    assert inbox.hooks[0]["kejiwatch"]["task_id"] == "crawl_portal"
    # a gate block was already alerted by the gate itself: the task callback stays quiet
    callback({"ti": TI(), "run_id": "manual__2", "exception": GateBlocked([])})
    inbox.wait(2, 2, timeout=0.5)
    assert len(inbox.emails) == 1 and len(inbox.hooks) == 1


def test_a_dead_channel_does_not_stop_the_other(inbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "KEJIWATCH_SMTP_URL", "smtp://127.0.0.1:9?disable_ssl=true&disable_tls=true&retry_limit=0"
    )
    monkeypatch.setenv("AIRFLOW_CONN_KEJIWATCH_SMTP", "smtp://127.0.0.1:9")
    deliveries = alerts.send(alerts.Message("warning", "[kejiwatch] test", ["- one line"]))
    assert deliveries["webhook"] is None and deliveries["email"] is not None
    inbox.wait(0, 1)
    assert len(inbox.hooks) == 1


def test_advisory_landing_failures_publish_and_alert_as_warnings(inbox: Any) -> None:
    from expectations.result import Failure, GateResult
    from warehouse.publish import publish_and_alert

    sw.build(settings.warehouse_path())
    landing = GateResult(
        gate="landing",
        gate_run_id="landing-1",
        success=False,
        blocking=[
            Failure(
                expectation="landing.portals_reachable",
                gate="landing",
                severity="error",
                description="most portals down",
                portals=["ln_kjt", "yk_kjj"],
            )
        ],
    )
    marts = GateResult(gate="marts", gate_run_id="marts-1", success=True)
    pub = publish_and_alert([marts], advisory_results=[landing])
    assert read_manifest()[0]["publish_id"] == pub.publish_id
    inbox.wait(1, 1)
    assert len(inbox.emails) == 1 and len(inbox.hooks) == 1
    assert (
        "WARNING" in inbox.emails[0]["subject"] and "landing.portals_reachable" in inbox.emails[0]["subject"]
    )
    assert inbox.hooks[0]["kejiwatch"]["portals"] == ["ln_kjt", "yk_kjj"]
    assert alerts._load_state(alerts.state_path()).get("open_incident") is None
