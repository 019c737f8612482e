"""Landing suite: is what the crawler just landed in raw.* usable at all?

Assets (frames built in ``expectations.frames.landing_frames``):
- ``portal_fetches``: one row per portal of the latest crawl run (fetches, failed, error_rate);
- ``pages``: one row per page version landed by that run (body_chars, decode_ok, published_at,
  published_in_future)."""

from __future__ import annotations

from typing import Any

import great_expectations.expectations as gxe

from expectations.rules import rule
from expectations.suites.common import flag_is


def suites(th: dict[str, Any]) -> dict[str, list[Any]]:
    t = th["landing"]
    return {
        "portal_fetches": [
            rule(
                gxe.ExpectColumnValuesToBeBetween(
                    column="error_rate", min_value=0, max_value=t["fetch_error_rate_warn"]
                ),
                name="landing.portal_fetch_error_rate",
                severity="warning",
                description=f"each portal's fetch error rate is at most {t['fetch_error_rate_warn']:.0%}",
            ),
            rule(
                gxe.ExpectColumnValuesToBeBetween(
                    column="error_rate",
                    min_value=0,
                    max_value=t["fetch_error_rate_error"],
                    mostly=1 - t["portals_down_max_share"],
                ),
                name="landing.portals_reachable",
                severity="error",
                description=(
                    f"at most {t['portals_down_max_share']:.0%} of portals have a fetch error "
                    f"rate above {t['fetch_error_rate_error']:.0%}"
                ),
            ),
        ],
        "pages": [
            rule(
                gxe.ExpectColumnValuesToBeBetween(column="body_chars", min_value=t["body_min_chars"]),
                name="landing.body_non_empty",
                severity="warning",
                description="every landed page has a non-empty body text",
            ),
            *(
                rule(
                    flag_is("decode_ok", True, mostly=t[f"decoded_share_{level}"]),
                    name=name,
                    severity=severity,
                    description=f"at least {t[f'decoded_share_{level}']:.0%} of pages decoded cleanly",
                )
                for level, severity, name in (
                    ("warn", "warning", "landing.decoded_share_warn"),
                    ("error", "error", "landing.decoded_share"),
                )
            ),
            rule(
                gxe.ExpectColumnValuesToNotBeNull(column="published_at", mostly=t["published_share_warn"]),
                name="landing.publish_date_present",
                severity="warning",
                description=f"at least {t['published_share_warn']:.0%} of pages carry a publish date",
            ),
            rule(
                flag_is("published_in_future", False),
                name="landing.publish_date_not_future",
                severity="warning",
                description="no page's publish date lies in the future",
            ),
        ],
    }
