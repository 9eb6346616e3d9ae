"""``fuserec explain``: why an artifact's model recommends an item to a user, in English or Chinese."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from fuserec.cli.common import fail, load_trained, out, reported
from fuserec.errors import DataError


def explanations(trained: Any, user: str, items: list[str], lang: str, llm: str | None = None) -> list[dict[str, Any]]:
    """Explanations of ``items`` for ``user`` from a loaded artifact, in the one explanation shape;
    with ``llm``, worded by that language model where the validator accepts its text."""
    from fuserec.artifacts.trained import lookup
    from fuserec.explain import Explainer

    index = lookup(trained.model.users_, user)
    if index is None or trained.model.seen_[index].nnz == 0:
        fail(DataError(f"user {user!r} has no training interactions to explain from", field="user"))
    with reported():  # a bad --llm, or its runtime missing, is named, not a traceback
        explainer = Explainer.for_artifact(trained, llm)
    try:
        positions = [explainer.index(i) for i in items]
    except KeyError as exc:
        fail(DataError(str(exc.args[0]), field="item"))
    return explainer.explain(positions, user=index, lang=lang)


def explain_command(
    model_dir: Annotated[Path, typer.Option("--model", help="Artifact folder (fuserec train --out).")],
    user: Annotated[str, typer.Option(help="The user id.")],
    item: Annotated[list[str], typer.Option(help="An item id (repeat for several).")],
    lang: Annotated[str, typer.Option(help="Language of the wording: en or zh.")] = "en",
    json_out: Annotated[bool, typer.Option("--json", help="Print the explanations as JSON.")] = False,
    llm: Annotated[str | None, typer.Option(help="Word them with a language model under a validator: local, "
                                                 "local:FILE.gguf or http://HOST/v1#MODEL.")] = None,
) -> None:
    """Why the model would recommend ITEM to USER: the history items, shared terms and popularity behind it."""
    import json

    from fuserec.explain import LANGUAGES

    if lang not in LANGUAGES:
        raise typer.BadParameter(f"--lang must be one of {', '.join(LANGUAGES)}")
    found = explanations(load_trained(model_dir), user, item, lang, llm)
    if json_out:
        print(json.dumps(found, ensure_ascii=False, default=str))
        return
    for e in found:
        out.print(f"[bold]{e['title']}[/] ({e['item']}): {e['text']}")
