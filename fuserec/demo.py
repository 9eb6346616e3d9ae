"""``make demo``: the loop a user follows, on real data, offline, in under two minutes.

Trains the fused model from a run configuration (``fuserec/demo.toml``, the same file as
``examples/movies-sample.toml``) on the embedded MovieTweetings snapshot split in time (the
future is the test), evaluates it beside the classic models on the same split, writes the
artifact, loads it back as another process would, recommends for one user from it, and places a
movie that has no ratings yet by its text alone (language model → collaborative space). It says
how long each step took.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from fuserec.evaluation import Experiment
from fuserec.models import ALS, ItemKNN, Popularity, Random, Recommender

CONFIG = Path(__file__).with_name("demo.toml")


def demo_models() -> dict[str, Recommender]:
    """The classic models the fused one is compared with: floors and collaborative filtering."""
    return {
        "popularity": Popularity(),
        "random": Random(random_state=0),
        "itemknn-bm25": ItemKNN(similarity="bm25"),
        "als": ALS(),
    }


def run_demo(dataset: str = "movietweetings-100k", data_dir: str | Path | None = None, k: int = 10,
             console: Console | None = None, out: str | Path | None = None) -> dict:
    """Train → evaluate → artifact → recommend, printing each step and its seconds."""
    import fuserec
    from fuserec.config import load_config, load_data
    from fuserec.train import train

    console, clock, config = console or Console(), time.perf_counter(), load_config(CONFIG)
    config.data.dataset, config.k = dataset, [k]
    if data_dir is not None:
        config.data.data_dir = str(data_dir)
    ds = load_data(config)
    config = config.for_data(ds.n_items)  # the encoder "auto" means for this catalogue
    console.rule(f"[bold]fuserec demo · {ds.name}")
    console.print(f"{ds}\nconfiguration: {CONFIG.name} (model {config.model_spec()['name']}, split "
                  f"{config.split.method}, encoder {config.encoder.name})")
    seconds: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="fuserec-demo-") as tmp:
        target = Path(out) if out is not None else Path(tmp) / "artifact"
        start = time.perf_counter()
        result = train(config, target, refit=False, console=console)
        seconds["train the fused model (evaluate, write the artifact)"] = time.perf_counter() - start

        start = time.perf_counter()
        splits = result.splits  # the split the fused model was evaluated on
        classic = Experiment(splits, demo_models(), task="ranking", ks=[k], console=console).run()
        seconds["the classic models on the same split"] = time.perf_counter() - start
        rows = [{**r, "model": f"fused: {r['model']} + {config.encoder.name}"} for r in result.results.rows]
        classic.rows = rows + classic.rows
        shown = [f"{m}@{k}" for m in ("precision", "recall", "ndcg", "hitrate", "coverage")]
        console.print(classic.table(title=f"{ds.name} · {config.split.method} split · full ranking, train items "
                                          "excluded", metrics=shown))

        start = time.perf_counter()
        trained = fuserec.load(target)
        user_id = _active_user(trained)
        payload = trained.recommend(user_id, k)
        seconds["load the artifact and recommend"] = time.perf_counter() - start
        _show_history(ds, user_id, console)
        rec = Table(title=f"top-{k} for user {user_id} from the artifact {trained.version} "
                          f"({trained.name}, ndcg@{k} {rows[0]['metrics'][f'ndcg@{k}']:.4f})")
        rec.add_column("#", justify="right")
        rec.add_column("title")
        rec.add_column("score", justify="right")
        for e in payload["items"]:
            rec.add_row(str(e["rank"]), e["title"], f"{e['score']:.3g}")
        console.print(rec)
        console.print(f"artifact: {target} ({len(trained.manifest['files'])} files, sha256-checked on load"
                      f"{'' if out is not None else '; a temporary folder, give --out to keep it'})")
    start = time.perf_counter()
    new_movie = _new_movie(ds, splits[0], console, k)
    seconds["a new movie placed by its text"] = time.perf_counter() - start
    t = Table("step", "seconds", title="how long it took")
    for step, s in seconds.items():
        t.add_row(step, f"{s:.1f}")
    t.add_row("[bold]total (with loading the data)", f"[bold]{time.perf_counter() - clock:.1f}")
    console.print(t)
    return {"results": classic, "user": user_id, "recommendation": payload, "new_movie": new_movie,
            "seconds": seconds}


def _active_user(trained) -> object:
    """An active, not extreme, user: the 11th most active in training."""
    counts = np.diff(trained.model.seen_.indptr)
    index = int(np.argsort(-counts, kind="stable")[min(10, len(counts) - 1)])
    return trained.model.users_.to_external([index])[0]


def _show_history(ds, user_id, console: Console) -> None:
    user_idx = int(ds.users.to_index(user_id))
    hist = ds.interactions[ds.interactions["user"] == user_idx]
    if ds.has_timestamps:
        hist = hist.sort_values("timestamp")
    t = Table(title=f"user {user_id}: {len(hist)} ratings, the latest 5")
    t.add_column("title")
    if ds.has_ratings:
        t.add_column("rating", justify="right")
    for _, row in hist.tail(5).iterrows():
        cells = [ds.item_titles([int(row["item"])])[0]]
        if ds.has_ratings:
            cells.append(f"{row['rating']:g}")
        t.add_row(*cells)
    console.print(t)


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
    similarity, _ = model.similar_items(item)  # its factors, mapped from its text alone
    warm = np.flatnonzero(train_counts > 0)
    near = warm[np.argsort(-similarity[warm])[:5]]
    raters = set(split.test.interactions.loc[split.test.interactions["item"] == item, "user"])
    known = np.flatnonzero(split.train.user_counts() > 0)
    scores = model.predict_indices(known, np.full(len(known), item))
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

