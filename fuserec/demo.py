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
from fuserec.models import Popularity, Random, Recommender


def demo_models() -> dict[str, Recommender]:
    """The models the demo compares (later stages add theirs here)."""
    return {"popularity": Popularity(), "random": Random(random_state=0)}


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

    key = f"ndcg@{k}"
    best = max(results.rows, key=lambda r: r["metrics"][key])["model"]
    model = demo_models()[best].fit(ds)
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
    ids, scores = model.recommend(user_id, k=k)
    rec = Table(title=f"top-{k} for user {user_id} from {best} (best {key}), fitted on all data")
    rec.add_column("#", justify="right")
    rec.add_column("title")
    rec.add_column("score", justify="right")
    titles = ds.item_titles(ds.items.to_index(ids))
    for rank, (title, score) in enumerate(zip(titles, scores, strict=False), start=1):
        rec.add_row(str(rank), title, f"{score:.3g}")
    console.print(rec)
    return {"results": results, "user": user_id, "recommendations": list(ids)}
