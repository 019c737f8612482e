"""Facts suite: the extractor's statements (``intermediate.int_indicator_mentions``) before the
marts are built from them.

Asset ``mentions`` (frame built in ``expectations.frames.facts_frame``): one row per mention with
helper columns computed next to the data (quote_in_document joins raw.pages.body_text,
period_after_publish parses period_key, unit_matches joins the vocabulary seed).

Row-level errors are *quarantined*: the offending mentions go to audit.quarantined_mentions with
the rule and reason, and the marts exclude them. Such a rule blocks the batch only when more than
``max_quarantine_share`` of the rows it applies to fail (GX ``mostly``): one bad page must not stop
a good batch, a broken extractor must."""

from __future__ import annotations

from functools import partial
from typing import Any

import great_expectations.expectations as gxe
from great_expectations.expectations.row_conditions import Column

from expectations.rules import rule
from expectations.suites.common import at_least, flag_is

# YYYY | YYYYH1 | YYYYQn | YYYY-MM | asof:YYYY-MM-DD | unknown  (see INDICATORS.md)
PERIOD_REGEX = r"^(?:\d{4}|\d{4}H[12]|\d{4}Q[1-4]|\d{4}-(?:0[1-9]|1[0-2])|asof:\d{4}-\d{2}-\d{2}|unknown)$"

# A row-level error: its failing mentions are quarantined (the batch blocks only past `mostly`).
_quarantined = partial(rule, severity="error", quarantine=True)


def _range_rules(th: dict[str, Any], mostly: float) -> list[Any]:
    f = th["facts"]
    out = [
        _quarantined(
            gxe.ExpectColumnValuesToBeBetween(
                column="value",
                min_value=b["min"],
                max_value=b["max"],
                row_condition=Column("unit") == unit,
                mostly=mostly,
            ),
            name=f"facts.value_in_range.{unit}",
            description=f"values in {unit} lie within [{b['min']:g}, {b['max']:g}]",
        )
        for unit, b in f["units"].items()
    ]
    # Per-indicator bounds (thresholds.yaml) arrive as columns indicator_min/indicator_max of
    # the frame: two expectations instead of one per indicator keeps the gate fast.
    keys = ", ".join(sorted(f["indicators"]))
    for bound, high, low, wording in (
        ("indicator_min", "value", "indicator_min", "at least their indicator's minimum"),
        ("indicator_max", "indicator_max", "value", "at most their indicator's maximum"),
    ):
        out.append(
            _quarantined(
                at_least(high, low, ignore_row_if="either_value_is_missing", mostly=mostly),
                name=f"facts.value_in_range.{bound}",
                description=f"values are {wording} in thresholds.yaml ({keys})",
            )
        )
    return out


def suites(th: dict[str, Any], vocabulary: dict[str, str]) -> dict[str, list[Any]]:
    f = th["facts"]
    mostly = 1 - f["max_quarantine_share"]
    return {
        "mentions": [
            rule(
                gxe.ExpectColumnValuesToBeUnique(column="mention_id"),
                name="facts.mention_id_unique",
                severity="error",
                description="mention_id (the conformed statement grain) is unique",
            ),
            _quarantined(
                gxe.ExpectColumnValuesToNotBeNull(column="value", mostly=mostly),
                name="facts.value_present",
                description="every mention has a numeric value",
            ),
            _quarantined(
                gxe.ExpectColumnValuesToBeInSet(
                    column="indicator_key", value_set=sorted(vocabulary), mostly=mostly
                ),
                name="facts.indicator_known",
                description="indicator_key is in the vocabulary seed",
            ),
            _quarantined(
                flag_is("unit_matches", True, mostly=mostly),
                name="facts.unit_matches_vocabulary",
                description="unit is the vocabulary's unit for the indicator (percent for growth_pct)",
            ),
            *_range_rules(th, mostly),
            _quarantined(
                gxe.ExpectColumnValuesToMatchRegex(column="period_key", regex=PERIOD_REGEX, mostly=mostly),
                name="facts.period_parseable",
                description="period_key is YYYY, YYYYH1/2, YYYYQ1-4, YYYY-MM, asof:YYYY-MM-DD or unknown",
            ),
            _quarantined(
                flag_is(
                    "period_after_publish", False, row_condition=Column("measure") != "target", mostly=mostly
                ),
                name="facts.period_not_after_publish",
                description=(
                    f"a period does not start more than {f.get('period_tolerance_days', 0)} days after "
                    "the page's publish date unless it is a target"
                ),
            ),
            _quarantined(
                gxe.ExpectColumnValuesToBeBetween(column="quote_chars", min_value=1, mostly=mostly),
                name="facts.quote_non_empty",
                description="every mention keeps a non-empty evidence quote",
            ),
            _quarantined(
                flag_is("quote_in_document", True, mostly=mostly),
                name="facts.quote_in_document",
                description="the evidence quote occurs in its page's body_text (raw.pages)",
            ),
            rule(
                flag_is("quote_at_offsets", True),
                name="facts.quote_at_offsets",
                severity="warning",
                description="body_text[quote_start:quote_end] equals the quote",
            ),
            rule(
                gxe.ExpectColumnValuesToNotBeNull(
                    column="region_code", mostly=f["region_resolved_share_warn"]
                ),
                name="facts.region_resolved",
                severity="warning",
                description=f"at least {f['region_resolved_share_warn']:.0%} of mentions resolve to a region",
            ),
        ],
    }
