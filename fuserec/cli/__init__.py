"""The ``fuserec`` command: data, models, config, train, recommend, similar, explain, serve, evaluate, tune,
semantic, demo.

One module per command group; each only parses options, calls the library and prints. Shared
data-loading options and the one error handler live in ``fuserec.cli.common``.
"""

from __future__ import annotations

import typer

from fuserec.cli import catalog, data, experiments, explain, product, semantic, serve

app = typer.Typer(help="Language-model semantics fused with recommender systems.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
app.add_typer(data.app, name="data")
app.add_typer(semantic.app, name="semantic")
app.add_typer(catalog.config_app, name="config")
app.add_typer(serve.app, name="serve")
app.command("models")(catalog.models_command)
app.command("evaluate")(experiments.evaluate)
app.command("tune")(experiments.tune_command)
app.command("train")(product.train_command)
app.command("recommend")(product.recommend_command)
app.command("similar")(product.similar_command)
app.command("explain")(explain.explain_command)
app.command("demo")(product.demo)


def main() -> None:
    """Run the command line (the ``fuserec`` console script)."""
    app()


__all__ = ["app", "main"]
