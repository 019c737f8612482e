"""Alerts: gate incidents and task failures, over email (SMTP) and a Slack-compatible JSON webhook.

Both channels are Airflow notifiers (``SmtpNotifier`` from the smtp provider that ships with
Airflow, ``SlackWebhookNotifier`` from the slack provider), so the same code serves the gate
alerts and ``on_failure_callback`` of any task. Configuration, read at send time so a DAG parsed
before the environment was set still alerts:

- email: an Airflow connection ``kejiwatch_smtp`` (id overridable with ``KEJIWATCH_SMTP_CONN_ID``),
  or ``KEJIWATCH_SMTP_URL`` (an Airflow connection URI such as
  ``smtp://user:pass@mail.example:587?disable_ssl=true``); recipients in
  ``KEJIWATCH_ALERT_EMAIL_TO`` (comma-separated), sender ``KEJIWATCH_ALERT_EMAIL_FROM``;
- webhook: an Airflow ``slackwebhook`` connection ``kejiwatch_webhook``
  (``KEJIWATCH_WEBHOOK_CONN_ID``) or ``KEJIWATCH_WEBHOOK_URL``. The JSON body is Slack's
  (``text``) plus a ``kejiwatch`` object with the structured incident for generic receivers.
- ``KEJIWATCH_ALERT_USE_AIRFLOW_CONNECTIONS=1`` trusts connections defined only in Airflow's
  metadata DB (without it a channel is on only when its env var or AIRFLOW_CONN_* is set, so a
  machine with no alerting configured never waits on a lookup).

Incidents: a blocking gate result opens an incident and sends ONE alert; further blocked runs
of the same incident stay quiet; the next passing run sends one recovery notice and closes it.
Warnings publish and alert once per distinct set of warning rules. State is a small JSON file
under the data dir (``<data_dir>/alerts/state.json``).
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from filelock import FileLock

from kejiwatch import settings

if TYPE_CHECKING:
    from expectations.result import GateResult
    from warehouse.publish import Publication

log = logging.getLogger(__name__)

SMTP_CONN_ID = "kejiwatch_smtp"
_DOCS_PATH = re.compile(r"(?i)(?<=data docs: )/.*\.html$")
WEBHOOK_CONN_ID = "kejiwatch_webhook"


# ---------------------------------------------------------------- configuration


def _conn_env(conn_id: str) -> str:
    return f"AIRFLOW_CONN_{conn_id.upper()}"


def smtp_conn_id() -> str | None:
    """The SMTP connection id to use, or None when email alerting is not configured."""
    conn_id = os.environ.get("KEJIWATCH_SMTP_CONN_ID", SMTP_CONN_ID)
    if url := os.environ.get("KEJIWATCH_SMTP_URL"):
        # Bridge the plain env setting into Airflow's own env-var connection backend.
        os.environ[_conn_env(conn_id)] = url
    if not recipients():
        return None
    if os.environ.get(_conn_env(conn_id)) or os.environ.get("KEJIWATCH_ALERT_USE_AIRFLOW_CONNECTIONS") == "1":
        return conn_id
    return None


def webhook_conn_id() -> str | None:
    conn_id = os.environ.get("KEJIWATCH_WEBHOOK_CONN_ID", WEBHOOK_CONN_ID)
    if url := os.environ.get("KEJIWATCH_WEBHOOK_URL"):
        os.environ[_conn_env(conn_id)] = json.dumps({"conn_type": "slackwebhook", "password": url})
    if os.environ.get(_conn_env(conn_id)) or os.environ.get("KEJIWATCH_ALERT_USE_AIRFLOW_CONNECTIONS") == "1":
        return conn_id
    return None


def recipients() -> list[str]:
    return [a.strip() for a in os.environ.get("KEJIWATCH_ALERT_EMAIL_TO", "").split(",") if a.strip()]


def sender() -> str:
    return os.environ.get("KEJIWATCH_ALERT_EMAIL_FROM", "kejiwatch@localhost")


# ---------------------------------------------------------------- messages and channels


@dataclass
class Message:
    event: str  # blocked | recovered | warning | task_failed
    subject: str
    lines: list[str]
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n".join([self.subject, "", *self.lines])

    @property
    def html(self) -> str:
        def cell(line: str) -> str:
            text = html.escape(line)
            # Data Docs pages are local files: make them clickable in the mail client
            return _DOCS_PATH.sub(
                lambda m: f'<a href="file://{quote(html.unescape(m.group(0)))}">{m.group(0)}</a>', text
            )

        body = "".join(
            f"<li>{cell(line)}</li>" if line.lstrip().startswith("- ") else f"<p>{cell(line)}</p>"
            for line in self.lines
            if line
        )
        return f"<h3>{html.escape(self.subject)}</h3>{body}"


@lru_cache(maxsize=1)
def _webhook_notifier_class() -> type:
    from airflow.providers.slack.notifications.slack_webhook import SlackWebhookNotifier

    class KejiwatchWebhookNotifier(SlackWebhookNotifier):
        """Slack's body (``text``) plus the structured incident for generic JSON receivers."""

        def __init__(self, *, payload: dict[str, Any], **kwargs: Any):
            super().__init__(**kwargs)
            self.payload = payload

        def notify(self, context: Any) -> None:
            self.hook.send_dict({"text": self.text, "kejiwatch": self.payload})

    return KejiwatchWebhookNotifier


def notifiers_for(message: Message) -> dict[str, Any]:
    """The Airflow notifiers that deliver ``message`` on every configured channel."""
    out: dict[str, Any] = {}
    if conn := smtp_conn_id():
        from airflow.providers.smtp.notifications.smtp import SmtpNotifier

        out["email"] = SmtpNotifier(
            to=recipients(),
            from_email=sender(),
            subject=message.subject,
            html_content=message.html,
            smtp_conn_id=conn,
        )
    if conn := webhook_conn_id():
        out["webhook"] = _webhook_notifier_class()(
            slack_webhook_conn_id=conn, text=message.text, payload={"event": message.event, **message.payload}
        )
    return out


def send(message: Message) -> dict[str, str | None]:
    """Deliver on every configured channel; returns channel -> error (None when delivered).

    ``notify`` is called directly rather than through the notifier's templating ``__call__``: the
    text is already final and may contain braces from quotes or exception messages."""
    results: dict[str, str | None] = {}
    for channel, notifier in notifiers_for(message).items():
        try:
            notifier.notify({})
            results[channel] = None
        except Exception as exc:  # a broken channel must not hide the other one nor crash the run
            log.error("alert over %s failed: %s", channel, exc)
            results[channel] = f"{type(exc).__name__}: {exc}"[:500]
    if not results:
        log.warning("no alert channel configured; would have sent: %s", message.subject)
    return results


# ---------------------------------------------------------------- incident state


def state_path() -> Path:
    return settings.data_dir() / "alerts" / "state.json"


def _load_state(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def _save_state(path: Path, state: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    os.replace(tmp, path)


@dataclass
class AlertOutcome:
    event: str | None  # blocked | recovered | warning | None (nothing sent)
    incident_id: str | None
    sent: list[str] = field(default_factory=list)  # subjects of the messages sent
    deliveries: dict[str, str | None] = field(default_factory=dict)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _failure_lines(results: Sequence[GateResult], which: str) -> list[str]:
    lines = []
    for r in results:
        for f in getattr(r, which):
            lines.append(f"- {f.summary()}")
            if f.sample:
                lines.append(f"    e.g. {'; '.join(f.sample)}")
            if f.data_docs_page:
                lines.append(f"    data docs: {f.data_docs_page}")
    return lines


def _payload(results: Sequence[GateResult], which: str, incident_id: str | None) -> dict[str, Any]:
    failures = [f for r in results for f in getattr(r, which)]
    return {
        "incident_id": incident_id,
        "failing_expectations": [f.expectation for f in failures],
        "failures": [asdict(f) for f in failures],
        "counts": {r.gate: r.counts for r in results},
        "portals": sorted({p for r in results for p in r.affected_portals}),
        "data_docs": next(
            (r.data_docs_path for r in results if getattr(r, which) and r.data_docs_path),
            next((r.data_docs_path for r in results if r.data_docs_path), None),
        ),
        "gate_runs": [{"gate": r.gate, "gate_run_id": r.gate_run_id, "success": r.success} for r in results],
    }


def blocked_message(results: Sequence[GateResult], incident_id: str) -> Message:
    failing = [f.expectation for r in results for f in r.blocking]
    payload = _payload(results, "blocking", incident_id)
    lines = [
        f"Incident {incident_id}: the quality gate blocked publication at {_now()}.",
        f"The previously published marts stay in place: {settings.marts_path()}",
        "Failing expectations (error = blocks):",
        *_failure_lines(results, "blocking"),
    ]
    if payload["portals"]:
        lines.append(f"Affected portals: {', '.join(payload['portals'])}")
    lines += [
        f"Counts: {json.dumps(payload['counts'], ensure_ascii=False)}",
        f"Data Docs: {payload['data_docs']}",
    ]
    return Message(
        "blocked", f"[kejiwatch] BLOCKED: publication stopped by {', '.join(failing)}", lines, payload
    )


def recovered_message(
    results: Sequence[GateResult], incident: dict[str, Any], publication: Publication | None
) -> Message:
    payload = _payload(results, "warnings", incident.get("id"))
    payload["opened_at"] = incident.get("opened_at")
    payload["blocked_runs"] = incident.get("blocked_runs", 1)
    lines = [
        f"Incident {incident.get('id')} (open since {incident.get('opened_at')}, "
        f"{incident.get('blocked_runs', 1)} blocked run(s), "
        f"failing: {', '.join(incident.get('expectations', []))}) is resolved: the gate passed.",
    ]
    if publication is not None:
        lines.append(f"Published {publication.publish_id} to {publication.path}.")
        payload["publish_id"] = publication.publish_id
    return Message(
        "recovered",
        f"[kejiwatch] RECOVERED: gate passed, incident {incident.get('id')} closed",
        lines,
        payload,
    )


def warning_message(results: Sequence[GateResult], publication: Publication | None) -> Message:
    names = [f.expectation for r in results for f in r.warnings]
    payload = _payload(results, "warnings", None)
    lines = [
        "The gate passed with warnings; the marts were published."
        if publication is not None
        else "The gate passed with warnings.",
        "Warnings:",
        *_failure_lines(results, "warnings"),
    ]
    if payload["portals"]:
        lines.append(f"Affected portals: {', '.join(payload['portals'])}")
    if publication is not None:
        lines.append(f"Published {publication.publish_id} to {publication.path}.")
        payload["publish_id"] = publication.publish_id
    lines.append(f"Data Docs: {payload['data_docs']}")
    return Message("warning", f"[kejiwatch] WARNING: published with {', '.join(names)}", lines, payload)


def notify_gate(results: Sequence[GateResult], publication: Publication | None = None) -> AlertOutcome:
    """Alert on the outcome of one pipeline run's gates (call after publish, or after a block).

    Blocked: one alert per incident. Passed after an incident: one recovery notice. Warnings:
    one alert per distinct set of warning rules."""
    results = list(results)
    path = state_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + ".lock"):
        state = _load_state(path)
        incident = state.get("open_incident")
        outcome = AlertOutcome(event=None, incident_id=incident.get("id") if incident else None)
        messages: list[Message] = []
        if any(not r.success for r in results):
            failing = sorted({f.expectation for r in results for f in r.blocking})
            if incident is None:
                incident = {
                    "id": f"inc-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}",
                    "opened_at": _now(),
                    "expectations": failing,
                    "blocked_runs": 1,
                    "gate_run_ids": [r.gate_run_id for r in results],
                }
                messages.append(blocked_message(results, incident["id"]))
            else:
                incident["blocked_runs"] = incident.get("blocked_runs", 1) + 1
                incident["expectations"] = sorted(set(incident.get("expectations", [])) | set(failing))
            state["open_incident"] = incident
            outcome.incident_id = incident["id"]
        else:
            if incident is not None:
                messages.append(recovered_message(results, incident, publication))
                state.setdefault("closed_incidents", []).append({**incident, "closed_at": _now()})
                state["closed_incidents"] = state["closed_incidents"][-50:]
                state["open_incident"] = None
            signature = sorted({f.expectation for r in results for f in r.warnings})
            if signature and signature != state.get("last_warning_signature"):
                messages.append(warning_message(results, publication))
            state["last_warning_signature"] = signature or None

        for message in messages:
            deliveries = send(message)
            outcome.event = message.event
            outcome.sent.append(message.subject)
            outcome.deliveries.update({f"{message.event}:{k}": v for k, v in deliveries.items()})
        if messages and outcome.deliveries and all(v is not None for v in outcome.deliveries.values()):
            # nothing got through: keep the previous state so the next run tries again
            log.error("every alert channel failed; incident state left unchanged")
        else:
            _save_state(path, state)
    return outcome


def raise_if_blocked(results: Sequence[GateResult]) -> None:
    """For a gate task: alert (once per incident) and raise ``GateBlocked`` when a gate blocked,
    so the task fails and nothing downstream (build, publish, asset update) runs."""
    from expectations.result import GateBlocked

    results = list(results)
    if any(not r.success for r in results):
        notify_gate(results)
        raise GateBlocked([r for r in results if not r.success])


# ---------------------------------------------------------------- task failures


@lru_cache(maxsize=1)
def _task_failure_notifier_class() -> type:
    from airflow.sdk import BaseNotifier

    class KejiwatchFailureNotifier(BaseNotifier):
        """``on_failure_callback`` for any kejiwatch task: formats the failure and delivers it on
        every configured channel (through the provider notifiers above)."""

        template_fields = ()

        def notify(self, context: Any) -> None:
            ti = context.get("ti") or context.get("task_instance")
            dag_id = getattr(ti, "dag_id", None) or getattr(context.get("dag"), "dag_id", "?")
            task_id = getattr(ti, "task_id", "?")
            run_id = context.get("run_id") or getattr(ti, "run_id", "?")
            exc = context.get("exception")
            if exc is not None and type(exc).__name__ == "GateBlocked":
                # notify_gate already alerted for this incident (once); don't send a second alert
                self.log.info("gate block already alerted by kejiwatch.alerts.notify_gate")
                return
            lines = [
                f"Task {dag_id}.{task_id} failed in run {run_id} at {_now()}.",
                f"Try: {getattr(ti, 'try_number', '?')}",
            ]
            if exc is not None:
                lines.append(f"Error: {type(exc).__name__}: {exc}"[:2000])
            if url := getattr(ti, "log_url", None):
                lines.append(f"Log: {url}")
            send(
                Message(
                    "task_failed",
                    f"[kejiwatch] FAILED: {dag_id}.{task_id}",
                    lines,
                    {
                        "dag_id": dag_id,
                        "task_id": task_id,
                        "run_id": str(run_id),
                        "error": None if exc is None else str(exc)[:2000],
                    },
                )
            )

    return KejiwatchFailureNotifier


def failure_callbacks() -> list[Any]:
    """Ready-made ``on_failure_callback`` list for DAGs/tasks (``default_args`` or per task).

    Channels are resolved when a failure happens, so parsing a DAG needs no alert configuration."""
    return [_task_failure_notifier_class()()]
