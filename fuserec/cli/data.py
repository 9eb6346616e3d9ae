"""``fuserec data``: inspect, validate, download and list datasets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.table import Table

from fuserec.cli.common import DataDirOpt, DataSource, data_options, out, reported
from fuserec.data import DATASETS, Dataset, locate
from fuserec.data.synth import SIZES, Faults, SynthSpec, synthesize
from fuserec.errors import UsageError

app = typer.Typer(help="Inspect, validate and download datasets.", no_args_is_help=True)


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


@app.command("info")
@data_options
def data_info(source: DataSource) -> None:
    """Load a dataset and print its size, scale, time span and what cleaning found."""
    with reported():
        ds = source.load()
    out.print(describe(ds))


@app.command("validate")
@data_options
def data_validate(source: DataSource) -> None:
    """Check a dataset strictly; exit 2 naming the first bad file, line and field."""
    with reported():
        ds = source.load()
    found = [f"{k.replace('_', ' ')}: {v:,}" for k, v in ds.report.items() if k not in ("rows_read", "rows_kept") and v]
    kept, read = ds.report.get("rows_kept", len(ds)), ds.report.get("rows_read", len(ds))
    tail = f"; found {', '.join(found)}" if found else ""
    out.print(f"[green]ok[/]: {ds.name}: {kept:,} of {read:,} rows kept{tail}")


@app.command("download")
def data_download(name: Annotated[str, typer.Argument(help="Dataset name.")],
                  data_dir: DataDirOpt = None) -> None:
    """Fetch a dataset from its official address (sha256-checked) unless it is already here."""
    with reported():
        folder = locate(name, data_dir)
    out.print(f"{name}: {folder}")


@app.command("list")
def data_list() -> None:
    """The datasets fuserec knows by name."""
    t = Table("name", "description")
    for info in DATASETS.values():
        t.add_row(info.name, info.description)
    out.print(t)


@app.command("synth")
def data_synth(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write events/*.parquet, items.parquet and synth.json.")],
    size: Annotated[str, typer.Option(help=f"A fixed shape: {', '.join(SIZES)}.")] = "1M",
    users: Annotated[int | None, typer.Option(help="Users (with --items and --events, instead of --size).")] = None,
    items: Annotated[int | None, typer.Option(help="Items.")] = None,
    events: Annotated[int | None, typer.Option(help="Events.")] = None,
    faults: Annotated[bool, typer.Option(help="Inject duplicates, bots, items without text and bad rows.")] = False,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed writes the same files.")] = 0,
) -> None:
    """Generate a seeded shop-like log: power-law popularity and activity, topics in the titles."""
    with reported():
        fault_spec = Faults.all() if faults else Faults()
        if users is not None or items is not None or events is not None:
            if users is None or items is None or events is None:
                raise UsageError("give --users, --items and --events together, or --size alone")
            spec = SynthSpec(users, items, events, seed=seed, faults=fault_spec)
        else:
            spec = SynthSpec.named(size, seed=seed, faults=fault_spec)
        written = synthesize(spec, out_dir)
    injected = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in written["faults"].items() if v)
    out.print(f"[green]wrote[/] {out_dir}: {spec.n_users:,} users, {spec.n_items:,} items, "
              f"{len(written['events'])} event shard(s){'; injected ' + injected if injected else ''}")
    out.print(f"train on it: \\[data] interactions = \"{out_dir}/events\", items = \"{out_dir}/items.parquet\"")
