"""An experiment is data + protocol + models + metrics: it fits each model on each split and
reports one table (rich) and JSON rows in the schema every benchmark shares."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from rich.console import Console
from rich.table import Table
from sklearn.base import clone

from fuserec.data.split import Split
from fuserec.errors import UsageError
from fuserec.evaluation.metrics import DIRECTION, direction
from fuserec.evaluation.protocol import Measurement, evaluate_ranking, evaluate_rating

HEADLINE = {"rating": ("rmse", "mae"), "ranking": ("precision", "recall", "ndcg", "hitrate")}

if TYPE_CHECKING:
    from fuserec.models.base import Recommender


@dataclass
class Results:
    """The rows of an experiment (one per model and fold) and the per-user values behind them."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    measurements: list[Measurement] = field(default_factory=list)
    task: str = "ranking"
    #: (label, fold) → the fitted model, when the experiment was run with ``keep_models=True``
    models: dict[tuple[str, int | None], Any] = field(default_factory=dict)

    def to_json(self, path: str | Path | None = None) -> str:
        text = json.dumps({"rows": self.rows}, indent=2)
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text(text + "\n", encoding="utf-8")
        return text

    def summary(self) -> list[dict[str, Any]]:
        """One entry per (dataset, split, model): metric means (and std) over folds, total seconds."""
        groups: dict[tuple, list[dict[str, Any]]] = {}
        for row in self.rows:
            groups.setdefault((row["dataset"], row["split"], row["model"]), []).append(row)
        out = []
        for (dataset, split, model), rows in groups.items():
            names = list(rows[0]["metrics"])
            vals = {n: np.array([r["metrics"][n] for r in rows]) for n in names}
            out.append({
                "dataset": dataset, "split": split, "model": model, "folds": len(rows),
                "mean": {n: float(v.mean()) for n, v in vals.items()},
                "std": {n: float(v.std(ddof=1)) if len(v) > 1 else None for n, v in vals.items()},
                "ci95": rows[0].get("ci95", {}) if len(rows) == 1 else {},
                "fit_seconds": float(np.mean([r["fit_seconds"] for r in rows])),
                "predict_seconds": float(np.mean([r["predict_seconds"] for r in rows])),
            })
        return out

    def paired_test(self, model: str, other: str, metric: str = "ndcg@10") -> dict[str, float]:
        """``model`` against ``other`` on ``metric``: both means, their ratio, and the significance
        (``p``) of a paired t-test over the users both were measured on (the first fold of each)."""
        from scipy import stats

        def first(label: str) -> Measurement:
            for r, m in zip(self.rows, self.measurements, strict=True):
                if r["model"] == label:
                    return m
            raise UsageError(f"no row for model {label!r}")

        a, b = first(model), first(other)
        if metric not in a.per_user or a.users is None or b.users is None:
            raise UsageError(f"{metric!r} has no per-user values to compare")
        users, ia, ib = np.intersect1d(a.users, b.users, return_indices=True)
        x, y = a.per_user[metric][ia], b.per_user[metric][ib]
        p = float(stats.ttest_rel(x, y).pvalue) if len(users) > 1 and np.any(x != y) else 1.0
        return {"mean": float(x.mean()), "other_mean": float(y.mean()),
                "ratio": float(x.mean() / y.mean()) if y.mean() else float("inf"), "p": p, "users": len(users)}

    def table(self, title: str | None = None, metrics: Sequence[str] | None = None) -> Table:
        """A rich table: means over folds with ± std (several folds) or ± confidence-interval half-width (one)."""
        summary = self.summary()
        if not summary:
            return Table(title=title)
        names = list(metrics) if metrics else _headline(list(summary[0]["mean"]), self.task)
        # dataset and split go in the title when the whole table shares them
        shared = [c for c in ("dataset", "split") if len({s[c] for s in summary}) == 1]
        if title is None:
            title = " · ".join(str(summary[0][c]) for c in shared)
        cols = [c for c in ("dataset", "split") if c not in shared] + ["model"]
        table = Table(title=title, show_lines=False)
        for col in cols:
            table.add_column(col)
        for n in names:
            table.add_column(n, justify="right")
        table.add_column("fit s", justify="right")
        table.add_column("predict s", justify="right")
        best = {n: _best(summary, n) for n in names}
        for s in summary:
            cells = []
            for n in names:
                m = s["mean"].get(n)
                if m is None:
                    cells.append("")
                    continue
                text = f"{m:.4f}"
                if s["std"].get(n) is not None:
                    text += f" ±{s['std'][n]:.4f}"
                elif n in s["ci95"]:
                    lo, hi = s["ci95"][n]
                    text += f" ±{(hi - lo) / 2:.4f}"
                if best[n] == s["model"]:
                    text = f"[bold green]{text}[/]"
                cells.append(text)
            table.add_row(*(str(s[c]) for c in cols), *cells,
                          f"{s['fit_seconds']:.2f}", f"{s['predict_seconds']:.2f}")
        return table


def _headline(names: list[str], task: str) -> list[str]:
    keys = HEADLINE.get(task, ())
    picked = [n for n in names if n.split("@")[0] in keys]
    extra = [n for n in names if n.split("@")[0] == "coverage"]
    return picked + extra if picked else names


def _best(summary: list[dict[str, Any]], name: str) -> str | None:
    vals = [(s["mean"][name], s["model"]) for s in summary if name in s["mean"]]
    better = direction(name) if name.split("@")[0] in DIRECTION else None
    if not vals or better is None:
        return None
    return (min(vals) if better == "lower" else max(vals))[1]


class Experiment:
    """Fit every model on every split and measure it.

    Parameters
    ----------
    splits : sequence of Split
        The train/test divisions; every model is fit once on each.
    models : mapping of str to Recommender
        Label → unfitted estimator, cloned per split so that each split starts fresh.
    task : {"ranking", "rating"}
        ``"rating"``: RMSE/MAE/MSE on the test ratings. ``"ranking"``: full ranking, train items
        excluded, metrics at each k in ``ks``.
    ks : iterable of int
        Cut-offs of the ranking metrics.
    min_rating : float, optional
        For ranking, only test ratings at or above this count as relevant (default: every test
        interaction).
    candidates : ndarray of bool, optional
        For ranking, the items that may be ranked (e.g. the cold items only); the rest never are.
    dataset, split_name : str, optional
        What the rows call the data and the protocol (default: read from the first split).
    system : str
        The rows' ``system`` field: a benchmark that runs a peer library through the same loop
        labels its rows with the peer's name.
    on_error : {"raise", "skip"}
        What a model that fails to fit does: stop the experiment, or print the error and leave
        the model out (a peer that cannot run on some data).
    on_row : callable, optional
        Called with each row and its ``Measurement`` as soon as it is measured (progress lines of
        a long benchmark).
    console : rich.console.Console, optional
        Where the status line and skipped models' errors go (default: stderr).
    max_users : int, optional
        For ranking, the test users measured at most per split: past that many, the same seeded
        sample for every model (the rows' ``users`` says how many were measured).
    """

    def __init__(self, splits: Sequence[Split], models: Mapping[str, Recommender], *, task: str = "ranking",
                 ks: Iterable[int] = (10,), min_rating: float | None = None,
                 candidates: np.ndarray | None = None, dataset: str | None = None, split_name: str | None = None,
                 system: str = "fuserec", on_error: str = "raise",
                 on_row: Callable[[dict[str, Any], Measurement], None] | None = None,
                 console: Console | None = None, max_users: int | None = None) -> None:
        if task not in ("rating", "ranking"):
            raise UsageError(f"task must be 'rating' or 'ranking', not {task!r}")
        if on_error not in ("raise", "skip"):
            raise UsageError(f"on_error must be 'raise' or 'skip', not {on_error!r}")
        if candidates is not None and task != "ranking":
            raise UsageError("candidates restrict a ranking: the rating task takes none")
        if not splits:
            raise UsageError("no splits to run on")
        if not models:
            raise UsageError("no models to run")
        self.splits = list(splits)
        self.models = dict(models)
        self.task = task
        self.ks = tuple(ks)
        self.min_rating = min_rating
        self.candidates = candidates
        self.system = system
        self.on_error = on_error
        self.on_row = on_row
        self.dataset = dataset or self.splits[0].train.name.split("/")[0]
        self.split_name = split_name or self.splits[0].method
        self.console = console or Console(stderr=True)
        self.max_users = max_users

    def run(self, keep_models: bool = False,
            on_model: Callable[[str, int | None, Recommender], None] | None = None) -> Results:
        """Fit and measure every model on every split; ``keep_models`` keeps the fitted models
        in ``Results.models`` (for a caller that writes one out), and ``on_model(label, fold,
        model)`` is called with each one once it is measured (for a caller that keeps only what
        a model chose)."""
        results = Results(task=self.task)
        with self.console.status("") as status:
            for split in self.splits:
                for label, estimator in self.models.items():
                    fold = "" if split.fold is None else f" fold {split.fold}"
                    status.update(f"[bold]{label}[/]: fitting on {self.dataset}{fold} ({len(split.train):,} rows)")
                    model = clone(estimator)
                    start = time.perf_counter()
                    try:
                        model.fit(split.train)
                    except Exception as exc:
                        if self.on_error == "raise":
                            raise
                        self.console.print(f"  [red]{self.system} {label}: {type(exc).__name__}: {exc}[/]")
                        continue
                    fit_seconds = time.perf_counter() - start
                    status.update(f"[bold]{label}[/]: evaluating on {self.dataset}{fold}")
                    if self.task == "rating":
                        m = evaluate_rating(model, split)
                    else:
                        m = evaluate_ranking(model, split, self.ks, min_rating=self.min_rating,
                                             candidates=self.candidates, max_users=self.max_users)
                    results.measurements.append(m)
                    if keep_models:
                        results.models[(label, split.fold)] = model
                    if on_model is not None:
                        on_model(label, split.fold, model)
                    results.rows.append({
                        "system": self.system,
                        "model": label,
                        "dataset": self.dataset,
                        "split": self.split_name,
                        "fold": split.fold,
                        "metrics": {k: float(v) for k, v in m.metrics.items()},
                        "ci95": {k: [float(a), float(b)] for k, (a, b) in m.ci95.items()},
                        "fit_seconds": fit_seconds,
                        "predict_seconds": m.predict_seconds,
                        **({"users": len(m.users)} if m.users is not None else {}),
                    })
                    if self.on_row is not None:
                        self.on_row(results.rows[-1], m)
        return results
