"""What every command shares: the consoles, one error handler, and one set of data-loading options."""

from __future__ import annotations

import functools
import inspect
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from fuserec.data import DATASETS, Dataset, load_dataset, load_files
from fuserec.errors import FuserecError

out = Console()
err = Console(stderr=True, soft_wrap=True)

REPORT_BUG = ("This is a bug in fuserec, not in your data or configuration: please report it with the "
              "command you ran and the traceback above.")


def fail(exc: BaseException) -> NoReturn:
    """Print ``error: <exc>`` on stderr and exit with status 2."""
    err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
    raise typer.Exit(2)


@contextmanager
def reported() -> Iterator[None]:
    """The one error handler: an error fuserec raises on purpose (`FuserecError`: bad data, config,
    parameters, artifact, download, unknown id) becomes ``error: ...`` and exit status 2; anything
    else is a bug: its traceback is shown with a line asking to report it, and the exit status is 1."""
    try:
        yield
    except FuserecError as exc:
        fail(exc)
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except Exception:
        traceback.print_exc()
        err.print(f"[bold red]{REPORT_BUG}[/]", highlight=False)
        raise typer.Exit(1) from None


DataDirOpt = Annotated[Path | None, typer.Option(help="Folder holding the datasets (else $FUSEREC_DATA_DIR).")]


@dataclass(frozen=True)
class DataSource:
    """Where a command's data comes from: a known dataset by name, or the user's own files."""

    dataset: str | None = None
    interactions: Path | None = None
    items: Path | None = None
    users: Path | None = None
    data_dir: Path | None = None
    user_col: str = "user"
    item_col: str = "item"
    rating_col: str = "rating"
    time_col: str = "timestamp"
    sep: str | None = None
    no_header: bool = False
    scale: str | None = None
    duplicates: str = "keep-last"
    invalid: str = "error"

    def load(self) -> Dataset:
        """The dataset, loaded and checked (raises ``DataError`` naming the file, line and field)."""
        options = {"duplicates": self.duplicates, "invalid": self.invalid}
        if (self.dataset is None) == (self.interactions is None):
            raise typer.BadParameter("give either --dataset NAME or --interactions FILE")
        if self.dataset is not None:
            return load_dataset(self.dataset, self.data_dir, **options)  # type: ignore[arg-type]
        columns = {"user": self.user_col, "item": self.item_col}
        if self.rating_col:
            columns["rating"] = self.rating_col
        if self.time_col:
            columns["timestamp"] = self.time_col
        rating_scale = None
        if self.scale:
            try:
                lo, hi = (float(x) for x in self.scale.split(","))
            except ValueError:
                raise typer.BadParameter(f"--scale takes 'min,max', not {self.scale!r}") from None
            rating_scale = (lo, hi)
        # default column names: let the loader use rating/timestamp only when present
        explicit = (self.user_col, self.item_col, self.rating_col, self.time_col) != ("user", "item", "rating",
                                                                                      "timestamp")
        assert self.interactions is not None  # the check above
        return load_files(self.interactions, self.items, self.users,
                          columns=columns if explicit or self.no_header else None,
                          sep=self.sep, header=not self.no_header, rating_scale=rating_scale, **options)


_DATA_OPTIONS: dict[str, tuple[Any, Any]] = {  # DataSource field: (annotation, default)
    "dataset": (Annotated[str | None, typer.Option("--dataset", "-d",
                                                   help=f"A known dataset: {', '.join(DATASETS)}.")], None),
    "interactions": (Annotated[Path | None, typer.Option(help="Your own interactions file (CSV, TSV or "
                                                              "Parquet).")], None),
    "items": (Annotated[Path | None, typer.Option(help="Item table for --interactions (id column + text "
                                                       "fields).")], None),
    "users": (Annotated[Path | None, typer.Option(help="User table for --interactions.")], None),
    "data_dir": (DataDirOpt, None),
    "user_col": (Annotated[str, typer.Option(help="User column in --interactions.")], "user"),
    "item_col": (Annotated[str, typer.Option(help="Item column in --interactions.")], "item"),
    "rating_col": (Annotated[str, typer.Option(help="Rating column ('' for none).")], "rating"),
    "time_col": (Annotated[str, typer.Option(help="Timestamp column ('' for none).")], "timestamp"),
    "sep": (Annotated[str | None, typer.Option(help="Field separator (default: by file suffix).")], None),
    "no_header": (Annotated[bool, typer.Option("--no-header", help="The file has no header line.")], False),
    "scale": (Annotated[str | None, typer.Option(help="Rating scale 'min,max' (out-of-range ratings are "
                                                      "errors).")], None),
    "duplicates": (Annotated[str, typer.Option(help="Repeated (user, item) pairs: keep-last, mean or error.")],
                   "keep-last"),
    "invalid": (Annotated[str, typer.Option(help="Invalid rows (missing or out-of-range rating, unknown item): "
                                                 "error or drop.")], "error"),
}


def data_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Give ``command`` the shared data-loading options; it receives them as ``source: DataSource``.

    The options are added to the command's signature (which typer reads), in one place for every
    command that loads data.
    """
    signature = inspect.signature(command, eval_str=True)
    own = [p for name, p in signature.parameters.items() if name != "source"]
    shared = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)
              for name, (annotation, default) in _DATA_OPTIONS.items()]

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> Any:
        source = DataSource(**{name: kwargs.pop(name) for name in _DATA_OPTIONS})
        return command(source=source, **kwargs)

    parameters = shared + [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own]
    wrapper.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
    del wrapper.__wrapped__  # typer must read the new signature, not the command's own
    return wrapper


def literal(text: str) -> Any:
    """A command-line value as a Python literal where it is one (``3`` → 3), else the text."""
    from fuserec.registry import _literal

    return _literal(text)


def parse_model(spec: str) -> Any:
    """``name`` or ``name:key=value,key=value`` → an unfitted model (types and ranges checked)."""
    from fuserec.registry import build_model

    with reported():
        return build_model(spec)


def load_trained(model_dir: Path) -> Any:
    """A trained artifact, verified; exits 2 naming what is wrong with it."""
    from fuserec.artifacts import load

    with reported():
        return load(model_dir)


def print_list(payload: dict, what: str) -> None:
    """A recommendation or similar-items payload as a table."""
    flag = f" [yellow](fallback: {payload['fallback_reason']})[/]" if payload.get("fallback") else ""
    why = any("explanation" in e for e in payload["items"])
    t = Table("#", "item", "title", "score", *(["why"] if why else []),
              title=f"{what}{flag} · {payload['model']} {payload['model_version']}")
    for e in payload["items"]:
        t.add_row(str(e["rank"]), str(e["item"]), e["title"], f"{e['score']:.4g}",
                  *([e["explanation"]["text"]] if "explanation" in e else []))
    out.print(t)
