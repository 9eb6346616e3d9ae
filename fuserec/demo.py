"""``make demo``: the whole loop on real data, offline, in a minute or two.

Loads the embedded MovieTweetings snapshot (or any known dataset), splits it in time (the
future is the test), fits every available model, prints the comparison tables, shows one
user's recent history and their top-K from the best model refitted on all data, and places a
movie that has no ratings yet by its text alone (language model → collaborative space).
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


def demo_models(temporal: bool = True) -> dict[str, Recommender]:
    """The ranking models the demo compares: floors, classic CF, and one fused with the language model
    (a LambdaRank re-ranker over CF, popularity and MiniLM semantic retrievers, with text features)."""
    from fuserec.fusion import LearnedReranker
    from fuserec.models.content import SemanticProfile

    fused = LearnedReranker({"itemknn": ItemKNN(similarity="bm25"), "popularity": Popularity(),
                             "semantic": SemanticProfile("minilm")}, pool=50, n_folds=1, temporal=temporal)
    return {
        "popularity": Popularity(),
        "random": Random(random_state=0),
        "itemknn-bm25": ItemKNN(similarity="bm25"),
        "als": ALS(),
        "mf-bpr": BiasedMF(loss="bpr", factors=64, epochs=30, lr=0.05, reg=0.01, init_std=0.01, verbose=False),
        "ease": EASE(),
        "fused: re-ranker + MiniLM": fused,
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
    results = Experiment(splits, demo_models(method == "temporal"), task="ranking", ks=[k], console=console).run()
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
        model = demo_models(method == "temporal")[name].fit(ds)
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
    new_movie = _new_movie(ds, splits[0], console, k)
    return {"results": results, "user": user_id, "recommendations": recommendations, "new_movie": new_movie}


def _new_movie(ds, split, console: Console, k: int) -> dict:
    """A movie with no ratings in train: factors from its text alone, then who it would reach."""
    from fuserec.fusion import TextMappedFactors
    from fuserec.semantic.text import item_texts

    train_counts = split.train.item_counts()
    test_counts = split.test.item_counts()
    new = np.flatnonzero((train_counts == 0) & (test_counts > 0))
    if len(new) == 0:
        return {}
    item = int(new[np.argmax(test_counts[new])])  # the new movie most rated later
    model = TextMappedFactors(ALS(), encoder="minilm").fit(split.train)
    q = model.item_factors_
    warm = np.flatnonzero(train_counts > 0)
    cos = (q[warm] @ q[item]) / (np.linalg.norm(q[warm], axis=1) * np.linalg.norm(q[item]) + 1e-12)
    near = warm[np.argsort(-cos)[:5]]
    raters = set(split.test.interactions.loc[split.test.interactions["item"] == item, "user"])
    known = np.flatnonzero(split.train.user_counts() > 0)
    scores = model._score_users(known)[:, item]
    reached = known[np.argsort(-scores)[:100]]
    hits = len(raters & set(reached.tolist()))
    base_rate = len(raters & set(known.tolist())) / max(len(known), 1) * 100
    title = ds.item_titles([item])[0]
    t = Table(title=f"a new movie, no ratings in train: {title}", show_header=False)
    t.add_column("what")
    t.add_column("value")
    t.add_row("its text", item_texts(ds)[item][:120])
    t.add_row("nearest known movies in the collaborative space (from its text alone)",
              "; ".join(ds.item_titles(near)))
    t.add_row("of the 100 known users it scores highest for, how many rated it later",
              f"{hits} (a random 100 would give {base_rate:.1f})")
    console.print(t)
    return {"item": ds.items.ids[item], "title": title, "neighbours": ds.item_titles(near), "hits_in_100": hits}



def _metric(results, model: str, key: str) -> float:
    return next(r["metrics"][key] for r in results.rows if r["model"] == model)
