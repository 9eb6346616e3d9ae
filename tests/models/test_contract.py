"""Every registered model passes the contract of `tests/models/contract.py`: the interface's
behaviour, and the checks of each capability it declares. A new model is checked by being
registered; ``FAST`` only makes the slow ones quick on the embedded sample."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from fuserec import registry
from fuserec.data import Dataset
from fuserec.models import EASE, FoldsIn, ReadsText, Recommender, SimilarItems

from .contract import (
    CAPABILITY_CHECKS,
    check_clone_parity,
    check_cost,
    check_declared_methods,
    check_not_fitted,
    check_reads_text,
    check_seen_excluded_and_padding,
    check_unknown_user,
    missing_methods,
)

FAST: dict[str, dict] = {
    "semantic-profile": {"encoder": "tfidf"}, "text-trend": {"encoder": "tfidf"},
    "text-ease": {"encoder": "tfidf", "regs": (300.0,), "alphas": (0.0, 1.0), "powers": (3,), "n_val": 1},
    "text-mapped-factors": {"encoder": "tfidf"},
    "text-regularized-als": {"encoder": "tfidf", "iterations": 4, "factors": 16},
    "neural-hybrid": {"encoder": "tfidf", "epochs": 2, "factors": 16},
    "sasrec": {"epochs": 3, "factors": 16},
    "mf": {"epochs": 5}, "svdpp": {"epochs": 3}, "als": {"iterations": 5, "factors": 16},
    "bpr": {"iterations": 10, "factors": 16, "num_threads": 1},
    "reranker": {"encoder": "tfidf", "pool": 30, "n_folds": 1, "n_estimators": 30, "n_topics": 4},
    "reranker-cf": {"pool": 30, "n_folds": 1, "n_estimators": 30},
}
"""Smaller settings for the models whose defaults are slow (fewer epochs, TF-IDF for MiniLM)."""

VARIANTS: dict[str, tuple[str, dict]] = {
    "ease/sparse": ("ease", {"form": "sparse", "nnz_per_item": 10}),
    "text-ease/sparse": ("text-ease", {"form": "sparse", "nnz_per_item": 10, "text_neighbours": 10}),
    "sasrec/text": ("sasrec", {"encoder": "tfidf"}),
}
"""Other forms of a registered model that the whole contract also runs over: name/form → (name, settings)."""


@pytest.fixture(scope="module")
def data(sample: Dataset) -> Dataset:
    """The embedded sample with a seeded friendship graph, so the social model has one to read."""
    rng = np.random.default_rng(0)
    edges = rng.integers(0, sample.n_users, size=(4 * sample.n_users, 2))
    return replace(sample, social=pd.DataFrame(edges, columns=["user", "friend"]))


def build(name: str) -> Recommender:
    base, settings = VARIANTS.get(name, (name, {}))
    entry = registry.REGISTRY[base]
    fast = {k: v for k, v in FAST.get(base, {}).items() if k in entry.cls().get_params(deep=False)}
    return entry.build(check_installed=False, **(fast | settings))


_fitted: dict[str, Recommender] = {}


@pytest.fixture
def fitted(request, data: Dataset) -> Recommender:
    name = request.param
    if name not in _fitted:
        _fitted[name] = build(name).fit(data)
    return _fitted[name]


NAMES = registry.names()
FORMS = NAMES + list(VARIANTS)  # every registered model, and the other forms some can fit in


@pytest.mark.parametrize("name", NAMES)
def test_declared_capabilities_are_implemented(name):
    check_declared_methods(registry.REGISTRY[name].cls)


@pytest.mark.parametrize("name", NAMES)
def test_an_unfitted_model_says_so(name):
    check_not_fitted(build(name))


@pytest.mark.parametrize("name", FORMS)
def test_the_cost_of_a_fit_is_stated_before_it(name, data):
    check_cost(build(name), data)


@pytest.mark.parametrize("name", [n for n in NAMES if ReadsText in registry.REGISTRY[n].cls.capabilities()])
def test_text_is_read_through_named_encoders(name):
    check_reads_text(build(name))


@pytest.mark.parametrize("fitted", FORMS, indirect=True)
def test_lists_exclude_training_items_and_pad_at_the_end(fitted, data):
    check_seen_excluded_and_padding(fitted, data)


@pytest.mark.parametrize("fitted", FORMS, indirect=True)
def test_an_unknown_user_is_a_key_error_naming_it(fitted):
    check_unknown_user(fitted)


@pytest.mark.parametrize("fitted", FORMS, indirect=True)
def test_a_clone_refit_under_the_same_seed_gives_the_same_lists(fitted, data):
    check_clone_parity(fitted, data)


DECLARED = {name: registry.REGISTRY[VARIANTS.get(name, (name,))[0]].cls.capabilities() for name in FORMS}
CASES = [(name, cap) for name in FORMS for cap in CAPABILITY_CHECKS if cap in DECLARED[name]]
CASES += [(name, FoldsIn) for name in FORMS if FoldsIn not in DECLARED[name]]  # those must refuse to fold in


@pytest.mark.parametrize(("fitted", "capability"), CASES, indirect=["fitted"],
                         ids=[f"{n}-{c.__name__}" for n, c in CASES])
def test_each_declared_capability_keeps_its_promise(fitted, capability, data):
    if capability in fitted.capabilities() and not fitted.supports(capability):
        pytest.skip(f"{type(fitted).__name__} withdraws {capability.__name__} with these settings")
    CAPABILITY_CHECKS[capability](fitted, data)


# ---- the contract checks itself: a model that leaves out a declared method is named ----
class _Forgetful(EASE):
    """EASE with its similar items taken away, as a model that forgot a method would be."""

    @abstractmethod
    def similar_items(self, item: int) -> tuple[np.ndarray, str]: ...


def test_a_model_missing_a_method_of_a_declared_capability_fails_naming_it():
    assert missing_methods(_Forgetful) == ["SimilarItems.similar_items"]
    with pytest.raises(AssertionError, match="_Forgetful declares SimilarItems.similar_items"):
        check_declared_methods(_Forgetful)
    with pytest.raises(TypeError, match="similar_items"):
        _Forgetful()


def test_a_model_that_declares_nothing_supports_nothing(data):
    model = registry.build_model("random").fit(data)
    assert model.capabilities() == [] and not model.supports(SimilarItems) and not model.can_fold_in
    with pytest.raises(Exception, match="cannot fold in"):
        model.score_histories(sp.csr_matrix((1, data.n_items)))
