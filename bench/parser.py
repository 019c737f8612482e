"""Benchmark: body text of the crawler's generic parser (``scrapers.article.parse_article`` with no
portal config) against ``trafilatura.extract`` on every replay article page, scored against the
answer key's body text (paragraphs joined by newlines, tables and attachments excluded).

Per extractor: pages whose body matches the key exactly (after whitespace normalisation), mean
character F1 (bag of characters, so order mistakes are forgiven but boilerplate and losses are
not), share of the key's paragraphs found whole, pages with leaked chrome (上一篇/打印/版权所有/
页: [1] …), and milliseconds per page on one thread.

usage: python -m bench.parser      Prints figures, writes bench/results/parser.json; asserts nothing.
"""

from __future__ import annotations

import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._results import write_results  # noqa: E402

CHROME = ("上一篇", "下一篇", "打印", "关闭", "版权所有", "网站标识码", "页:", "查看完整版本", "当前位置",
          "ICP备", "字号", "发表于")


def _norm(text: str) -> str:
    return "\n".join(re.sub(r"\s+", "", line) for line in (text or "").splitlines() if line.strip())


def char_f1(got: str, gold: str) -> float:
    a, b = Counter(_norm(got).replace("\n", "")), Counter(_norm(gold).replace("\n", ""))
    overlap = sum((a & b).values())
    if not overlap:
        return 0.0
    p, r = overlap / sum(a.values()), overlap / sum(b.values())
    return 2 * p * r / (p + r)


def score(name: str, outputs: list[str], key: list[dict], seconds: float) -> dict:
    exact = sum(_norm(o) == _norm(e["body_text"]) for o, e in zip(outputs, key, strict=True))
    f1 = sum(char_f1(o, e["body_text"]) for o, e in zip(outputs, key, strict=True)) / len(key)
    paras = found = 0
    for o, e in zip(outputs, key, strict=True):
        flat = _norm(o).replace("\n", "")
        for para in e["body_text"].splitlines():
            if para.strip():
                paras += 1
                found += re.sub(r"\s+", "", para) in flat
    pairs = list(zip(outputs, key, strict=True))
    leaked = sum(any(c in o and c not in e["body_text"] for c in CHROME) for o, e in pairs)
    out = {"pages": len(key), "exact": exact, "char_f1": round(f1, 4),
           "paragraph_recall": round(found / paras, 4), "pages_with_chrome": leaked,
           "ms_per_page": round(1000 * seconds / len(key), 2)}
    print(f"  {name:14} exact {exact:3d}/{len(key)}  char-F1 {f1:.4f}  paragraphs {found}/{paras}  "
          f"chrome on {leaked:2d} pages  {out['ms_per_page']:6.2f} ms/page")
    return out


def main() -> None:
    import logging

    import requests
    import trafilatura

    from replay import answer_key
    from replay.server import ReplayServer
    from scrapers.article import parse_article
    from scrapers.decode import decode

    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    key = answer_key.load()
    pages: list[tuple[str, str]] = []
    with ReplayServer() as server:
        session = requests.Session()
        session.proxies = {"http": server.proxy_url}
        for e in key:
            r = session.get(e["url"], timeout=30)
            pages.append((decode(r.content, r.headers.get("Content-Type")).text, e["url"]))
    print(f"body text vs the answer key on {len(pages)} replay article pages (8 portals, 7 platforms)")
    results = {}
    t0 = time.perf_counter()
    ours = [parse_article(html, url).body_text for html, url in pages]
    results["parse_article"] = score("parse_article", ours, key, time.perf_counter() - t0)
    t0 = time.perf_counter()
    theirs = [trafilatura.extract(html, url=url, include_tables=False, include_comments=False,
                                  favor_precision=False) or "" for html, url in pages]
    results["trafilatura"] = score("trafilatura", theirs, key, time.perf_counter() - t0)
    by_portal: dict[str, list[float]] = {}
    for o, t, e in zip(ours, theirs, key, strict=True):
        by_portal.setdefault(e["portal"], [0, 0, 0])
        by_portal[e["portal"]][0] += char_f1(o, e["body_text"])
        by_portal[e["portal"]][1] += char_f1(t, e["body_text"])
        by_portal[e["portal"]][2] += 1
    print("  char-F1 per portal (parse_article / trafilatura):")
    for portal, (a, b, n) in sorted(by_portal.items()):
        print(f"    {portal:15} {a / n:.3f} / {b / n:.3f}  ({n} pages)")
    results["per_portal"] = {p: {"parse_article": round(a / n, 4), "trafilatura": round(b / n, 4), "pages": n}
                             for p, (a, b, n) in by_portal.items()}
    write_results("parser", results)


if __name__ == "__main__":
    main()
