"""Indicator extraction: Chinese S&T-bureau prose → typed fact rows with evidence.

``extract(text, ctx)`` is the one entry point; see ``indicators.extract`` for the rules."""

from indicators.model import Fact, PageContext

__all__ = ["Fact", "PageContext", "extract"]


def extract(text: str, ctx: PageContext | None = None) -> list[Fact]:
    """Facts stated in ``text`` (a page's body text); never raises on odd input."""
    from indicators.extract import extract as _extract

    return _extract(text, ctx)
