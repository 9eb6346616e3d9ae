"""The package's shape: layers import downward only and every package is in the contract, no
module or function is long, no code outside the model packages reaches into a model, and importing
the model layer loads nothing above it."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "fuserec"
MODEL_PACKAGES = ("fuserec/models/", "fuserec/fusion/")
INTERFACE_ATTRIBUTES = {"users_", "items_", "seen_", "rating_scale_"}  # learned state every model has

LONG_FUNCTIONS = {
    # torch's nn.Module can only be subclassed once torch is imported; the class lives in a function
    # so that importing fuserec.fusion does not import torch.
    "fuserec/fusion/hybrid_net.py::build_net",
}
"""Functions allowed over 60 lines, each with its reason."""

REACHES_INTO_MODELS: dict[str, str] = {}
"""``path:line`` of code outside the model packages allowed to name a model class or read a
model's learned attribute, each with its reason (none today)."""


def _layers() -> list[str]:
    contract = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"][0]
    return [part.strip() for layer in contract["layers"] for part in layer.split("|")]


def _modules() -> dict[str, ast.Module]:
    return {str(p.relative_to(ROOT)): ast.parse(p.read_text()) for p in sorted(PACKAGE.rglob("*.py"))}


def test_the_layers_contract_lists_every_package_and_module_of_fuserec_and_nothing_else():
    top = {f"fuserec.{p.stem}" for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    top |= {f"fuserec.{p.name}" for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert set(_layers()) == top


def test_no_module_is_over_400_lines():
    long = {str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text().splitlines())) > 400}
    assert long == {}


def test_no_function_is_over_60_lines():
    long = {f"{path}::{node.name}": node.end_lineno - node.lineno + 1  # type: ignore[operator]
            for path, tree in _modules().items() for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno - node.lineno >= 60}
    assert set(long) - LONG_FUNCTIONS == set(), long
    assert LONG_FUNCTIONS <= set(long), "an exception is listed that is no longer needed"


def _model_classes_and_learned_attributes() -> tuple[set[str], set[str]]:
    """Names of the classes that subclass the model interface, and every ``self.<name>_`` they assign."""
    from fuserec import registry
    from fuserec.models import Recommender

    classes = {"Recommender"}
    for cls in registry.CLASSES.values():
        classes |= {c.__name__ for c in cls.__mro__ if issubclass(c, Recommender)}
    learned = set()
    for path, tree in _modules().items():
        if path.startswith(MODEL_PACKAGES):
            for node in ast.walk(tree):
                if (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
                        and isinstance(node.value, ast.Name) and node.value.id == "self"
                        and node.attr.endswith("_") and not node.attr.startswith("__")):
                    learned.add(node.attr)
    return classes - {"Recommender"}, learned - INTERFACE_ATTRIBUTES


def _reaches(tree: ast.Module, classes: set[str], learned: set[str]) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and len(node.args) >= 2:
            target = node.args[1]
            names = {n.id if isinstance(n, ast.Name) else n.attr for n in ast.walk(target)
                     if isinstance(n, ast.Name | ast.Attribute)}
            if node.func.id in ("isinstance", "issubclass") and names & classes:
                found.append((node.lineno, f"{node.func.id} against {sorted(names & classes)}"))
            if (node.func.id in ("getattr", "hasattr", "setattr") and isinstance(target, ast.Constant)
                    and isinstance(target.value, str) and target.value.endswith("_")
                    and not target.value.startswith("__") and target.value not in INTERFACE_ATTRIBUTES):
                found.append((node.lineno, f"{node.func.id}(…, {target.value!r})"))
        if isinstance(node, ast.Attribute) and node.attr in learned:
            found.append((node.lineno, f"reads .{node.attr}"))
    return found


def test_no_code_outside_the_model_packages_names_a_model_class_or_reads_a_learned_attribute():
    classes, learned = _model_classes_and_learned_attributes()
    assert {"EASE", "ALS", "LearnedReranker"} <= classes and {"item_factors_", "item_weights_"} <= learned
    offences = [f"{path}:{line}: {what}" for path, tree in _modules().items() if not path.startswith(MODEL_PACKAGES)
                for line, what in _reaches(tree, classes, learned)
                if f"{path}:{line}" not in REACHES_INTO_MODELS]
    assert offences == []


def test_the_check_finds_what_it_looks_for():
    classes, learned = _model_classes_and_learned_attributes()
    tree = ast.parse("isinstance(m, ALS)\nhasattr(m, 'fixed_')\ngetattr(m, 'item_factors_', None)\nm.item_weights_\n"
                     "isinstance(m, Recommender)\nm.seen_\n")
    assert [line for line, _ in _reaches(tree, classes, learned)] == [1, 2, 3, 4]


def test_importing_the_model_layer_loads_nothing_above_it():
    code = ("import sys, fuserec.models\n"
            "above = sorted(m for m in sys.modules if m.split('.')[:2] in "
            "(['fuserec', 'registry'], ['fuserec', 'fusion'], ['fuserec', 'artifacts'], ['fuserec', 'serving']))\n"
            "print(above)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
    timed = subprocess.run([sys.executable, "-X", "importtime", "-c", "import fuserec.models"], capture_output=True,
                           text=True, check=True).stderr
    loaded = {line.rsplit("|", 1)[-1].strip() for line in timed.splitlines()}
    above = {m for m in loaded if m.startswith(("fuserec.registry", "fuserec.fusion"))}
    assert "fuserec.models" in loaded and not above
