"""What a gate run reports. Plain dataclasses, importable without Great Expectations, so the
publisher, the alerts and Airflow's XCom can carry them around cheaply (``as_dict``/``from_dict``)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass
class Failure:
    """One expectation that did not hold (or rows that were quarantined by it)."""

    expectation: str  # stable rule name, e.g. "facts.value_in_unit_range.count"
    gate: str  # landing | facts | marts
    severity: Severity
    description: str
    unexpected_count: int = 0
    element_count: int = 0
    portals: list[str] = field(default_factory=list)
    sample: list[str] = field(default_factory=list)  # a few offending ids / values
    quarantined: int = 0  # rows moved to audit.quarantined_mentions by this rule
    data_docs_page: str | None = None
    error: str | None = None  # the expectation could not be evaluated (e.g. column missing)

    def summary(self) -> str:
        counts = f"{self.unexpected_count}/{self.element_count} rows"
        if self.quarantined:
            counts += f", {self.quarantined} quarantined"
        text = f"{self.expectation} [{self.severity}] {counts}: {self.description}"
        if self.portals:
            text += f" (portals: {', '.join(self.portals)})"
        if self.error:
            text += f" (could not evaluate: {self.error})"
        return text


@dataclass
class GateResult:
    gate: str
    gate_run_id: str
    success: bool  # False when any error-severity expectation failed
    blocking: list[Failure] = field(default_factory=list)
    warnings: list[Failure] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    data_docs_path: str | None = None
    started_at: str = ""
    finished_at: str = ""

    @property
    def affected_portals(self) -> list[str]:
        return sorted({p for f in self.blocking + self.warnings for p in f.portals})

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GateResult:
        data = dict(data)
        data["blocking"] = [Failure(**f) for f in data.get("blocking", [])]
        data["warnings"] = [Failure(**f) for f in data.get("warnings", [])]
        return cls(**data)

    def summary(self) -> str:
        head = f"{self.gate} gate {self.gate_run_id}: {'PASS' if self.success else 'BLOCKED'}"
        if self.counts:
            head += " (" + ", ".join(f"{k}={v}" for k, v in sorted(self.counts.items())) + ")"
        lines = [head]
        lines += [f"  error   {f.summary()}" for f in self.blocking]
        lines += [f"  warning {f.summary()}" for f in self.warnings]
        if self.data_docs_path:
            lines.append(f"  data docs: {self.data_docs_path}")
        return "\n".join(lines)


class GateBlocked(RuntimeError):
    """Raised where a blocking gate result must stop the run (publication, Airflow tasks)."""

    def __init__(self, results: list[GateResult] | str):
        if isinstance(results, str):  # re-created from its message (pickling, Airflow's task runner)
            self.results: list[GateResult] = []
            super().__init__(results)
            return
        self.results = results
        failing = [f.expectation for r in results for f in r.blocking]
        super().__init__(
            "publication blocked by failing expectations: " + ", ".join(failing or ["(gate not passed)"])
        )
