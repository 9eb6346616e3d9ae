"""How much the item text says about light users' next items, beside popularity and time.

The light-user slice of `fusion.py` (20% of the users keep their first 1-5 interactions, seed 0;
the test is the rest of theirs). For each test user, every unseen item is scored by:

- Popularity (all-time count) and popularity on the user's clock (`UserTimePopularity`);
- text: the item's highest MiniLM cosine to the user's 1-5 items;
- the two popularity scores plus β × text, for a few β (on the test itself: an upper bound on
  what a fixed linear mix of these signals can do, not a model to report).

Then, within each decile of item popularity, the AUC of the text similarity for telling a test
item from an unseen non-test item (0.5 = no signal beyond popularity).

    python benchmarks/light_user_signal.py [--dataset ml-latest-small]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")
sys.path.insert(0, str(Path(__file__).parent))
import numpy as np  # noqa: E402
from common import data_dir  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from scipy import stats  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from fuserec.data import load_dataset  # noqa: E402
from fuserec.data.split import light_users_split  # noqa: E402
from fuserec.evaluation.metrics import ndcg_of_scores  # noqa: E402
from fuserec.models import UserTimePopularity  # noqa: E402
from fuserec.models.blend import zscore_rows as zscore  # noqa: E402
from fuserec.models.content import item_text_vectors  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", default="ml-latest-small")
    args = parser.parse_args()
    ds = load_dataset(args.dataset, data_dir(), download=False)
    split = light_users_split(ds, 0.2, 5, seed=0)
    seen, truth = split.train.matrix("binary"), split.test.matrix("binary")
    users = np.flatnonzero(np.diff(truth.indptr) > 0)
    history, relevant = seen[users], truth[users]

    pop = np.log1p(split.train.item_counts().astype(np.float64))
    pop = np.broadcast_to(pop, (len(users), len(pop)))
    clock = np.log1p(np.asarray(UserTimePopularity().fit(split.train)._score_users(users)))
    vectors = item_text_vectors(split.train, "minilm")
    text = np.stack([(vectors @ vectors[history[r].indices].T).max(axis=1) for r in range(len(users))])

    def ndcg(scores: np.ndarray) -> np.ndarray:
        return ndcg_of_scores(np.array(scores, dtype=np.float32), history, relevant)

    rows = {"Popularity": ndcg(pop), "popularity on the user's clock": ndcg(clock), "text alone": ndcg(text)}
    for base_name, base in (("Popularity", pop), ("user's clock", clock)):
        for beta in (0.1, 0.25, 0.5):
            rows[f"{base_name} + {beta} × text (z-scores)"] = ndcg(zscore(base) + beta * zscore(text))
    console = Console(width=140)
    table = Table(title=f"{ds.name} · light users ({len(users)} users): NDCG@10 of each signal")
    for col in ("scores", "NDCG@10", "vs the user's clock (p)"):
        table.add_column(col, justify="left" if col == "scores" else "right")
    ref = rows["popularity on the user's clock"]
    for name, v in rows.items():
        table.add_row(name, f"{v.mean():.4f}", f"{v.mean() / ref.mean():.3f} ({stats.ttest_rel(v, ref).pvalue:.2g})")
    console.print(table)

    edges = np.quantile(pop[0], np.linspace(0, 1, 11)[1:-1])
    decile = np.digitize(pop[0], edges)
    table = Table(title="text similarity within popularity deciles (tied counts merge deciles): "
                        "AUC for a test item vs an unseen non-test item")
    for col in ("decile", "train count", "items", "positive share", "AUC"):
        table.add_column(col, justify="right")
    for d in np.unique(decile):
        labels, scores = [], []
        for r in range(len(users)):
            keep = decile == d
            keep[history[r].indices] = False
            labels.append(np.isin(np.flatnonzero(keep), relevant[r].indices))
            scores.append(text[r, keep])
        y, s = np.concatenate(labels), np.concatenate(scores)
        auc = f"{roc_auc_score(y, s):.3f}" if 0 < y.sum() < len(y) else "-"
        counts = np.expm1(pop[0][decile == d]).round().astype(int)
        table.add_row(str(d), f"{counts.min()}-{counts.max()}", str(int((decile == d).sum())), f"{y.mean():.4f}", auc)
    console.print(table)


if __name__ == "__main__":
    main()
