"""Shared helpers for benchmark scripts: data folder, timing, the shared JSON schema, a table."""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table


def data_dir() -> Path:
    value = os.environ.get("FUSEREC_DATA_DIR")
    if not value or not Path(value).is_dir():
        raise SystemExit("set FUSEREC_DATA_DIR to the datasets folder (make bench does, from ../shared/datasets)")
    return Path(value)


def timed(fn: Callable[[], Any], repeat: int = 5) -> tuple[float, Any]:
    """Median wall seconds over ``repeat`` runs (after one warm-up), and the last result."""
    result = fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def row(system: str, model: str, dataset: str, split: str, metrics: dict[str, float], fit_seconds: float = 0.0,
        predict_seconds: float = 0.0, fold: int | None = None, **extra: Any) -> dict[str, Any]:
    return {"system": system, "model": model, "dataset": dataset, "split": split, "fold": fold,
            "metrics": {k: float(v) for k, v in metrics.items()}, "fit_seconds": float(fit_seconds),
            "predict_seconds": float(predict_seconds), **extra}


def write_json(rows: list[dict[str, Any]], path: str | Path | None) -> None:
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps({"rows": rows}, indent=2, default=repr) + "\n")


def print_table(title: str, rows: list[dict[str, Any]], metrics: list[str], console: Console | None = None) -> None:
    t = Table(title=title)
    for col in ("system", "task", *metrics):
        t.add_column(col, justify="left" if col in ("system", "task") else "right")
    for r in rows:
        t.add_row(r["system"], r["model"], *(f"{r['metrics'][m]:.4f}" if m in r["metrics"] else "" for m in metrics))
    (console or Console()).print(t)
