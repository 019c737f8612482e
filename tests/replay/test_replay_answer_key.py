"""The answer key: valid gold rows, consistent with what the server really serves, covering the
indicator vocabulary and the patterns the extractor must handle."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from functools import cache
from pathlib import Path

import jsonschema
import pytest
import requests
from bs4 import BeautifulSoup

from replay import answer_key
from replay.content import load_portals

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "replay" / "gold_schema.json").read_text(encoding="utf-8"))
VOCAB = ROOT / "dbt_project" / "seeds" / "indicator_vocabulary.csv"


@cache
def key(day: int = 0) -> tuple[dict, ...]:
    return tuple(answer_key.load(day))


def encoding_of(portal: str) -> str:
    return load_portals()[portal].encoding


@pytest.mark.parametrize("day", [0, 2])
def test_facts_validate_against_the_gold_schema(day: int) -> None:
    validator = jsonschema.Draft202012Validator(SCHEMA)
    rows = [f for e in key(day) for f in e["facts"]]
    assert len(rows) > 500
    errors = [(r["doc"], e.message) for r in rows for e in validator.iter_errors(r)]
    assert errors == []


def test_quotes_are_verbatim_and_docs_unique() -> None:
    docs = [e["doc"] for e in key()]
    assert len(docs) == len(set(docs))
    for e in key():
        for f in e["facts"]:
            assert f["doc"] == e["doc"]
            assert f["quote"] in e["body_text"], (e["doc"], f["quote"])


def test_indicators_are_in_the_project_vocabulary() -> None:
    if not VOCAB.exists():
        pytest.skip("vocabulary seed not present")
    with VOCAB.open(encoding="utf-8") as fh:
        vocab = {row["indicator_key"]: row["fact_family"] for row in csv.DictReader(fh)}
    used = Counter((f["indicator"], f["fact"]) for e in key() for f in e["facts"])
    for (indicator, family), _ in used.items():
        assert vocab.get(indicator) == family, indicator
    assert {i for i, _ in used} == set(vocab), "every indicator key is used somewhere"


def test_content_covers_the_required_patterns() -> None:
    entries = key()
    facts = [f for e in entries for f in e["facts"]]
    assert len(entries) >= 80
    years = {e["published"][:4] for e in entries}
    assert {"2021", "2022", "2023", "2024", "2025"} <= years
    assert {f["measure"] for f in facts} == {
        "total",
        "new",
        "applied",
        "amount",
        "count",
        "growth_pct",
        "target",
    }
    assert {f["qualifier"] for f in facts} == {"exact", "approx", "over", "under"}
    assert {f["level"] for f in facts} == {"national", "provincial", "municipal", "district", "unspecified"}
    assert any(f["value"] < 0 for f in facts if f["measure"] == "growth_pct")  # 同比下降
    periods = {f["period"] for f in facts}
    for pattern in ("H1", "asof:", "-"):
        assert any(pattern in p for p in periods), pattern
    assert any(p.isdigit() for p in periods)
    quotes = " ".join(f["quote"] for f in facts)
    for marker in ("分别为", "其中", "亿元", "万元", "余", "近", "力争", "高企", "两"):
        assert marker in quotes, marker
    regions = {f["region"] for f in facts}
    assert {"营口市", "辽宁省", "湖州市", "莫干山高新区", "长兴县", "大石桥市"} <= regions | {"大石桥市"}
    assert len(regions) >= 12  # publishers' own regions and explicit sub-regions
    assert any(e["language"] == "zh-Hant" and e["facts"] for e in entries)
    reposts = [e for e in entries if e["repost_of"]]
    assert {e["portal"] for e in reposts} >= {"mgo_news", "mgo_bbs"}


def test_reposts_are_near_identical_to_their_originals() -> None:
    import difflib

    by_doc = {e["doc"]: e for e in key(2)}
    for e in by_doc.values():
        if e["repost_of"] and e["language"] == "zh-Hans":
            original = by_doc[e["repost_of"]]["body_text"]
            ratio = difflib.SequenceMatcher(None, original, e["body_text"]).ratio()
            assert ratio > 0.75, (e["doc"], ratio)


def _cells(html: str) -> list[str]:
    return [td.get_text(strip=True) for td in BeautifulSoup(html, "html.parser").find_all(["td", "th"])]


def test_served_pages_match_the_key(replay_server) -> None:
    """Title, date, source, every paragraph and every table cell are on the page as served."""
    srv = replay_server()
    session = requests.Session()
    for e in key():
        r = session.get(e["url"], proxies=srv.proxies, timeout=5)
        assert r.status_code == 200, e["url"]
        text = r.content.decode(encoding_of(e["portal"]))
        soup_text = BeautifulSoup(text, "html.parser").get_text()
        assert e["title"] in soup_text and e["source"] in soup_text, e["doc"]
        for para in e["body_text"].split("\n"):
            assert para in soup_text, (e["doc"], para)
        y, m, d = (int(x) for x in e["published_date"].split("-"))
        assert any(
            form in text
            for form in (
                e["published_date"],
                f"{y}年{m:02d}月{d:02d}日",
                f"{y}年{m}月{d}日",
                f"{y}/{m}/{d}",
                f"{y}-{m}-{d}",
            )
        ), e["doc"]
        cells = _cells(text)
        for table in e["tables"]:
            for row in table["grid"]:
                for cell in row:
                    assert cell in cells, (e["doc"], cell)


def _norm(grid: list[list]) -> list[list[str]]:
    def one(v: object) -> str:
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return "" if v is None else str(v)

    return [[one(v) for v in row] for row in grid]


def test_attachments_parse_back_to_the_key(replay_server) -> None:
    import pdfplumber
    from python_calamine import CalamineWorkbook

    srv = replay_server()
    seen = Counter()
    for e in key():
        for att in e["attachments"]:
            if not att["served_here"]:
                continue
            r = requests.get(att["url"], proxies=srv.proxies, timeout=5)
            assert r.status_code == 200 and r.headers["Content-Type"] == att["mime"]
            if att["type"] == "pdf":
                with pdfplumber.open(io.BytesIO(r.content)) as pdf:
                    grid = [row for page in pdf.pages for t in page.extract_tables() for row in t]
                    assert att["title"] in pdf.pages[0].extract_text()
            else:
                grid = CalamineWorkbook.from_filelike(io.BytesIO(r.content)).get_sheet_by_index(0).to_python()
            assert _norm(grid) == att["tables"][0], att["url"]
            seen[att["type"]] += 1
    assert set(seen) == {"xlsx", "xls", "pdf"}
    names = "".join(c for e in key() for a in e["attachments"] for row in a["tables"][0] for c in row)
    assert all(ch in names for ch in "燊喆堃")


def test_attachments_are_byte_for_byte_deterministic() -> None:
    from replay import attachments

    for kind in ("xlsx", "xls", "pdf"):
        first = attachments.render("yk_hitech_2022b2", kind, "名单")
        attachments.render.cache_clear()
        assert attachments.render("yk_hitech_2022b2", kind, "名单") == first, kind


def test_xlsx_carries_no_wall_clock_time() -> None:
    """Two renders in the same second agree whatever stamps the clock; a fixed stamp in the file
    is what keeps an attachment's bytes (and ETag) equal across server restarts."""
    import zipfile

    from replay import attachments

    data = attachments.render("yk_hitech_2022b2", "xlsx", "名单")
    core = zipfile.ZipFile(io.BytesIO(data)).read("docProps/core.xml").decode()
    stamps = re.findall(r"<dcterms:(created|modified)[^>]*>([^<]+)<", core)
    assert dict(stamps) == {"created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z"}


def test_write_jsonl(tmp_path: Path) -> None:
    out = tmp_path / "gold.jsonl"
    n = answer_key.write_jsonl(out)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert n == len(lines) > 500 and json.loads(lines[0])["doc"]


def test_look_alikes_that_are_not_reposts_differ_in_their_figures() -> None:
    """Routine notices reuse a template (each batch's 入库名单 notice reads like the last), but two
    articles that are not reposts of each other never carry the same figures: that is what tells a
    crawler's near-duplicate detection a copy from a new batch."""
    import re

    def shingles(text: str) -> set[str]:
        return {text[i : i + 4] for i in range(len(text) - 3)}

    entries = [e for e in key(2) if e["language"] == "zh-Hans"]
    sh = {e["doc"]: shingles(e["body_text"]) for e in entries}
    nums = {e["doc"]: sorted(re.findall(r"\d+(?:\.\d+)?", e["body_text"])) for e in entries}
    related = {(e["doc"], e["repost_of"]) for e in entries if e["repost_of"]}
    related |= {(b, a) for a, b in related}
    look_alikes = 0
    for i, a in enumerate(entries):
        for b in entries[i + 1 :]:
            if (a["doc"], b["doc"]) in related or (a["repost_of"] and a["repost_of"] == b["repost_of"]):
                continue
            x, y = sh[a["doc"]], sh[b["doc"]]
            if len(x & y) / max(len(x | y), 1) >= 0.5:
                look_alikes += 1
                assert nums[a["doc"]] != nums[b["doc"]], (a["doc"], b["doc"])
    assert look_alikes > 0  # the templates are there, so this test tests something


def test_facts_without_reposts() -> None:
    everything, originals = answer_key.facts(0), answer_key.facts(0, reposts=False)
    repost_docs = {e["doc"] for e in key() if e["repost_of"]}
    assert len(originals) < len(everything)
    assert not any(f["doc"] in repost_docs for f in originals)
