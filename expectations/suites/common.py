"""Expectation shapes the three suites share.

The gate computes boolean helper columns next to the data (``frames.py``) and compares column
pairs against bounds it also computes, so most rules are one of two GX checks; writing each once
keeps the suites about *what* is checked, not how GX spells it."""

from __future__ import annotations

from typing import Any

import great_expectations.expectations as gxe


def flag_is(column: str, value: bool, **kwargs: Any) -> gxe.ExpectColumnValuesToBeInSet:
    """Every row's boolean helper ``column`` is ``value`` (``mostly``/``row_condition`` pass on)."""
    return gxe.ExpectColumnValuesToBeInSet(column=column, value_set=[value], **kwargs)


def at_least(column_a: str, column_b: str, **kwargs: Any) -> gxe.ExpectColumnPairValuesAToBeGreaterThanB:
    """``column_a >= column_b`` on every row (``ignore_row_if``/``mostly`` pass on)."""
    return gxe.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A=column_a, column_B=column_b, or_equal=True, **kwargs
    )
