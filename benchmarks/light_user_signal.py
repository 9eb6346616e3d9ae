"""How much the item text says about light users' next items, beside popularity and time.

The light-user slice of `fusion.py` (20% of the users keep their first 1-5 interactions, seed 0;
the test is the rest of theirs). For each test user, every unseen item is scored by:

- Popularity (all-time count) and popularity on the user's clock (`UserTimePopularity`);
- text: the item's highest MiniLM cosine to the user's 1-5 items;
- the two popularity scores plus β × text, for a few β (on the test itself: an upper bound on
  what a fixed linear mix of these signals can do, not a model to report).

Then, within each decile of item popularity, the AUC of the text similarity for telling a test
item from an unseen non-test item (0.5 = no signal beyond popularity).

With `--rerankers`, the bound is taken against the best non-LM model itself: the benchmark's two
routed re-rankers (CF features only, and CF + LM; rankers trained on users cut back to 1-5) are
fit as `fusion.py` fits them (about 20 minutes here on ml-latest-small), and the CF-only one's
scores are mixed with each text signal (the highest cosine above, and each language-model
retriever of the LM re-ranker), β picked on the test, again an upper bound. Last, a per-user
oracle router: each user gets whichever of the two re-rankers scores better for them on the test.

Items are shuffled as `fusion.py` shuffles them, so the split is the benchmark's.

    python benchmarks/light_user_signal.py [--dataset ml-latest-small] [--rerankers]
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
from fusion import DATASETS, shuffle_items  # noqa: E402
from fusion import rows as contenders  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from scipy import stats  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from fuserec._core.ranking import ndcg_of_scores  # noqa: E402
from fuserec._core.scores import zscore_rows as zscore  # noqa: E402
from fuserec.data import load_dataset  # noqa: E402
from fuserec.data.split import light_users_split  # noqa: E402
from fuserec.models import UserTimePopularity  # noqa: E402
from fuserec.semantic.search import item_text_vectors  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", default="ml-latest-small", choices=sorted(DATASETS))
    parser.add_argument("--rerankers", action="store_true",
                        help="also bound what the text adds to the routed CF-only re-ranker (about 20 minutes)")
    args = parser.parse_args()
    ds = shuffle_items(load_dataset(args.dataset, data_dir(), download=False))
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
    if args.rerankers:
        bound_rerankers(console, split, DATASETS[args.dataset][0] == "temporal", users, ndcg, text)


def bound_rerankers(console: Console, split, temporal: bool, users: np.ndarray, ndcg, text: np.ndarray) -> None:
    """The routed CF-only re-ranker + β × each text signal, β picked on the test; and a per-user
    oracle router between the two re-rankers. ``temporal``: the benchmark's validation for the dataset."""
    routed = {c.uses_lm: c for c in contenders(split.train, temporal) if "light-user training" in c.label}
    scores, models = {}, {}
    for uses_lm, c in routed.items():
        models[uses_lm] = c.build().fit(split.train)
        scores[uses_lm] = models[uses_lm]._score_users(users)
    cf, lm = ndcg(scores[False]), ndcg(scores[True])
    pool = scores[False] > -5e3  # the CF-only re-ranker's candidates (the rest sit 1e4 below)

    def z_in_pool(s: np.ndarray) -> np.ndarray:
        return zscore(np.where(pool, s, -np.inf))  # outside the pool: -inf, never ranked

    signals = {"highest MiniLM cosine to the user's items": text}
    signals |= {f"LM retriever: {name}": np.asarray(models[True].fitted_[name]._score_users(users))
                for name in ("hybrid", "semantic", "text-als", "text-ease") if name in models[True].fitted_}
    table = Table(title=f"light users ({len(users)}): the routed CF-only re-ranker (NDCG@10 {cf.mean():.4f}) "
                        "+ β × a text signal, z-scores within its candidates, β picked on the test")
    for col in ("text signal", "alone (in the pool)", "best β", "NDCG@10", "vs CF-only (p)"):
        table.add_column(col, justify="left" if col == "text signal" else "right")
    base = z_in_pool(scores[False])
    for name, s in signals.items():
        zs = z_in_pool(s)
        mixes = {b: ndcg(base + b * zs) for b in (0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0)}
        beta = max(mixes, key=lambda b: mixes[b].mean())
        best = mixes[beta]
        table.add_row(name, f"{ndcg(zs).mean():.4f}", str(beta), f"{best.mean():.4f}",
                      f"{best.mean() / cf.mean():.3f} ({stats.ttest_rel(best, cf).pvalue:.2g})")
    oracle = np.maximum(cf, lm)
    table.add_row("the routed CF + LM re-ranker instead", "", "", f"{lm.mean():.4f}",
                  f"{lm.mean() / cf.mean():.3f} ({stats.ttest_rel(lm, cf).pvalue:.2g})")
    table.add_row("per-user oracle: the better re-ranker for each user", "", "", f"{oracle.mean():.4f}",
                  f"{oracle.mean() / cf.mean():.3f}")
    console.print(table)


if __name__ == "__main__":
    main()
