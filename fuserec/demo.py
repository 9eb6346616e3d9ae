"""``make demo``: the whole loop on real data, offline, in well under a minute.

Loads the embedded MovieTweetings snapshot (or any known dataset), splits it in time (the
future is the test), fits every available model, prints the comparison table, then shows one
user's recent history and their top-K from the best model refitted on all data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from fuserec.data import load_dataset
from fuserec.data.split import split
from fuserec.evaluation import Experiment
from fuserec.models import ALS, EASE, BaselineOnly, BiasedMF, ItemKNN, Popularity, Random, Recommender, SVDpp


def demo_models() -> dict[str, Recommender]:
    """The ranking models the demo compares (later stages add theirs here)."""
    return {
        "popularity": Popularity(),
        "random": Random(random_state=0),
        "itemknn-bm25": ItemKNN(similarity="bm25"),
        "als": ALS(),
        "mf-bpr": BiasedMF(loss="bpr", factors=64, epochs=30, lr=0.05, reg=0.01, init_std=0.01, verbose=False),
        "ease": EASE(),
    }


def demo_rating_models() -> dict[str, Recommender]:
    """The rating models the demo compares."""
    return {"baseline": BaselineOnly(), "mf": BiasedMF(verbose=False), "svd++": SVDpp(verbose=False)}


def run_demo(dataset: str = "movietweetings-100k", data_dir: str | Path | None = None, k: int = 10,
             console: Console | None = None) -> dict:
    console = console or Console()
    ds = load_dataset(dataset, data_dir)
    console.rule(f"[bold]fuserec demo · {ds.name}")
    console.print(f"{ds}\n")
    method = "temporal" if ds.has_timestamps else "random"
    splits = split(ds, method, test_size=0.2, seed=0)
    console.print(f"split: {splits[0]} ({'latest 20% of interactions are the test' if method == 'temporal' else ''})")
    results = Experiment(splits, demo_models(), task="ranking", ks=[k], console=console).run()
    shown = [f"{m}@{k}" for m in ("precision", "recall", "ndcg", "hitrate", "coverage")]
    console.print(results.table(title=f"{ds.name} · {method} split · full ranking, train items excluded",
                                metrics=shown))
    if ds.has_ratings and ds.rating_scale is not None:
        rating = Experiment(splits, demo_rating_models(), task="rating", console=console).run()
        console.print(rating.table(title=f"{ds.name} · {method} split · rating prediction"))

    key = f"ndcg@{k}"
    ranked = sorted(results.rows, key=lambda r: -r["metrics"][key])
    best = ranked[0]["model"]
    # the best model may be a non-personal floor (popularity wins on a future full of new users);
    # show the best personalised one beside it
    personal = next(r["model"] for r in ranked if r["model"] not in ("popularity", "random"))
    shown_models = [best] if best == personal else [best, personal]
    counts = ds.user_counts()
    user_idx = int(np.argsort(-counts, kind="stable")[min(10, ds.n_users - 1)])  # an active, not extreme, user
    user_id = ds.users.to_external([user_idx])[0]
    hist = ds.interactions[ds.interactions["user"] == user_idx]
    if ds.has_timestamps:
        hist = hist.sort_values("timestamp")
    recent = hist.tail(5)
    t = Table(title=f"user {user_id}: {len(hist)} ratings, the latest 5")
    t.add_column("title")
    if ds.has_ratings:
        t.add_column("rating", justify="right")
    for _, row in recent.iterrows():
        cells = [ds.item_titles([int(row["item"])])[0]]
        if ds.has_ratings:
            cells.append(f"{row['rating']:g}")
        t.add_row(*cells)
    console.print(t)
    recommendations = {}
    for name in shown_models:
        model = demo_models()[name].fit(ds)
        ids, scores = model.recommend(user_id, k=k)
        recommendations[name] = list(ids)
        rec = Table(title=f"top-{k} for user {user_id} from {name} ({key} {_metric(results, name, key):.4f}), "
                          "fitted on all data")
        rec.add_column("#", justify="right")
        rec.add_column("title")
        rec.add_column("score", justify="right")
        titles = ds.item_titles(ds.items.to_index(ids))
        for rank, (title, score) in enumerate(zip(titles, scores, strict=True), start=1):
            rec.add_row(str(rank), title, f"{score:.3g}")
        console.print(rec)
    return {"results": results, "user": user_id, "recommendations": recommendations}


def _metric(results, model: str, key: str) -> float:
    return next(r["metrics"][key] for r in results.rows if r["model"] == model)
