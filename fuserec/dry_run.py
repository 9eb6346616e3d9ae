"""What ``fuserec train`` would cost, before it runs: ``fuserec train --dry-run``.

The data is read and split for real (that is the first stage, and it gives the shapes); nothing is
fitted. Each model states its work and memory for those shapes (``Recommender.cost``), and this
machine's speed at each kind of work is measured here in a few seconds (``measure_rates``), so an
estimate is the model's own arithmetic over a measured speed. The estimates are orders of
magnitude, meant to tell a minute from an hour and a fit that fits memory from one that does not;
``benchmarks/scale.py`` records them beside measured runs.
"""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from fuserec._core.cost import SCORE_OPS, Cost, DataShape, Rates
from fuserec.config import RunConfig, load_data, split_data
from fuserec.errors import MemoryBudgetError
from fuserec.train import threads

DENSE_PROBE = (16_384, 64)
"""The dense speed is measured on products of this many rows of this many factors: the size of
work factor models do, rather than one large product that runs at the processor's peak."""
SPARSE_PROBE_USERS = 20_000
BOOST_PROBE = (50_000, 20, 50)
"""Rows, features and trees of the boosting probe."""
TEXT_PROBE = 256


@dataclass
class Stage:
    """One line of the dry run: what runs, its estimated (or, for reading the data, measured)
    seconds and peak bytes, and what the estimate says about the path taken."""

    stage: str
    seconds: float
    peak_bytes: int
    how: str = "estimated"
    note: str = ""

    def row(self) -> dict[str, Any]:
        return {"stage": self.stage, "seconds": self.seconds, "peak_gb": self.peak_bytes / 1e9, "how": self.how,
                "note": self.note}


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def measure_rates(dataset: Any, encoders: list[str]) -> Rates:
    """This machine's speed: dense operations per second on factor-sized products, sparse
    operations per second on XᵀX of a sample of ``dataset``'s users, and texts per second of
    each encoder on a sample of its item texts (after one warm-up call, so loading is not
    counted)."""
    rng = np.random.default_rng(0)
    rows, k = DENSE_PROBE
    a = rng.standard_normal((rows, k), dtype=np.float32)
    b = rng.standard_normal((k, k), dtype=np.float32)
    dense = 2.0 * rows * k * k / _best_seconds(lambda: a @ b)
    x = dataset.matrix("binary")
    users = np.sort(rng.choice(x.shape[0], size=min(x.shape[0], SPARSE_PROBE_USERS), replace=False))
    xs = x[users].astype(np.float32)
    degrees = np.diff(xs.indptr).astype(np.int64)
    sparse = max(int(degrees @ degrees), 1) / _best_seconds(lambda: xs.T @ xs)
    texts: dict[str, float] = {}
    uncached: dict[str, float] = {}
    if encoders:
        from fuserec.semantic import get_encoder
        from fuserec.semantic.cache import EmbeddingCache, text_key
        from fuserec.semantic.text import item_texts

        catalogue = item_texts(dataset)
        sample = catalogue[:TEXT_PROBE] or ["an item"] * 8
        cache = EmbeddingCache()
        for name in encoders:
            encoder = get_encoder(name)
            encoder.encode(sample[:8], show_progress=False)
            texts[name] = len(sample) / _best_seconds(lambda e=encoder: e.encode(sample, show_progress=False), 1)
            keys = list(dict.fromkeys(text_key(encoder.id, t) for t in catalogue))
            uncached[name] = 1.0 - len(cache.get(keys)) / max(len(keys), 1)
        cache.close()
    return Rates(dense, sparse, _boost_rate(rng), texts, uncached)


def _boost_rate(rng: np.random.Generator) -> float:
    """Rows × features × trees per second of a LightGBM ranker on random groups (1.0 without
    LightGBM: no model that boosts can then be fitted either)."""
    try:
        import lightgbm
    except ImportError:
        return 1.0
    rows, features, trees = BOOST_PROBE
    x = rng.standard_normal((rows, features))
    y = rng.integers(0, 2, rows)
    ranker = lightgbm.LGBMRanker(n_estimators=trees, min_child_samples=50, verbose=-1)
    seconds = _best_seconds(lambda: ranker.fit(x, y, group=np.full(rows // 50, 50)), 1)
    return rows * features * trees / seconds


def _best_seconds(work: Any, repeats: int = 3) -> float:
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return max(best, 1e-9)


def dry_run(config: RunConfig) -> list[Stage]:
    """Read and split the data as ``fuserec train`` would, then estimate each later stage: every
    model's fit on each split, its scoring of the test users, and the refit on all the data."""
    with threads(config.threads):
        start = time.perf_counter()
        ds = load_data(config)
        stages = [Stage(f"read and check the data ({len(ds):,} interactions, {ds.n_users:,} users, "
                        f"{ds.n_items:,} items)", time.perf_counter() - start, _peak_rss(), "measured")]
        config = config.for_data(ds.n_items)
        start = time.perf_counter()
        splits = split_data(config, ds)
        stages.append(Stage(f"split ({config.split.method})", time.perf_counter() - start, _peak_rss(), "measured"))
        base = _peak_rss()
        label = config.model_spec()["name"]
        models = {label: config.build_model()} | config.comparison_models()
        encoders = sorted({name for m in models.values() for name in m.text_encoder_names()})
        rates = measure_rates(ds, encoders)
        test_users = min(int((np.diff(splits[0].test.matrix("binary").indptr) > 0).sum()),
                         config.eval_users or ds.n_users)
        for name, model in models.items():
            for split in splits:
                what = f"fit {name}" + (f" (fold {split.fold})" if len(splits) > 1 else "")
                stages.append(_estimate(what, model, DataShape.of(split.train), rates, base))
            scoring = Cost(dense=SCORE_OPS * test_users * ds.n_items * len(splits))
            stages.append(Stage(f"score {name} for {test_users:,} test users", rates.seconds(scoring), base))
        if config.output.refit:
            stages.append(_estimate(f"refit {label} on all the data", models[label], DataShape.of(ds), rates, base))
    return stages


def _estimate(what: str, model: Any, shape: DataShape, rates: Rates, base: int) -> Stage:
    try:
        cost = model.cost(shape)
    except MemoryBudgetError as exc:  # the fit would stop before allocating: say so here
        return Stage(what, 0.0, base, "stops", str(exc))
    return Stage(what, rates.seconds(cost), base + cost.peak, note="; ".join(dict.fromkeys(cost.notes)))
