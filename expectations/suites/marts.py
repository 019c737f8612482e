"""Marts suite: the freshly built marts against the last published version.

Assets (frames built in ``expectations.frames.marts_frames``):
- ``tables``: one row per marts table now, before, or required (row_count, previous_row_count,
  min_allowed = previous * (1 - max_row_drop), present);
- ``grains``: the grain columns of every conformed fact mart, tagged with table_name;
- ``freshness``: one row (newest_document_at, previous_newest_document_at, age_days)."""

from __future__ import annotations

from typing import Any

import great_expectations.expectations as gxe

from expectations.rules import rule
from expectations.suites.common import at_least, flag_is


def suites(th: dict[str, Any]) -> dict[str, list[Any]]:
    m = th["marts"]
    out: dict[str, list[Any]] = {
        "tables": [
            rule(
                flag_is("present", True),
                name="marts.table_present",
                severity="error",
                description="every required or previously published marts table exists",
            ),
            rule(
                at_least("row_count", "min_allowed"),
                name="marts.row_count_not_collapsing",
                severity="error",
                description=f"no table lost over {m['max_row_drop']:.0%} of its rows since last publication",
            ),
        ],
        "freshness": [
            rule(
                gxe.ExpectColumnValuesToNotBeNull(column="newest_document_at"),
                name="marts.freshness_measurable",
                severity="warning",
                description="the newest document's publish time can be read from the marts",
            ),
            rule(
                at_least(
                    "newest_document_at",
                    "previous_newest_document_at",
                    ignore_row_if="either_value_is_missing",
                ),
                name="marts.freshness_not_regressing",
                severity="warning",
                description="the newest document is not older than in the last publication",
            ),
        ],
    }
    if m.get("freshness_max_age_days") is not None:
        out["freshness"].append(
            rule(
                gxe.ExpectColumnValuesToBeBetween(
                    column="age_days", max_value=float(m["freshness_max_age_days"])
                ),
                name="marts.freshness_max_age",
                severity="warning",
                description=f"the newest document is at most {m['freshness_max_age_days']} days old",
            )
        )
    grain_cols = sorted({c for g in m["grains"].values() for c in g})
    out["grains"] = [
        rule(
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["table_name", *grain_cols]),
            name="marts.grain_unique",
            severity="error",
            description="each fact mart has one row per conformed grain ("
            + "; ".join(f"{t}: {' × '.join(g)}" for t, g in m["grains"].items())
            + ")",
        )
    ]
    out["tables"].append(
        rule(
            flag_is("grain_columns_present", True),
            name="marts.grain_columns_present",
            severity="error",
            description="every fact mart has the columns of its conformed grain",
        )
    )
    return out
