"""Cold items (ml-latest-small): text mapped into the CF space vs content-only vs LightFM hybrid.

Protocol: 20% of the rated items are held out as cold (seed 0); test = their ratings ≥ 4, ranked
among the cold items only; Recall@20 and NDCG@10 over users, same code for every row. Item text:
title + genres + tags (the same text for every system; LightFM gets it as identity + binary
bag-of-words features, as in its paper's hybrid setting).

    python benchmarks/cold_items.py [--json PATH]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
from common import data_dir, row, write_json  # noqa: E402
from peers import LightFMHybrid  # noqa: E402

from fuserec.data import load_dataset  # noqa: E402
from fuserec.data.split import cold_items_split  # noqa: E402
from fuserec.evaluation import Experiment  # noqa: E402
from fuserec.registry import build_model  # noqa: E402

DATASET = "ml-latest-small"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json")
    args = parser.parse_args()
    ds = load_dataset(DATASET, data_dir(), download=False)
    split = cold_items_split(ds, 0.2, seed=0)
    cold = split.cold_items()
    bpr_mf = {"name": "mf", "loss": "bpr", "factors": 64, "epochs": 30, "lr": 0.05, "reg": 0.01, "init_std": 0.01,
              "verbose": False}
    systems = [  # (system, label, kind, uses_lm, model: a registry spec, or a peer's adapter)
        ("fuserec", "Random", "popularity", False, "random"),
        ("fuserec", "content profile, TF-IDF", "content", False, "semantic-profile:encoder=tfidf"),
        ("fuserec", "content profile, MiniLM", "content", True, "semantic-profile:encoder=minilm"),
        ("fuserec", "TextMappedFactors: MiniLM -> ALS", "fused", True,
         {"name": "text-mapped-factors", "base": {"name": "als", "factors": 64}, "encoder": "minilm"}),
        ("fuserec", "TextMappedFactors: static MiniLM -> ALS", "fused", True,
         {"name": "text-mapped-factors", "base": {"name": "als", "factors": 64}, "encoder": "static"}),
        ("fuserec", "TextMappedFactors: TF-IDF -> ALS", "fused", False,
         {"name": "text-mapped-factors", "base": {"name": "als", "factors": 64}, "encoder": "tfidf"}),
        ("fuserec", "TextMappedFactors: MiniLM -> BPR-MF", "fused", True,
         {"name": "text-mapped-factors", "base": bpr_mf, "encoder": "minilm"}),
    ]
    try:
        import lightfm  # noqa: F401

        systems.append(("lightfm", "hybrid WARP (identity + bag of words)", "fused", False, LightFMHybrid()))
    except ImportError:
        print("lightfm not installed: its row is skipped (make bench installs it)")
    rows = []
    for system, label, kind, uses_lm, spec in systems:
        res = Experiment([split], {label: build_model(spec)}, ks=[10, 20], min_rating=4.0, candidates=cold,
                         dataset=DATASET, split_name="cold-items 20% seed 0", system=system).run()
        r, m = res.rows[0], res.measurements[0]
        rows.append(row(system, label, DATASET, "cold-items 20% seed 0", {"recall@20": m.metrics["recall@20"],
                        "ndcg@10": m.metrics["ndcg@10"]}, r["fit_seconds"], r["predict_seconds"], slice="cold-items",
                        kind=kind, uses_lm=uses_lm, ci95={"recall@20": list(m.ci95["recall@20"])},
                        users=len(m.users)))
    t = Table(title=f"{DATASET}: cold items ({cold.sum():,} held out), ratings ≥ 4 ranked among cold items "
                    f"({rows[0]['users']} users; this machine)")
    for col in ("system", "model", "Recall@20 (95% CI)", "NDCG@10", "fit s"):
        t.add_column(col, justify="left" if col in ("system", "model") else "right")
    for r in sorted(rows, key=lambda r: -r["metrics"]["recall@20"]):
        lo, hi = r["ci95"]["recall@20"]
        t.add_row(r["system"], r["model"], f"{r['metrics']['recall@20']:.4f} ±{(hi - lo) / 2:.4f}",
                  f"{r['metrics']['ndcg@10']:.4f}", f"{r['fit_seconds']:.2f}")
    Console().print(t)
    write_json(rows, args.json)


if __name__ == "__main__":
    main()
