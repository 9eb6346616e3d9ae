"""What the re-ranker with its default retrievers costs, and what it scores, on the embedded sample.

The embedded MovieTweetings snapshot (10.5k items) split in time: the latest 20% of
interactions are the test. ``LearnedReranker(temporal=True)`` (the library's default retrievers,
validation windows going back in time, as for any test that is the future) is fit on the rest,
and this prints its fit seconds, the process's peak resident memory and NDCG@10 on the test,
beside EASE fit on the same split (the best classic model's cost, for scale).

    python benchmarks/reranker_cost.py [--json PATH] [--no-peer]
"""

from __future__ import annotations

import argparse
import resource
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import row, write_json  # noqa: E402

from fuserec.data import load_dataset  # noqa: E402
from fuserec.data.split import split  # noqa: E402
from fuserec.evaluation import Experiment  # noqa: E402
from fuserec.registry import build_model  # noqa: E402

warnings.filterwarnings("ignore", module="implicit")
warnings.filterwarnings("ignore", module="lightgbm")


def peak_gb() -> float:
    """Peak resident memory of this process so far, GB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9


def measure(label: str, spec: str | dict, sp) -> dict:
    res = Experiment([sp], {label: build_model(spec)}, ks=[10], dataset="movietweetings-100k",
                     split_name="temporal 80/20").run()
    r, m = res.rows[0], res.measurements[0]
    out = row("fuserec", label, "movietweetings-100k", "temporal 80/20", m.metrics, r["fit_seconds"],
              r["predict_seconds"], peak_gb=peak_gb())
    print(f"{label}: fit {r['fit_seconds']:.1f} s, peak {out['peak_gb']:.2f} GB, NDCG@10 {m.metrics['ndcg@10']:.4f}",
          flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--no-peer", action="store_true", help="Skip the EASE row.")
    parser.add_argument("--rows", nargs="+", default=["default"], choices=["default", "whole-catalogue-search"],
                        help="default: the library's defaults; whole-catalogue-search: the defaults as they were "
                             "before they were made cheaper (TextEASE searching the whole catalogue, both EASE models "
                             "in double precision, pool 100, five rankers; the same arithmetic up to rounding).")
    args = parser.parse_args()
    ds = load_dataset("movietweetings-100k")
    sp = split(ds, "temporal", test_size=0.2)[0]
    print(f"{ds.name}: {len(sp.train):,} train interactions, {ds.n_items:,} items", flush=True)
    rows = []
    if "whole-catalogue-search" in args.rows:
        retrievers = {"ease": {"name": "ease", "reg": 300.0}, "rp3beta": "rp3beta", "popularity": "popularity",
                      "user-time-popularity": "user-time-popularity", "semantic": "semantic-profile:encoder=minilm",
                      "text-als": {"name": "text-mapped-factors", "base": {"name": "als", "factors": 64},
                                   "encoder": "minilm"},
                      "text-ease": {"name": "text-ease", "encoder": "minilm", "temporal": True,
                                    "search_items": ds.n_items}}
        rows.append(measure("re-ranker, default retrievers, TextEASE searching the whole catalogue (temporal)",
                            {"name": "reranker", "retrievers": retrievers, "temporal": True, "pool": 100,
                             "n_rankers": 5}, sp))
    if "default" in args.rows:
        rows.append(measure("re-ranker, default retrievers (temporal)", "reranker:temporal=True", sp))
    if not args.no_peer:
        rows.append(measure("EASE (reg 300)", "ease:reg=300.0", sp))
    write_json(rows, args.json)


if __name__ == "__main__":
    main()
