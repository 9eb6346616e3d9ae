"""``fuserec models`` and ``fuserec config``: the model catalogue and run configurations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from fuserec.cli.common import out, reported

config_app = typer.Typer(help="Run configurations (TOML): check one, print the schema.", no_args_is_help=True)


def models_command(
    name: Annotated[str | None, typer.Argument(help="A model name: show its parameters.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Every model by name (the fused ones too), or one model's parameters, types, defaults and ranges."""
    import json

    from fuserec.registry import describe, names

    with reported():
        entries = [describe(name)] if name else [describe(n) for n in names()]
    if json_out:
        print(json.dumps(entries[0] if name else entries, indent=2, ensure_ascii=False, default=str))
        return
    if name:
        e = entries[0]
        out.print(f"[bold]{e['name']}[/] ({e['class']}{', preset of ' + e['preset_of'] if 'preset_of' in e else ''})"
                  f" · task {e['task']} · {'uses a language model' if e['uses_lm'] else 'no language model'}"
                  f" · can: {', '.join(e['capabilities']) or 'score only'}")
        out.print(e["summary"])
        t = Table("parameter", "type", "default", "allowed")
        for p in e["params"]:
            t.add_row(p["name"], p["type"], json.dumps(p["default"], default=str)[:60], p["allowed"] or "")
        out.print(t)
        return
    t = Table("name", "class", "task", "LM", "can", "summary", title=f"{len(entries)} models")
    for e in entries:
        t.add_row(e["name"], e["class"].rsplit(".", 1)[1] + (f" ({e['preset_of']})" if "preset_of" in e else ""),
                  e["task"], "yes" if e["uses_lm"] else "", ", ".join(e["capabilities"]), e["summary"][:60])
    out.print(t)


@config_app.command("check")
def config_check(files: Annotated[list[Path], typer.Argument(help="TOML files to validate.")]) -> None:
    """Validate run configurations (keys, types, ranges, model parameters); exit 2 on the first bad one."""
    from fuserec.config import load_config

    for path in files:
        with reported():
            config = load_config(path)
        out.print(f"[green]ok[/]: {path}: model {config.model_spec()['name']}, split {config.split.method}")


@config_app.command("schema")
def config_schema_command() -> None:
    """The JSON schema of a run configuration."""
    import json

    from fuserec.config import config_schema

    print(json.dumps(config_schema(), indent=2))
