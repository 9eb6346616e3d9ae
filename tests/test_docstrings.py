"""Docstrings and comments say what and why; measured figures live in benchmark JSON.

A decimal with two or more places, a percentage or a p-value in a docstring or a comment of
``fuserec/`` is a figure copied by hand, which goes stale the next time the benchmark runs.
Doctests (a ``>>>`` prompt and the output after it) are exempt: they are checked by running them.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "fuserec"
FIGURE = re.compile(r"(?<![\w.])\d+\.\d{2,}(?![\w.])|\d\s?%|\bp\s?[<=>]\s?0?\.\d|\bp-values?\b", re.IGNORECASE)
DEFS = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def prose(path: Path) -> Iterator[tuple[int, str]]:
    """Every comment and docstring line of ``path`` with its line number, doctests left out."""
    source = path.read_text(encoding="utf-8")
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            yield token.start[0], token.string
    for node in ast.walk(ast.parse(source)):
        doc = ast.get_docstring(node, clean=False) if isinstance(node, DEFS) else None
        if not doc:
            continue
        start, in_doctest = node.body[0].lineno, False
        for offset, line in enumerate(doc.splitlines()):
            stripped = line.strip()
            if stripped.startswith((">>>", "...")):
                in_doctest = True
            elif in_doctest and stripped:
                continue
            else:
                in_doctest = False
                yield start + offset, line


def figures(root: Path) -> list[str]:
    return [f"{path.relative_to(root.parent)}:{number}: {line.strip()}"
            for path in sorted(root.rglob("*.py")) for number, line in prose(path) if FIGURE.search(line)]


def test_no_measured_figure_in_a_docstring_or_comment():
    assert figures(PACKAGE) == []


def test_the_check_finds_a_figure_and_spares_doctest_output(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "a.py").write_text(
        '"""Scores NDCG@10 0.4453 here.\n\n>>> round(0.12345, 4)\n0.1235\n"""\n'
        "x = 1  # up 12% on the test\n"
        "def f():\n    \"\"\"Significant (p < 0.05).\"\"\"\n", encoding="utf-8")
    found = figures(package)
    assert [line.split(":")[1] for line in found] == ["6", "1", "8"]


def _documented(doc: str) -> set[str]:
    """Names under the numpydoc ``Parameters`` heading of ``doc`` (``a, b : type`` lines too)."""
    section = re.search(r"^Parameters\n-+\n(.*?)(?:^\S[^\n]*\n-+\n|\Z)", doc, re.MULTILINE | re.DOTALL)
    if section is None:
        return set()
    names = set()
    for line in section.group(1).splitlines():
        if line and not line[0].isspace() and ":" in line:
            names |= {n.strip().lstrip("*") for n in line.split(":")[0].split(",")}
    return names


def test_every_registered_model_documents_each_parameter():
    import inspect

    from fuserec.registry import CLASSES

    missing = {name: sorted(set(inspect.signature(cls).parameters) - _documented(inspect.getdoc(cls) or ""))
               for name, cls in CLASSES.items()}
    assert {name: params for name, params in missing.items() if params} == {}
