"""The ``fuserec`` command: data, models, config, train, recommend, similar, explain, serve, evaluate, tune,
semantic, demo.

One module per command group; each only parses options, calls the library and prints. Shared
data-loading options and the one error handler live in ``fuserec.cli.common``.
"""

from __future__ import annotations

import typer

from fuserec.cli import data, experiments, explain, models_config, semantic, serve, train_and_recommend

app = typer.Typer(help="Language-model semantics fused with recommender systems.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
app.add_typer(data.app, name="data")
app.add_typer(semantic.app, name="semantic")
app.add_typer(models_config.config_app, name="config")
app.add_typer(serve.app, name="serve")
app.command("models")(models_config.models_command)
app.command("evaluate")(experiments.evaluate)
app.command("tune")(experiments.tune_command)
app.command("train")(train_and_recommend.train_command)
app.command("recommend")(train_and_recommend.recommend_command)
app.command("similar")(train_and_recommend.similar_command)
app.command("explain")(explain.explain_command)
app.command("demo")(train_and_recommend.demo)


def main() -> None:
    """Run the command line (the ``fuserec`` console script)."""
    app()


__all__ = ["app", "main"]
