"""``fuserec train``, ``recommend``, ``similar`` and ``demo``: the product loop, from a run
configuration to a versioned artifact and the lists it serves."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fuserec.cli.common import DataDirOpt, err, fail, load_trained, out, print_list, reported
from fuserec.errors import ConfigError, DataError


def train_command(
    config: Annotated[Path, typer.Option("--config", help="A TOML run configuration.")],
    out_dir: Annotated[Path | None, typer.Option("--out", help="Artifact folder (default: the config's "
                                                                "output.dir).")] = None,
    refit: Annotated[bool | None, typer.Option("--refit/--no-refit", help="Refit on all the data after the "
                                                                          "evaluation (default: config).")] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Also write the evaluation rows, the paired "
                                                                 "tests and the stages' seconds as JSON.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Read and split the data, then print each stage's "
                                                            "estimated time and peak memory; fit nothing.")] = False,
) -> None:
    """Evaluate the configured model on its split, refit it on all the data, and write a versioned artifact."""
    import json

    from fuserec.config import load_config
    from fuserec.train import train

    with reported():
        cfg = load_config(config)
        if dry_run:
            _print_dry_run(cfg, report)
            return
        target = out_dir or (Path(cfg.output.dir) if cfg.output.dir else None)
        if target is None:
            raise ConfigError(f"{config}: no output folder: give --out DIR or set output.dir")
        result = train(cfg, target, refit=refit, console=err)
    out.print(result.results.table(title=f"evaluation on the {cfg.split.method} split"))
    tests = _paired_tests(result.results, f"ndcg@{min(cfg.k)}") if cfg.task == "ranking" else []
    for t in tests:
        out.print(f"{t['model']} against {t['other']}: {t['metric']} {t['mean']:.4f} vs {t['other_mean']:.4f} "
                  f"(×{t['ratio']:.3f}), paired t-test p = {t['p']:.2g} over {t['users']:,} users")
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items())
    out.print(f"artifact {result.path} ({'refit on all data' if 'refit' in result.seconds else 'fit on the split'}"
              f"s train); {stages}")
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(json.dumps({"rows": result.results.rows, "paired_tests": tests,
                                      "seconds": result.seconds, "artifact": str(result.path)}, indent=2) + "\n")


def _print_dry_run(cfg, report: Path | None) -> None:
    import json

    from rich.table import Table

    from fuserec._core.memory import format_bytes, memory_budget
    from fuserec.dry_run import dry_run

    stages = dry_run(cfg)
    table = Table(title=f"fuserec train --dry-run (memory budget {format_bytes(memory_budget())})")
    for column in ("stage", "seconds", "peak memory", "how", "note"):
        table.add_column(column, justify="right" if column in ("seconds", "peak memory") else "left")
    for s in stages:
        table.add_row(s.stage, f"{s.seconds:,.1f}", format_bytes(s.peak_bytes), s.how, s.note)
    out.print(table)
    total = sum(s.seconds for s in stages)
    out.print(f"about {total / 60:,.1f} minutes in all, at most {format_bytes(max(s.peak_bytes for s in stages))}")
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(json.dumps({"dry_run": [s.row() for s in stages], "seconds": total}, indent=2) + "\n")


def _paired_tests(results, metric: str) -> list[dict]:
    """The trained model (the first row's) against each compared model, on ``metric``."""
    main = results.rows[0]["model"]
    others = dict.fromkeys(r["model"] for r in results.rows if r["model"] != main)
    return [{"model": main, "other": other, "metric": metric, **results.paired_test(main, other, metric)}
            for other in others]


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
    explain: Annotated[bool, typer.Option("--explain", help="Say why each item is in the list (one user).")] = False,
    lang: Annotated[str, typer.Option(help="Language of the explanations: en or zh.")] = "en",
    llm: Annotated[str | None, typer.Option(help="Word explanations with a language model under a validator: "
                                                 "local, local:FILE.gguf or http://HOST/v1#MODEL.")] = None,
) -> None:
    """Top-k items for a user from a trained artifact; or for many users into a Parquet file."""
    import json

    if sum(x is not None and x is not False for x in (user, users, all_users or None)) != 1:
        raise typer.BadParameter("give exactly one of --user ID, --users FILE or --all")
    trained = load_trained(model_dir)
    if user is not None:
        payload = trained.recommend(user, k, exclude_seen)
        if explain and not payload["fallback"]:
            from fuserec.cli.explain import explanations

            found = explanations(trained, user, [e["item"] for e in payload["items"]], lang, llm)
            for entry, explanation in zip(payload["items"], found, strict=True):
                entry["explanation"] = explanation
        if json_out:
            print(json.dumps(payload, ensure_ascii=False, default=str))
        else:
            print_list(payload, f"top-{k} for user {user}")
        return
    ids = list(trained.users()) if all_users else _read_ids(users)  # type: ignore[arg-type]
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
        fail(DataError(f"cannot be read ({exc})", file=path))
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
                cols = trained.recommend_columns(ids[start:start + chunk], k, exclude_seen)
                for name in ("user", "item", "title"):
                    cols[name] = cols[name].astype(str)
                writer.write_table(pa.table(cols, schema=schema))
                written += len(cols["user"])
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return written


def similar_command(
    model_dir: Annotated[Path, typer.Option("--model", help="Artifact folder (fuserec train --out).")],
    item: Annotated[str, typer.Option(help="An item id.")],
    k: Annotated[int, typer.Option(help="How many items.", min=1)] = 10,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Items most like one item, by the trained model's own item representation (or text)."""
    import json

    trained = load_trained(model_dir)
    with reported():
        payload = trained.similar(item, k)
    if json_out:
        print(json.dumps(payload, ensure_ascii=False, default=str))
        return
    print_list(payload, f"like {payload['title']} (by {payload['method']})")


def demo(dataset: Annotated[str, typer.Option(help="Dataset to run on.")] = "movietweetings-100k",
         data_dir: DataDirOpt = None, k: Annotated[int, typer.Option(help="List length.")] = 10,
         out_dir: Annotated[Path | None, typer.Option("--out", help="Keep the artifact here (default: a "
                                                                    "temporary folder).")] = None) -> None:
    """The whole loop on real data, offline: train from a config, evaluate, write the artifact, recommend."""
    from fuserec.demo import run_demo

    with reported():
        run_demo(dataset, data_dir, k, out, out_dir)
