"""The ``fuserec`` command: data, models, config, train, recommend, similar, evaluate, tune, semantic, demo."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from fuserec.data import DATASETS, Dataset, load_dataset, load_files, locate
from fuserec.data.split import METHODS, split
from fuserec.errors import ArtifactError, ConfigError, DataError, DownloadError, ParamError
from fuserec.evaluation import Experiment
from fuserec.models import Recommender

app = typer.Typer(help="Language-model semantics fused with recommender systems.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
data_app = typer.Typer(help="Inspect, validate and download datasets.", no_args_is_help=True)
app.add_typer(data_app, name="data")
out = Console()
err = Console(stderr=True, soft_wrap=True)

# ---- shared options -----------------------------------------------------------------------------
DatasetOpt = Annotated[str | None, typer.Option("--dataset", "-d", help=f"A known dataset: {', '.join(DATASETS)}.")]
InteractionsOpt = Annotated[Path | None, typer.Option(help="Your own interactions file (CSV, TSV or Parquet).")]
ItemsOpt = Annotated[Path | None, typer.Option(help="Item table for --interactions (id column + text fields).")]
UsersOpt = Annotated[Path | None, typer.Option(help="User table for --interactions.")]
DataDirOpt = Annotated[Path | None, typer.Option(help="Folder holding the datasets (else $FUSEREC_DATA_DIR).")]
UserColOpt = Annotated[str, typer.Option(help="User column in --interactions.")]
ItemColOpt = Annotated[str, typer.Option(help="Item column in --interactions.")]
RatingColOpt = Annotated[str, typer.Option(help="Rating column ('' for none).")]
TimeColOpt = Annotated[str, typer.Option(help="Timestamp column ('' for none).")]
SepOpt = Annotated[str | None, typer.Option(help="Field separator (default: by file suffix).")]
NoHeaderOpt = Annotated[bool, typer.Option("--no-header", help="The file has no header line.")]
ScaleOpt = Annotated[str | None, typer.Option(help="Rating scale 'min,max' (out-of-range ratings are errors).")]
DupOpt = Annotated[str, typer.Option(help="Repeated (user, item) pairs: keep-last, mean or error.")]
InvalidOpt = Annotated[str, typer.Option(help="Invalid rows (missing or out-of-range rating, unknown item): "
                                                   "error or drop.")]


def _load(dataset: str | None, interactions: Path | None, items: Path | None, users: Path | None,
          data_dir: Path | None, user_col: str, item_col: str, rating_col: str, time_col: str,
          sep: str | None, no_header: bool, scale: str | None, duplicates: str, invalid: str) -> Dataset:
    options = {"duplicates": duplicates, "invalid": invalid}
    if (dataset is None) == (interactions is None):
        raise typer.BadParameter("give either --dataset NAME or --interactions FILE")
    if dataset is not None:
        return load_dataset(dataset, data_dir, **options)
    columns = {"user": user_col, "item": item_col}
    if rating_col:
        columns["rating"] = rating_col
    if time_col:
        columns["timestamp"] = time_col
    rating_scale = None
    if scale:
        try:
            lo, hi = (float(x) for x in scale.split(","))
        except ValueError:
            raise typer.BadParameter(f"--scale takes 'min,max', not {scale!r}") from None
        rating_scale = (lo, hi)
    # default column names: let the loader use rating/timestamp only when present
    explicit = not (user_col, item_col, rating_col, time_col) == ("user", "item", "rating", "timestamp")
    return load_files(interactions, items, users, columns=columns if explicit or no_header else None,
                      sep=sep, header=not no_header, rating_scale=rating_scale, **options)


def _fail(exc: Exception) -> None:
    err.print(f"[bold red]error:[/] {exc}", highlight=False)
    raise typer.Exit(2)


# ---- data ---------------------------------------------------------------------------------------
def describe(ds: Dataset) -> Table:
    """A table of the dataset's size, density, rating scale, time span and cleaning report."""
    inter = ds.interactions
    t = Table(title=ds.name, show_header=False)
    t.add_column("what")
    t.add_column("value", justify="right")
    t.add_row("interactions", f"{len(ds):,}")
    t.add_row("users (with interactions)", f"{ds.n_users:,} ({inter['user'].nunique():,})")
    t.add_row("items (with interactions)", f"{ds.n_items:,} ({inter['item'].nunique():,})")
    t.add_row("density", f"{len(ds) / max(ds.n_users * ds.n_items, 1):.5f}")
    if ds.has_ratings:
        r = inter["rating"]
        scale = f"{ds.rating_scale[0]:g}–{ds.rating_scale[1]:g}" if ds.rating_scale else "implicit (counts)"
        t.add_row("ratings", f"{scale}; mean {r.mean():.3f}")
    if ds.has_timestamps:
        ts = inter["timestamp"]
        lo, hi = (np.datetime64(int(x), "s").astype("datetime64[D]") for x in (ts.min(), ts.max()))
        t.add_row("time span", f"{lo} → {hi}")
    t.add_row("item fields", ", ".join(c for c in ds.item_table.columns if c != "id") or "-")
    if ds.social is not None:
        t.add_row("social edges", f"{len(ds.social):,}")
    for key, value in ds.report.items():
        t.add_row(f"report: {key.replace('_', ' ')}", f"{value:,}")
    return t


@data_app.command("info")
def data_info(dataset: DatasetOpt = None, interactions: InteractionsOpt = None, items: ItemsOpt = None,
              users: UsersOpt = None, data_dir: DataDirOpt = None, user_col: UserColOpt = "user",
              item_col: ItemColOpt = "item", rating_col: RatingColOpt = "rating", time_col: TimeColOpt = "timestamp",
              sep: SepOpt = None, no_header: NoHeaderOpt = False, scale: ScaleOpt = None,
              duplicates: DupOpt = "keep-last", invalid: InvalidOpt = "error") -> None:
    """Load a dataset and print its size, scale, time span and what cleaning found."""
    try:
        ds = _load(dataset, interactions, items, users, data_dir, user_col, item_col, rating_col, time_col, sep,
                   no_header, scale, duplicates, invalid)
    except (DataError, DownloadError, KeyError) as exc:
        _fail(exc)
    out.print(describe(ds))


@data_app.command("validate")
def data_validate(dataset: DatasetOpt = None, interactions: InteractionsOpt = None, items: ItemsOpt = None,
                  users: UsersOpt = None, data_dir: DataDirOpt = None, user_col: UserColOpt = "user",
                  item_col: ItemColOpt = "item", rating_col: RatingColOpt = "rating",
                  time_col: TimeColOpt = "timestamp", sep: SepOpt = None, no_header: NoHeaderOpt = False,
                  scale: ScaleOpt = None, duplicates: DupOpt = "keep-last", invalid: InvalidOpt = "error") -> None:
    """Check a dataset strictly; exit 2 naming the first bad file, line and field."""
    try:
        ds = _load(dataset, interactions, items, users, data_dir, user_col, item_col, rating_col, time_col, sep,
                   no_header, scale, duplicates, invalid)
    except (DataError, DownloadError, KeyError) as exc:
        _fail(exc)
    found = [f"{k.replace('_', ' ')}: {v:,}" for k, v in ds.report.items() if k not in ("rows_read", "rows_kept") and v]
    kept, read = ds.report.get("rows_kept", len(ds)), ds.report.get("rows_read", len(ds))
    tail = f"; found {', '.join(found)}" if found else ""
    out.print(f"[green]ok[/]: {ds.name}: {kept:,} of {read:,} rows kept{tail}")


@data_app.command("download")
def data_download(name: Annotated[str, typer.Argument(help="Dataset name.")],
                  data_dir: DataDirOpt = None) -> None:
    """Fetch a dataset from its official address (sha256-checked) unless it is already here."""
    try:
        folder = locate(name, data_dir)
    except (DownloadError, KeyError) as exc:
        _fail(exc)
    out.print(f"{name}: {folder}")


@data_app.command("list")
def data_list() -> None:
    """The datasets fuserec knows by name."""
    t = Table("name", "description")
    for info in DATASETS.values():
        t.add_row(info.name, info.description)
    out.print(t)


# ---- evaluate -----------------------------------------------------------------------------------
def _literal(text: str) -> Any:
    from fuserec.registry import _literal as literal

    return literal(text)


def parse_model(spec: str) -> Recommender:
    """``name`` or ``name:key=value,key=value`` → an unfitted model (types and ranges checked)."""
    from fuserec.registry import build_model

    try:
        return build_model(spec)
    except ParamError as exc:
        _fail(exc)
        raise  # unreachable: _fail exits


@app.command("evaluate")
def evaluate(
    dataset: DatasetOpt = None, interactions: InteractionsOpt = None, items: ItemsOpt = None,
    users: UsersOpt = None, data_dir: DataDirOpt = None, user_col: UserColOpt = "user", item_col: ItemColOpt = "item",
    rating_col: RatingColOpt = "rating", time_col: TimeColOpt = "timestamp", sep: SepOpt = None,
    no_header: NoHeaderOpt = False, scale: ScaleOpt = None, duplicates: DupOpt = "keep-last",
    invalid: InvalidOpt = "error",
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

        try:
            ds, results = run_config(load_config(config))
        except (ConfigError, DataError, DownloadError, KeyError, ValueError) as exc:
            _fail(exc)
        out.print(results.table())
        if json_path is not None:
            results.to_json(json_path)
            err.print(f"rows written to {json_path}")
        return
    specs = model or ["popularity", "random"]
    models = {spec: parse_model(spec) for spec in specs}
    try:
        ds = _load(dataset, interactions, items, users, data_dir, user_col, item_col, rating_col, time_col, sep,
                   no_header, scale, duplicates, invalid)
        folder = locate(dataset, data_dir, download=False) if split_method == "predefined" and dataset else None
        splits = split(ds, split_method, test_size=test_size, seed=seed, folds=folds, n=leave,
                       val_size=val_size, folder=folder)
        results = Experiment(splits, models, task=task, ks=k or [10], min_rating=min_rating).run()
    except (DataError, DownloadError, KeyError, ValueError) as exc:
        _fail(exc)
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


# ---- tune ---------------------------------------------------------------------------------------
@app.command("tune")
def tune_command(
    dataset: DatasetOpt = None, interactions: InteractionsOpt = None, items: ItemsOpt = None,
    users: UsersOpt = None, data_dir: DataDirOpt = None, user_col: UserColOpt = "user", item_col: ItemColOpt = "item",
    rating_col: RatingColOpt = "rating", time_col: TimeColOpt = "timestamp", sep: SepOpt = None,
    no_header: NoHeaderOpt = False, scale: ScaleOpt = None, duplicates: DupOpt = "keep-last",
    invalid: InvalidOpt = "error",
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
        grid[name.strip()] = [_literal(v.strip()) for v in values.split(",")]
    if not grid:
        raise typer.BadParameter("give at least one --param name=v1,v2,...")
    try:
        base.set_params(**{k: v[0] for k, v in grid.items()})
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    try:
        ds = _load(dataset, interactions, items, users, data_dir, user_col, item_col, rating_col, time_col, sep,
                   no_header, scale, duplicates, invalid)
        outer = split(ds, split_method, test_size=test_size, seed=seed)[0]
        # the validation split mirrors the test: a global cut in time, each user's latest, or random
        temporal = {"temporal": True, "temporal-per-user": "per-user"}.get(split_method, False)
        result = tune(base, outer.train, grid, task=task, metric=metric, search=search, n_iter=trials,
                      val_size=val_size, seed=seed, temporal=temporal)
        final = Experiment([outer], {f"{model} {result.best_params}": result.best_model(base)}, task=task,
                           ks=[int(result.metric.split("@")[1])] if "@" in result.metric else [10]).run()
    except (DataError, DownloadError, KeyError, ValueError) as exc:
        _fail(exc)
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


# ---- semantic -----------------------------------------------------------------------------------
semantic_app = typer.Typer(help="Language-model semantics: encode, search, keywords, topics.", no_args_is_help=True)
app.add_typer(semantic_app, name="semantic")
EncoderOpt = Annotated[str, typer.Option(help="minilm, int8, e5 (multilingual), tfidf, or auto (e5 for Chinese "
                                                 "text).")]


def _semantic_dataset(dataset: str, data_dir: Path | None) -> Dataset:
    try:
        return load_dataset(dataset, data_dir)
    except (DataError, DownloadError, KeyError) as exc:
        _fail(exc)
        raise  # unreachable: _fail exits


@semantic_app.command("similar")
def semantic_similar(
    item: Annotated[str | None, typer.Option(help="An item id or exact title: find items like it.")] = None,
    text: Annotated[str | None, typer.Option(help="Free text in any language: find items matching it.")] = None,
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="Dataset name.")] = "ml-100k",
    data_dir: DataDirOpt = None, k: Annotated[int, typer.Option(help="How many results.")] = 10,
    encoder: EncoderOpt = "auto",
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON results instead of a table.")] = False,
) -> None:
    """Items nearest to an item or to free text, by their text's embedding (cached)."""
    import json

    from fuserec.semantic import SemanticIndex
    from fuserec.semantic.search import encoder_for

    if (item is None) == (text is None):
        raise typer.BadParameter("give either --item or --text")
    ds = _semantic_dataset(dataset, data_dir)
    index = SemanticIndex(ds, encoder_for(text, encoder), show_progress=not json_out)
    if item is not None:
        try:
            key = _literal(item) if _literal(item) in ds.items else index.find_item(item)
        except KeyError as exc:
            _fail(exc)
        hits = index.similar_to_item(key, k)
    else:
        hits = index.search(text, k)
    if json_out:
        print(json.dumps({"results": [{"item_id": h.item_id.item() if hasattr(h.item_id, "item") else h.item_id,
                                       "title": h.title, "score": round(h.score, 6)} for h in hits]},
                         ensure_ascii=False))
        return
    t = Table("#", "item", "title", "score", title=f"{ds.name} · {index.encoder.id} · "
                                                   f"{'like ' + repr(item) if item else repr(text)}")
    for rank, h in enumerate(hits, start=1):
        t.add_row(str(rank), str(h.item_id), h.title, f"{h.score:.3f}")
    out.print(t)


@semantic_app.command("quantize")
def semantic_quantize(
    output: Annotated[Path | None, typer.Option(help="Where to write the model (default: the cache).")] = None,
) -> None:
    """Build our int8 ONNX encoder: export all-MiniLM-L6-v2, int8 weights per channel."""
    import time

    from fuserec.semantic.onnx_int8 import build

    start = time.perf_counter()
    path = build(output)
    out.print(f"int8 encoder written to {path} ({path.stat().st_size / 1e6:.1f} MB) in "
              f"{time.perf_counter() - start:.1f} s; use it with --encoder int8")


@semantic_app.command("encode")
def semantic_encode(
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="Dataset name.")] = "ml-100k",
    data_dir: DataDirOpt = None, encoder: EncoderOpt = "minilm",
    output: Annotated[Path | None, typer.Option(help="Write item ids and vectors here (.npz).")] = None,
) -> None:
    """Encode every item's text into the cache (and optionally a .npz file)."""
    import time

    from fuserec.semantic import SemanticIndex

    ds = _semantic_dataset(dataset, data_dir)
    start = time.perf_counter()
    index = SemanticIndex(ds, encoder if encoder != "auto" else "minilm")
    seconds = time.perf_counter() - start
    encoded = getattr(index.encoder, "last_encoded", len(index.texts))
    out.print(f"{ds.name}: {len(index.texts):,} item texts, {encoded:,} newly encoded with {index.encoder.id} "
              f"in {seconds:.1f} s (the rest from the cache); dim {index.vectors.shape[1]}")
    if output is not None:
        np.savez_compressed(output, item_ids=np.asarray(ds.items.ids, dtype=object).astype(str),
                            vectors=index.vectors)
        out.print(f"vectors written to {output}")


@semantic_app.command("keywords")
def semantic_keywords(
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="Dataset name.")] = "ml-100k",
    data_dir: DataDirOpt = None, encoder: EncoderOpt = "minilm",
    item: Annotated[list[str] | None, typer.Option(help="Item ids or titles (default: the 5 most rated).")] = None,
    k: Annotated[int, typer.Option(help="Keywords per item.")] = 5,
) -> None:
    """KeyBERT keywords (MMR-diversified) of item texts, beside the TF-IDF baseline's."""
    from fuserec.semantic import SemanticIndex
    from fuserec.semantic.keywords import extract_keywords, tfidf_keywords

    ds = _semantic_dataset(dataset, data_dir)
    index = SemanticIndex(ds, encoder if encoder != "auto" else "minilm")
    if item:
        try:
            idx = [int(ds.items.to_index(_literal(i))) if _literal(i) in ds.items
                   else int(ds.items.to_index(index.find_item(i))) for i in item]
        except KeyError as exc:
            _fail(exc)
    else:
        idx = list(np.argsort(-ds.item_counts(), kind="stable")[:5])
    texts = [index.texts[i] for i in idx]
    lm = extract_keywords(texts, index.encoder, top_n=k)
    base = tfidf_keywords(texts, top_n=k, corpus=index.texts)
    t = Table("item", f"language model ({index.encoder.id})", "TF-IDF", title=f"{ds.name} keywords")
    for i, a, b in zip(idx, lm, base, strict=True):
        t.add_row(ds.item_titles([i])[0], ", ".join(a), ", ".join(b))
    out.print(t)


@semantic_app.command("topics")
def semantic_topics(
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="Dataset name.")] = "ml-100k",
    data_dir: DataDirOpt = None, encoder: EncoderOpt = "minilm",
    n: Annotated[int, typer.Option(help="Number of topics.")] = 12,
) -> None:
    """Cluster item vectors into topics and name each by its c-TF-IDF words."""
    from fuserec.semantic import SemanticIndex
    from fuserec.semantic.topics import fit_topics

    ds = _semantic_dataset(dataset, data_dir)
    index = SemanticIndex(ds, encoder if encoder != "auto" else "minilm")
    topics = fit_topics(index.vectors, index.texts, n)
    sizes = np.bincount(topics.labels, minlength=n)
    t = Table("topic", "items", "words", "examples", title=f"{ds.name}: {n} topics ({index.encoder.id})")
    for j in np.argsort(-sizes):
        examples = ds.item_titles(np.flatnonzero(topics.labels == j)[:3])
        t.add_row(str(j), str(sizes[j]), ", ".join(topics.words[j]), "; ".join(examples))
    out.print(t)


# ---- models ---------------------------------------------------------------------------------------
@app.command("models")
def models_command(
    name: Annotated[str | None, typer.Argument(help="A model name: show its parameters.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Every model by name (the fused ones too), or one model's parameters, types, defaults and ranges."""
    import json

    from fuserec.registry import describe, names

    try:
        entries = [describe(name)] if name else [describe(n) for n in names()]
    except ParamError as exc:
        _fail(exc)
    if json_out:
        print(json.dumps(entries[0] if name else entries, indent=2, ensure_ascii=False, default=str))
        return
    if name:
        e = entries[0]
        out.print(f"[bold]{e['name']}[/] ({e['class']}{', preset of ' + e['preset_of'] if 'preset_of' in e else ''})"
                  f" · task {e['task']} · {'uses a language model' if e['uses_lm'] else 'no language model'}")
        out.print(e["summary"])
        t = Table("parameter", "type", "default", "allowed")
        for p in e["params"]:
            t.add_row(p["name"], p["type"], json.dumps(p["default"], default=str)[:60], p["allowed"] or "")
        out.print(t)
        return
    t = Table("name", "class", "task", "LM", "summary", title=f"{len(entries)} models")
    for e in entries:
        t.add_row(e["name"], e["class"].rsplit(".", 1)[1] + (f" ({e['preset_of']})" if "preset_of" in e else ""),
                  e["task"], "yes" if e["uses_lm"] else "", e["summary"][:80])
    out.print(t)


# ---- config ---------------------------------------------------------------------------------------
config_app = typer.Typer(help="Run configurations (TOML): check one, print the schema.", no_args_is_help=True)
app.add_typer(config_app, name="config")


@config_app.command("check")
def config_check(files: Annotated[list[Path], typer.Argument(help="TOML files to validate.")]) -> None:
    """Validate run configurations (keys, types, ranges, model parameters); exit 2 on the first bad one."""
    from fuserec.config import load_config

    for path in files:
        try:
            config = load_config(path)
        except ConfigError as exc:
            _fail(exc)
        out.print(f"[green]ok[/]: {path}: model {config.model_spec()['name']}, split {config.split.method}")


@config_app.command("schema")
def config_schema_command() -> None:
    """The JSON schema of a run configuration."""
    import json

    from fuserec.config import config_schema

    print(json.dumps(config_schema(), indent=2))


# ---- train / recommend / similar --------------------------------------------------------------------
@app.command("train")
def train_command(
    config: Annotated[Path, typer.Option("--config", help="A TOML run configuration.")],
    out_dir: Annotated[Path | None, typer.Option("--out", help="Artifact folder (default: the config's "
                                                                "output.dir).")] = None,
    refit: Annotated[bool | None, typer.Option("--refit/--no-refit", help="Refit on all the data after the "
                                                                          "evaluation (default: config).")] = None,
) -> None:
    """Evaluate the configured model on its split, refit it on all the data, and write a versioned artifact."""
    from fuserec.config import load_config
    from fuserec.train import train

    try:
        cfg = load_config(config)
        target = out_dir or (Path(cfg.output.dir) if cfg.output.dir else None)
        if target is None:
            raise ConfigError(f"{config}: no output folder: give --out DIR or set output.dir")
        result = train(cfg, target, refit=refit, console=err)
    except (ConfigError, DataError, DownloadError, ArtifactError, KeyError, ValueError) as exc:
        _fail(exc)
    out.print(result.results.table(title=f"evaluation on the {cfg.split.method} split"))
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items())
    out.print(f"artifact {result.path} ({'refit on all data' if 'refit' in result.seconds else 'fit on the split'}"
              f"s train); {stages}")


def _load_trained(model_dir: Path):
    from fuserec.artifacts import load

    try:
        return load(model_dir)
    except ArtifactError as exc:
        _fail(exc)
        raise


def _print_list(payload: dict, what: str) -> None:
    flag = f" [yellow](fallback: {payload['fallback_reason']})[/]" if payload.get("fallback") else ""
    t = Table("#", "item", "title", "score", title=f"{what}{flag} · {payload['model']} {payload['model_version']}")
    for e in payload["items"]:
        t.add_row(str(e["rank"]), str(e["item"]), e["title"], f"{e['score']:.4g}")
    out.print(t)


@app.command("recommend")
def recommend_command(
    model_dir: Annotated[Path, typer.Option("--model", help="Artifact folder (fuserec train --out).")],
    user: Annotated[str | None, typer.Option(help="One user id.")] = None,
    users: Annotated[Path | None, typer.Option(help="A file of user ids, one per line (or a CSV/Parquet "
                                                    "'user' column).")] = None,
    all_users: Annotated[bool, typer.Option("--all", help="Every user with training interactions.")] = False,
    k: Annotated[int, typer.Option(help="List length.", min=1)] = 10,
    exclude_seen: Annotated[bool, typer.Option("--exclude-seen/--include-seen",
                                               help="Leave out what the user already has.")] = True,
    json_out: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
    out_path: Annotated[Path | None, typer.Option("--out", help="Batch: write (user, rank, item, title, score, "
                                                                "fallback) rows to this Parquet file.")] = None,
) -> None:
    """Top-k items for a user from a trained artifact; or for many users into a Parquet file."""
    import json

    if sum(x is not None and x is not False for x in (user, users, all_users or None)) != 1:
        raise typer.BadParameter("give exactly one of --user ID, --users FILE or --all")
    trained = _load_trained(model_dir)
    if user is not None:
        payload = trained.recommend(user, k, exclude_seen)
        if json_out:
            print(json.dumps(payload, ensure_ascii=False, default=str))
        else:
            _print_list(payload, f"top-{k} for user {user}")
        return
    ids = list(trained.users()) if all_users else _read_ids(users)
    if out_path is None:
        raise typer.BadParameter("batch recommendations need --out FILE.parquet")
    written = _write_batch(trained, ids, k, exclude_seen, out_path)
    err.print(f"{written:,} rows for {len(ids):,} users written to {out_path}")


def _read_ids(path: Path) -> list:
    import pandas as pd

    try:
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
            return frame["user" if "user" in frame.columns else frame.columns[0]].tolist()
        lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    except (OSError, KeyError, ValueError) as exc:
        _fail(DataError(f"cannot be read ({exc})", file=path))
    if lines and lines[0].lower() in ("user", "user_id", "userid"):
        lines = lines[1:]
    return [ln.split(",")[0] for ln in lines]


def _write_batch(trained, ids: list, k: int, exclude_seen: bool, path: Path, chunk: int = 2048) -> int:
    """Chunked: at most ``chunk`` users' rows are held at once; the file appears whole (renamed) at the end."""
    import os
    import tempfile

    import pyarrow as pa
    import pyarrow.parquet as pq

    from fuserec.progress import progress

    schema = pa.schema([("user", pa.string()), ("rank", pa.int32()), ("item", pa.string()), ("title", pa.string()),
                        ("score", pa.float64()), ("fallback", pa.bool_())])
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    written = 0
    try:
        with pq.ParquetWriter(tmp, schema) as writer:
            for start in progress(range(0, len(ids), chunk), "recommending", total=-(-len(ids) // chunk)):
                cols: dict[str, list] = {name: [] for name in schema.names}
                for payload in trained.recommend_many(ids[start:start + chunk], k, exclude_seen):
                    for e in payload["items"]:
                        cols["user"].append(str(payload["user"]))
                        cols["rank"].append(e["rank"])
                        cols["item"].append(str(e["item"]))
                        cols["title"].append(e["title"])
                        cols["score"].append(e["score"])
                        cols["fallback"].append(payload["fallback"])
                writer.write_table(pa.table(cols, schema=schema))
                written += len(cols["user"])
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return written


@app.command("similar")
def similar_command(
    model_dir: Annotated[Path, typer.Option("--model", help="Artifact folder (fuserec train --out).")],
    item: Annotated[str, typer.Option(help="An item id.")],
    k: Annotated[int, typer.Option(help="How many items.", min=1)] = 10,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Items most like one item, by the trained model's own item representation (or text)."""
    import json

    trained = _load_trained(model_dir)
    try:
        payload = trained.similar(item, k)
    except KeyError as exc:
        _fail(exc)
    if json_out:
        print(json.dumps(payload, ensure_ascii=False, default=str))
        return
    _print_list(payload, f"like {payload['title']} (by {payload['method']})")


# ---- demo ---------------------------------------------------------------------------------------
@app.command("demo")
def demo(dataset: Annotated[str, typer.Option(help="Dataset to run on.")] = "movietweetings-100k",
         data_dir: DataDirOpt = None, k: Annotated[int, typer.Option(help="List length.")] = 10,
         out_dir: Annotated[Path | None, typer.Option("--out", help="Keep the artifact here (default: a "
                                                                    "temporary folder).")] = None) -> None:
    """The whole loop on real data, offline: train from a config, evaluate, write the artifact, recommend."""
    from fuserec.demo import run_demo

    try:
        run_demo(dataset, data_dir, k, out, out_dir)
    except (DataError, DownloadError, ConfigError, ArtifactError) as exc:
        _fail(exc)


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
