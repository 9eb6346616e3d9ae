"""Train from a run configuration: evaluate on its split, refit on all the data, write an artifact.

``fuserec train --config FILE --out DIR`` and ``fuserec evaluate --config FILE`` call these.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from fuserec.config import RunConfig, load_data, split_data
from fuserec.evaluation import Experiment, Results
from fuserec.models import Recommender, Tunes


@contextmanager
def threads(n: int | None):
    """At most ``n`` threads for BLAS, OpenMP and torch inside the block (no limit for None)."""
    if n is None:
        yield
        return
    from threadpoolctl import threadpool_limits

    old = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = str(n)
    torch_threads = None
    try:
        import sys

        if "torch" in sys.modules:
            import torch

            torch_threads = torch.get_num_threads()
            torch.set_num_threads(n)
        with threadpool_limits(n):
            yield
    finally:
        if old is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = old
        if torch_threads is not None:
            import torch

            torch.set_num_threads(torch_threads)


def resolved(config: RunConfig, model: Recommender | None = None) -> dict[str, Any]:
    """The configuration as it ran: every model parameter spelt out (defaults included), those of
    ``model`` when given (a refit with the settings its evaluation chose is that model, not the
    configured one)."""
    from fuserec.registry import to_spec

    out = config.model_dump(mode="json", by_alias=True)
    out["model"] = _jsonable(to_spec(model if model is not None else config.build_model()))
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def evaluate(config: RunConfig, console: Console | None = None) -> tuple[Any, Results]:
    """Load the data, split it, fit the configured model on each split and measure it; returns
    the dataset and the results."""
    ds, _, results, _ = _evaluate(config, console or Console(stderr=True), keep_models=False)
    return ds, results


def _evaluate(config: RunConfig, console: Console, keep_models: bool,
              on_model: Callable[[str, int | None, Recommender], None] | None = None,
              ) -> tuple[Any, list, Results, RunConfig]:
    """The data, its splits, the results, and ``config`` with its encoder chosen for the data."""
    with threads(config.threads):
        ds = load_data(config)
        config = config.for_data(ds.n_items)
        splits = split_data(config, ds)
        label = config.model_spec()["name"]
        models = {label: config.build_model()} | config.comparison_models()
        results = Experiment(splits, models, task=config.task, ks=config.k,
                             min_rating=config.min_rating, console=console,
                             max_users=config.eval_users).run(keep_models=keep_models, on_model=on_model)
    return ds, splits, results, config


@dataclass
class TrainResult:
    """What ``train`` wrote: the version folder, the evaluation, and how long each stage took."""

    path: Path
    splits: list
    results: Results
    seconds: dict[str, float]


def train(config: RunConfig, out: str | Path, *, refit: bool | None = None,
          console: Console | None = None) -> TrainResult:
    """Evaluate ``config`` on its split, then fit on all the data (``refit``, default the
    config's ``output.refit``; otherwise keep the model fitted on the split's train) and write
    a new artifact version under ``out``.

    A model that chooses some of its own settings on validation (`Tunes`) chooses them once, in
    the evaluation's fit, and the refit reuses them: the evaluation measured the model with those
    settings, and the refit does not pay for the search a second time."""
    from fuserec.artifacts import save

    console = console or Console(stderr=True)
    refit = config.output.refit if refit is None else refit
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    main = config.model_spec()["name"]
    chosen: dict[str, Recommender] = {}

    def keep_choices(label: str, fold: int | None, model: Recommender) -> None:
        if refit and label == main and not chosen and model.supports(Tunes):
            chosen[label] = model.fixed()

    ds, splits, results, config = _evaluate(config, console, keep_models=not refit, on_model=keep_choices)
    seconds["evaluate"] = time.perf_counter() - start
    with threads(config.threads):
        if refit:
            start = time.perf_counter()
            how = " with the settings it chose in the evaluation" if chosen else ""
            with console.status(f"fitting {main} on all {len(ds):,} interactions{how}"):
                model = chosen[main] if chosen else config.build_model()
                model.fit(ds)
            data = ds
            seconds["refit"] = time.perf_counter() - start
        else:
            (model,) = [m for (label, fold), m in results.models.items() if label == main and fold in (None, 0)][:1]
            data = splits[0].train
        start = time.perf_counter()
        # a version refit on all the data has learnt every stored event; the service folds in
        # only those after it (one fit on the split's train saw only part of them)
        events = ds.report.get("store_events") if refit else None
        path = save(out, model, data, config=resolved(config, model),
                    metrics=[r for r in results.rows if r["model"] == main],
                    refit=refit, encoder=config.encoder.name, events=events)
        seconds["write"] = time.perf_counter() - start
    return TrainResult(path, splits, results, seconds)
