"""The package's shape: every package sits in a layer of the import contract, no module is long,
and the old import paths still work, with a DeprecationWarning."""

from __future__ import annotations

import importlib
import tomllib
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "fuserec"


def _layers() -> set[str]:
    contract = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"][0]
    names = set()
    for layer in contract["layers"]:
        names |= {part.strip().strip("()") for part in layer.split("|")}
    return names


def test_the_layers_contract_lists_every_package_and_module_of_fuserec():
    top = {f"fuserec.{p.stem}" for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    top |= {f"fuserec.{p.name}" for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert top - _layers() == set()


def test_no_module_is_over_400_lines():
    long = {str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text().splitlines())) > 400}
    assert long == {}


@pytest.mark.parametrize(("old", "name", "new"), [
    ("fuserec.models", "TextEASE", "fuserec.fusion.text_ease"),
    ("fuserec.models", "ScoreBlend", "fuserec.fusion.blend"),
    ("fuserec.models", "TextRegularizedALS", "fuserec.fusion.text_mf"),
    ("fuserec.models.hybrid", "NeuralHybrid", "fuserec.fusion.hybrid"),
    ("fuserec.models.content", "SemanticProfile", "fuserec.fusion.content"),
    ("fuserec.evaluation.topk", "topk_indices", "fuserec._core.topk"),
])
def test_old_import_paths_warn_and_give_the_same_object(old, name, new):
    module = importlib.import_module(old)
    with pytest.warns(DeprecationWarning, match=new):
        value = getattr(module, name)
    assert value is getattr(importlib.import_module(new), name)


def test_new_import_paths_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        from fuserec.fusion import LearnedReranker, TextEASE  # noqa: F401
        from fuserec.models import EASE  # noqa: F401
