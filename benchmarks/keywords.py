"""Item keywords against users' own tags (ml-latest-small tags.csv): language model vs TF-IDF.

Protocol (fuserec.semantic.keywords.evaluate_tag_keywords): item text is title + genres only, so
a tag can only be found by meaning, never copied; the tag vocabulary and its counts come from 60%
of the tagged items, each method's popularity-prior weight is chosen on 20%, and precision@5 is
measured once on the last 20%.

    python benchmarks/keywords.py [--json PATH]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
from common import data_dir, row, write_json  # noqa: E402

from fuserec.data import load_dataset  # noqa: E402
from fuserec.semantic import CachedEncoder, EmbeddingCache, get_encoder  # noqa: E402
from fuserec.semantic.keywords import evaluate_tag_keywords  # noqa: E402

DATASET = "ml-latest-small"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json")
    args = parser.parse_args()
    ds = load_dataset(DATASET, data_dir(), download=False)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cache = EmbeddingCache(Path(tmp) / "c.sqlite")
        for name in ("minilm", "e5"):
            r = evaluate_tag_keywords(ds, CachedEncoder(get_encoder(name), cache))
            if not rows:
                rows.append(row("fuserec", "TF-IDF keywords (baseline)", DATASET, "tagged items 60/20/20",
                                {"precision@5": r["tfidf_precision@5"]}, prior_weight=r["tfidf_prior_weight"]))
            rows.append(row("fuserec", f"LM keywords ({name})", DATASET, "tagged items 60/20/20",
                            {"precision@5": r["lm_precision@5"]}, prior_weight=r["lm_prior_weight"]))
    t = Table(title=f"keywords vs users' own tags, {DATASET} ({r['test_items']} test items, "
                    f"{r['vocabulary']} candidate tags)")
    t.add_column("method")
    t.add_column("precision@5", justify="right")
    t.add_column("prior weight (chosen on validation)", justify="right")
    for x in rows:
        t.add_row(x["model"], f"{x['metrics']['precision@5']:.4f}", f"{x['prior_weight']}")
    Console().print(t)
    write_json(rows, args.json)


if __name__ == "__main__":
    main()
