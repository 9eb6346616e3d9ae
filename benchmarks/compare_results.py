"""Compare the accuracy figures of two benchmark JSON files (timings excluded).

Rows are matched on (system, model, dataset, split, fold); every metric whose name does not
mention seconds must agree to ``--places`` decimals. Exits 1 listing the differences.
``--systems fuserec`` compares only fuserec's rows: peers trained by multi-threaded SGD (LightFM's
WARP, implicit's BPR) give different figures from one run to the next on the same code.

    python benchmarks/compare_results.py BEFORE.json AFTER.json [--places 4] [--systems fuserec]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def accuracy(path: Path, systems: set[str] | None = None) -> dict[tuple, dict[str, float]]:
    """(row key) -> {metric: value} for the accuracy metrics of every row (of ``systems``, if given)."""
    rows = [r for r in json.loads(path.read_text())["rows"] if systems is None or r.get("system") in systems]
    out: dict[tuple, dict[str, float]] = {}
    for r in rows:
        key = (r.get("system"), r.get("model"), r.get("dataset"), r.get("split"), r.get("fold"))
        out[key] = {m: v for m, v in r.get("metrics", {}).items()
                    if "seconds" not in m and isinstance(v, (int, float))}
    return out


def differences(before: Path, after: Path, places: int = 4, systems: set[str] | None = None) -> list[str]:
    """Lines naming each row or metric that is missing or differs after rounding."""
    a, b = accuracy(before, systems), accuracy(after, systems)
    out = [f"row {k} only in {before.name}" for k in a if k not in b]
    out += [f"row {k} only in {after.name}" for k in b if k not in a]
    for key in a.keys() & b.keys():
        for metric in a[key].keys() | b[key].keys():
            x, y = a[key].get(metric), b[key].get(metric)
            if x is None or y is None or round(x, places) != round(y, places):
                out.append(f"{key} {metric}: {x} -> {y}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--places", type=int, default=4)
    parser.add_argument("--systems", nargs="*", help="only these systems' rows (default: all)")
    args = parser.parse_args()
    systems = set(args.systems) if args.systems else None
    diffs = differences(args.before, args.after, args.places, systems)
    n = sum(len(m) for m in accuracy(args.before, systems).values())
    print(f"{n} accuracy figures in {args.before.name}; {len(diffs)} differ at {args.places} decimals")
    for line in diffs:
        print("  " + line)
    sys.exit(1 if diffs else 0)


if __name__ == "__main__":
    main()
