"""The portal registry compiles the CSS selectors a portal declares when it loads the YAML."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from scrapers.article import parse_article
from scrapers.registry import PortalConfigError, load_portals


def _write_portal(folder: Path, selectors: dict[str, str]) -> None:
    good = load_portals()["yingkou_kjj"].model_dump(mode="json")
    good["selectors"] = selectors
    (folder / "yingkou_kjj.yaml").write_text(yaml.safe_dump(good, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize(("field", "bad"), [("body", "div.content >"), ("date", "span::before"),
                                            ("title", "h1:hover"), ("source", "p[class")])
def test_bad_selector_fails_the_portal_at_load_naming_portal_field_and_selector(
        tmp_path: Path, field: str, bad: str) -> None:
    _write_portal(tmp_path, {"title": "h1", field: bad})
    with pytest.raises(PortalConfigError) as err:
        load_portals(tmp_path)
    message = str(err.value)
    assert f"yingkou_kjj.yaml: selectors.{field}: " in message, message
    assert repr(bad) in message, message


def test_good_selectors_load_and_are_the_ones_the_parser_uses(tmp_path: Path) -> None:
    _write_portal(tmp_path, {"title": "div.title > h1", "date": "div.info span:first-child",
                             "source": ".info span:nth-child(2)", "body": "div.con:not(.nav)"})
    portal = load_portals(tmp_path)["yingkou_kjj"]
    html = ("<html><body><div class='title'><h1>标题一</h1></div><div class='info'>"
            "<span>2024-03-01</span><span>来源：某局</span></div>"
            "<div class='con nav'><p>导航</p></div><div class='con'><p>正文一段。</p></div></body></html>")
    a = parse_article(html, None, portal)
    assert (a.title, a.published_at.isoformat(), a.source, a.body_text, a.method) == (
        "标题一", "2024-03-01T00:00:00", "某局", "正文一段。", "selectors")


def test_empty_selector_is_no_selector(tmp_path: Path) -> None:
    _write_portal(tmp_path, {"body": ""})
    assert load_portals(tmp_path)["yingkou_kjj"].selectors.body == ""
