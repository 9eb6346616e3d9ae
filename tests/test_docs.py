"""The front door: the README's limits, the generated pages current, figures only from JSON."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
DECIMAL = re.compile(r"(?<![\w.])\d+\.\d{2,}(?![\w.])")
VERSION = re.compile(r"(?:Python|python|==|>=)\s*\d+(?:\.\d+)+")  # versions are not figures


def _renderer():
    spec = importlib.util.spec_from_file_location("render_docs", ROOT / "scripts" / "render_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_is_short_and_links_only_inside_the_repo():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) < 150
    assert len(text) < 12_000
    assert max(map(len, text.splitlines())) <= 300
    for target in LINK.findall(text):
        assert "://" not in target, target
        path = (ROOT / target.split("#")[0]).resolve()
        assert path.is_relative_to(ROOT) and path.exists(), target


def test_the_generated_pages_and_the_readme_table_are_current():
    assert _renderer().stale() == []


def test_the_catalogue_names_every_registered_model():
    from fuserec.registry import names

    catalogue = (DOCS / "reference" / "models.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in catalogue for name in names())


def test_figures_appear_only_in_pages_rendered_from_json():
    generated = {path.resolve() for path in _renderer().render()}
    for path in [ROOT / "README.md", *DOCS.rglob("*.md")]:
        text = path.read_text(encoding="utf-8")
        if path.resolve() == (ROOT / "README.md").resolve():
            start, end = text.index("<!-- results:start -->"), text.index("<!-- results:end -->")
            text = text[:start] + text[end:]
        elif path.resolve() in generated:
            continue
        assert DECIMAL.findall(VERSION.sub("", text)) == [], path.relative_to(ROOT)
