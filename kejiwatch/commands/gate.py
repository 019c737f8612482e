"""CLI commands: `kejiwatch gate [landing|facts|marts]` and `kejiwatch publish`.

Both import GX/DuckDB inside the command so `kejiwatch --help` stays fast."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated

import typer


class GateName(StrEnum):
    landing = "landing"
    facts = "facts"
    marts = "marts"


def register(app: typer.Typer) -> None:
    @app.command()
    def gate(
        name: Annotated[GateName, typer.Argument(help="which validation point to run")] = GateName.facts,
        run_id: Annotated[
            str | None, typer.Option(help="crawl run to validate (landing; default: the latest)")
        ] = None,
        alert: Annotated[bool, typer.Option("--alert/--no-alert", help="alert on this outcome")] = False,
        as_json: Annotated[bool, typer.Option("--json", help="print the GateResult as JSON")] = False,
    ) -> None:
        """Run one quality gate; exit 1 when it blocks. Data Docs are rebuilt on every run."""
        from expectations import gate as gates

        kwargs = {"run_id": run_id} if name is GateName.landing else {}
        result = gates.run_gate(name.value, **kwargs)
        typer.echo(result.to_json() if as_json else result.summary())
        if alert:
            from kejiwatch import alerts

            outcome = alerts.notify_gate([result])
            if outcome.sent:
                typer.echo(f"alerts sent: {'; '.join(outcome.sent)}")
        raise typer.Exit(0 if result.success else 1)

    @app.command()
    def publish(
        gate_first: Annotated[
            bool, typer.Option("--gate/--no-gate", help="run the marts gate now (default) before publishing")
        ] = True,
        alert: Annotated[
            bool, typer.Option("--alert/--no-alert", help="send blocked/recovered/warning alerts")
        ] = True,
    ) -> None:
        """Publish the marts to the BI file (atomic swap) if the latest facts gate and the marts gate
        pass; otherwise leave the published file untouched and exit 1."""
        from expectations import gate as gates
        from expectations.result import GateBlocked
        from kejiwatch import settings
        from warehouse import publish as pub

        results = []
        latest_facts = gates.latest_gate_results().get("facts")
        if latest_facts is not None:
            results.append(latest_facts)
        if gate_first:
            results.append(gates.run_marts_gate())
        for r in results:
            typer.echo(r.summary())
        try:
            if alert:
                publication = pub.publish_and_alert(results, allow_ungated=not results)
            else:
                publication = pub.publish(results, allow_ungated=not results)
        except GateBlocked as exc:
            typer.echo(f"NOT published ({exc}); {settings.marts_path()} left untouched", err=True)
            raise typer.Exit(1) from exc
        typer.echo(publication.summary())
        typer.echo(json.dumps({"publish_id": publication.publish_id, "path": publication.path}))
