"""Indicator extraction: Chinese S&T-bureau prose → typed fact rows with evidence.

``extract(text, ctx)`` is the one entry point (rules in ``indicators.rules``); ``PageContext`` and
``Fact`` (``indicators.model``) are its input and output types."""

from indicators.model import Fact, PageContext
from indicators.rules import extract

# Bumped whenever the rules or the lexicon change what comes out, so stored extractions can be redone.
__version__ = "2.0.0"

__all__ = ["Fact", "PageContext", "__version__", "extract"]
