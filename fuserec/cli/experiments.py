"""``fuserec evaluate`` and ``fuserec tune``: split, fit, score; search settings on validation."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from fuserec.cli.common import DataSource, data_options, err, literal, out, parse_model, reported
from fuserec.data import locate
from fuserec.data.split import METHODS, split
from fuserec.evaluation import Experiment


@data_options
def evaluate(
    source: DataSource,
    split_method: Annotated[str, typer.Option("--split", help=f"One of: {', '.join(METHODS)}.")] = "random",
    test_size: Annotated[float, typer.Option(help="Test fraction (random, temporal, cold-*).")] = 0.2,
    folds: Annotated[int, typer.Option(help="Folds for kfold; for predefined, u1..uN of ml-100k.")] = 5,
    leave: Annotated[int, typer.Option(help="Interactions per user held out by leave-last.")] = 1,
    seed: Annotated[int, typer.Option(help="Random seed of the split.")] = 0,
    val_size: Annotated[float | None, typer.Option(help="Validation fraction carved from train.")] = None,
    task: Annotated[str, typer.Option(help="rating (RMSE/MAE) or ranking (top-K, full ranking).")] = "ranking",
    model: Annotated[list[str] | None, typer.Option("--model", "-m",
                                                    help="NAME[:key=value,...]; repeatable.")] = None,
    k: Annotated[list[int] | None, typer.Option("--k", help="Cut-offs for ranking metrics; repeatable.")] = None,
    min_rating: Annotated[float | None, typer.Option(help="Ranking: only test ratings ≥ this are relevant.")] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the rows as JSON here.")] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Write a self-contained HTML report with "
                                                                  "plots here.")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="A TOML run configuration: its data, split, "
                                                                  "model and k (other options are ignored).")] = None,
) -> None:
    """Split a dataset, fit models, and print a table of metrics with fit and predict seconds."""
    if config is not None:
        from fuserec.config import load_config
        from fuserec.train import evaluate as run_config

        with reported():
            ds, results = run_config(load_config(config))
        out.print(results.table())
        if json_path is not None:
            results.to_json(json_path)
            err.print(f"rows written to {json_path}")
        return
    specs = model or ["popularity", "random"]
    models = {spec: parse_model(spec) for spec in specs}
    with reported():
        ds = source.load()
        folder = (locate(source.dataset, source.data_dir, download=False)
                  if split_method == "predefined" and source.dataset else None)
        splits = split(ds, split_method, test_size=test_size, seed=seed, folds=folds, n=leave,
                       val_size=val_size, folder=folder)
        results = Experiment(splits, models, task=task, ks=k or [10], min_rating=min_rating).run()
    out.print(results.table())
    if json_path is not None:
        results.to_json(json_path)
        err.print(f"rows written to {json_path}")
    if report is not None:
        _write_report(results.rows, ds, report)
        err.print(f"report written to {report}")


def _write_report(rows: list[dict], ds, path: Path) -> None:
    """The HTML report; the topic map when the items have text (MiniLM vectors, cached)."""
    from fuserec.evaluation.report import write_report

    item_map = None
    if len(ds.item_table.columns) > 1:
        from fuserec.semantic import SemanticIndex
        from fuserec.semantic.topics import fit_topics

        index = SemanticIndex(ds, "minilm", show_progress=True)
        topics = fit_topics(index.vectors, index.texts, n_topics=min(20, max(2, ds.n_items // 20)))
        item_map = (index.vectors, topics.labels, topics.words)
    write_report(rows, path, title=f"fuserec evaluate: {ds.name}", item_map=item_map)


@data_options
def tune_command(
    source: DataSource,
    model: Annotated[str, typer.Option("--model", "-m", help="NAME[:key=value,...]: the fixed settings.")] = "mf",
    param: Annotated[list[str] | None, typer.Option("--param", "-p",
                                                    help="name=v1,v2,...: values to search; repeatable.")] = None,
    search: Annotated[str, typer.Option(help="grid (every combination) or random.")] = "grid",
    trials: Annotated[int, typer.Option(help="Combinations tried by random search.")] = 20,
    split_method: Annotated[str, typer.Option("--split", help="Outer split; tuning sees only its train.")] = "random",
    test_size: Annotated[float, typer.Option(help="Outer test fraction.")] = 0.2,
    val_size: Annotated[float, typer.Option(help="Validation fraction carved from train.")] = 0.1,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    task: Annotated[str, typer.Option(help="rating or ranking.")] = "ranking",
    metric: Annotated[str | None, typer.Option(help="rmse, or e.g. ndcg@10 (default by task).")] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write trials and the test row here.")] = None,
) -> None:
    """Search hyper-parameters on a validation split from train only; then score the best once on test."""
    import json

    from fuserec.tuning import tune

    base = parse_model(model)
    grid: dict[str, list[Any]] = {}
    for spec in param or []:
        name, eq, values = spec.partition("=")
        if not eq or not values:
            raise typer.BadParameter(f"--param takes name=v1,v2,..., not {spec!r}")
        grid[name.strip()] = [literal(v.strip()) for v in values.split(",")]
    if not grid:
        raise typer.BadParameter("give at least one --param name=v1,v2,...")
    try:
        base.set_params(**{k: v[0] for k, v in grid.items()})
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    with reported():
        ds = source.load()
        outer = split(ds, split_method, test_size=test_size, seed=seed)[0]
        # the validation split mirrors the test: a global cut in time, each user's latest, or random
        temporal: bool | str = {"temporal": True, "temporal-per-user": "per-user"}.get(split_method, False)  # type: ignore[assignment]
        result = tune(base, outer.train, grid, task=task, metric=metric, search=search, n_iter=trials,
                      val_size=val_size, seed=seed, temporal=temporal)
        final = Experiment([outer], {f"{model} {result.best_params}": result.best_model(base)}, task=task,
                           ks=[int(result.metric.split("@")[1])] if "@" in result.metric else [10]).run()
    t = Table(title=f"validation {result.metric} ({len(result.trials)} trials, {search})")
    for name in grid:
        t.add_column(name, justify="right")
    t.add_column(result.metric, justify="right")
    t.add_column("fit s", justify="right")
    from fuserec.evaluation.metrics import lower_is_better

    for trial in sorted(result.trials, key=lambda tr: tr["score"], reverse=not lower_is_better(result.metric)):
        mark = "[bold green]" if trial["params"] == result.best_params else ""
        t.add_row(*(f"{mark}{trial['params'][n]}" for n in grid), f"{mark}{trial['score']:.4f}",
                  f"{trial['fit_seconds']:.2f}")
    out.print(t)
    out.print(final.table(title="best setting, refit on train, scored once on test"))
    if json_path is not None:
        json_path.write_text(json.dumps({"trials": result.trials, "best_params": result.best_params,
                                         "rows": final.rows}, indent=2, default=repr))
