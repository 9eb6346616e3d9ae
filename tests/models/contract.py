"""The behaviour every registered model owes its callers, and what each declared capability adds.

`tests/models/test_contract.py` runs every check here over every name in `fuserec.registry`; a
new model gets all of them by being registered. Each check raises ``AssertionError`` with a
message naming the model and what it broke, so that the failure reads as the contract's clause.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone

from fuserec.data import Dataset
from fuserec.errors import FoldInError, NotFittedError
from fuserec.models import (
    Attributes,
    ExplainsItems,
    FoldsIn,
    ReadsOrder,
    ReadsText,
    Recommender,
    SimilarItems,
    Tunes,
)
from fuserec.models.attribution import history_contributions
from fuserec.models.capabilities import required_methods
from fuserec.semantic.encoders import ENCODERS


def missing_methods(cls: type[Recommender]) -> list[str]:
    """``Capability.method`` for each method of a declared capability the class leaves abstract."""
    return [f"{cap.__name__}.{name}" for cap in cls.capabilities() for name in required_methods(cap)
            if getattr(cls, name, None) is None or getattr(getattr(cls, name), "__isabstractmethod__", False)]


def check_declared_methods(cls: type[Recommender]) -> None:
    """A model implements every method of every capability it declares."""
    missing = missing_methods(cls)
    assert not missing, f"{cls.__name__} declares {', '.join(missing)} but does not implement it"


def check_not_fitted(model: Recommender) -> None:
    """Before `fit`, every query raises `NotFittedError` naming the model."""
    name = type(model).__name__
    for call in (lambda: model.recommend_indices(np.array([0]), 5),
                 lambda: model.score_histories(sp.csr_matrix((1, 3))), lambda: model.get_state()):
        try:
            call()
        except NotFittedError as exc:
            assert name in str(exc), f"{name}: the not-fitted error does not name the model: {exc}"
        else:
            raise AssertionError(f"{name} answered a query before it was fitted")


def check_seen_excluded_and_padding(model: Recommender, data: Dataset) -> None:
    """Lists never hold a training item; asked for more than is left, a row pads with -1 at its end."""
    name, seen = type(model).__name__, data.matrix("binary")
    users = np.arange(min(40, data.n_users))
    idx, val = model.recommend_indices(users, data.n_items + 5)
    assert idx.shape == (len(users), data.n_items + 5), f"{name}: wrong list shape {idx.shape}"
    for row, u in enumerate(users):
        items = idx[row][idx[row] >= 0]
        own = set(seen.indices[seen.indptr[u]:seen.indptr[u + 1]].tolist())
        assert not own & set(items.tolist()), f"{name} recommended a training item to user {u}"
        assert len(set(items.tolist())) == len(items), f"{name} repeated an item for user {u}"
        assert len(items) <= data.n_items - len(own), f"{name}: user {u}'s list is longer than the unseen items"
        pads = np.flatnonzero(idx[row] < 0)
        assert len(pads) >= 5 and (pads == np.arange(len(items), idx.shape[1])).all(), \
            f"{name}: user {u}'s list is not padded with -1 at its end"
        assert np.all(np.diff(val[row][:len(items)]) <= 1e-6), f"{name}: user {u}'s list is not best first"
    ids, _ = model.recommend(data.users.ids[0], k=data.n_items + 1)
    assert ids[-1] is None, f"{name}: a list of external ids is not padded with None"


def check_unknown_user(model: Recommender) -> None:
    """An unknown user id is a ``KeyError`` that names it."""
    try:
        model.recommend("no-such-user-anywhere", k=5)
    except KeyError as exc:
        assert "no-such-user-anywhere" in str(exc), f"{type(model).__name__}: the error does not name the user"
    else:
        raise AssertionError(f"{type(model).__name__} recommended to a user it does not know")


def check_fold_in(model: Recommender, data: Dataset) -> None:
    """A model that folds in scores an empty history with finite numbers, and a training user's own
    row as it ranks that user (top-10 overlap); one that does not raises `FoldInError`."""
    name = type(model).__name__
    if not model.supports(FoldsIn):
        try:
            model.score_histories(sp.csr_matrix((1, data.n_items), dtype=np.float32))
        except FoldInError:
            return
        raise AssertionError(f"{name} does not support FoldsIn yet scored a history")
    empty = model.score_histories(sp.csr_matrix((1, data.n_items), dtype=np.float32))
    assert empty.shape == (1, data.n_items), f"{name}: an empty history gave shape {empty.shape}"
    assert not np.isnan(empty).any(), f"{name}: an empty history gave NaN scores"
    if not model.fold_in_reproduces_fit:  # type: ignore[attr-defined]
        return
    seen = data.matrix("binary")
    users = np.flatnonzero(np.diff(seen.indptr) >= 3)[:30]
    folded, _ = _top(model.score_histories(seen[users]), seen[users])
    fitted, _ = model.recommend_indices(users, 10)
    overlap = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(folded, fitted, strict=True)])
    assert overlap >= 0.8, f"{name}: folding in users' own rows agrees with their fitted lists on {overlap:.0%}"


def _top(scores: np.ndarray, seen: sp.csr_matrix, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
    from fuserec._core.topk import mask_seen, topk_indices

    return topk_indices(mask_seen(np.array(scores, dtype=np.float32), seen), k)


def check_clone_parity(model: Recommender, data: Dataset) -> None:
    """An unfitted clone, fitted on the same data, gives the same lists and scores (the seed
    fixes every random choice) unless the model says it is not `deterministic`."""
    name = type(model).__name__
    twin = clone(model)
    assert twin.get_params(deep=False).keys() == model.get_params(deep=False).keys()
    assert not twin.is_fitted, f"{name}: a clone is fitted"
    if not model.deterministic:
        return
    twin.fit(data)
    users = np.arange(min(40, data.n_users))
    a, sa = model.recommend_indices(users, 10)
    b, sb = twin.recommend_indices(users, 10)
    np.testing.assert_allclose(sb, sa, rtol=1e-4, atol=1e-5, err_msg=f"{name}: a refit clone scores differently")
    agree = np.mean(a == b)
    assert agree >= 0.95, f"{name}: a refit clone's lists agree on {agree:.0%} of positions"


def check_similar_items(model: Recommender, data: Dataset) -> None:
    """Similarities cover every item, are finite, and are symmetric where the model says so."""
    name = type(model).__name__
    items = np.flatnonzero(data.item_counts() > 0)[:5]
    rows = []
    for i in items:
        scores, method = model.similar_items(int(i))  # type: ignore[attr-defined]
        assert isinstance(method, str) and method, f"{name}: similar_items names no method"
        scores = np.asarray(scores)
        assert scores.shape == (data.n_items,) and np.isfinite(scores).all(), f"{name}: bad similarities"
        rows.append(scores)
    if model.symmetric_similarity:  # type: ignore[attr-defined]
        block = np.array(rows)[:, items]
        np.testing.assert_allclose(block, block.T, rtol=1e-5, atol=1e-6, err_msg=f"{name}: similarity not symmetric")


def check_attributes(model: Recommender, data: Dataset) -> None:
    """Contributions cover the history; where the model claims an exact split they sum to its score."""
    name = type(model).__name__
    seen = data.matrix("binary")
    user = int(np.flatnonzero(np.diff(seen.indptr) >= 4)[0])
    row, items = seen[user], np.arange(min(30, data.n_items))
    att = history_contributions(model, row, items)
    assert att.contributions.shape == (len(items), row.nnz), f"{name}: contributions of shape {att.contributions.shape}"
    assert set(att.history.tolist()) == set(row.indices.tolist()), f"{name}: attributed items outside the history"
    assert np.isfinite(att.contributions).all(), f"{name}: non-finite contributions"
    if model.exact_attribution:  # type: ignore[attr-defined]
        total = att.contributions.sum(axis=1) + (att.popularity if len(att.popularity) else 0)
        score = model.score_histories(row)[0, items]
        np.testing.assert_allclose(total, score, rtol=1e-3, atol=1e-5,
                                   err_msg=f"{name}: contributions do not add up to the score")


def check_reads_text(model: Recommender) -> None:
    """The encoders a model reads text through are known by name, and decide `uses_lm`."""
    names = model.text_encoders()  # type: ignore[attr-defined]
    unknown = [n for n in names if n not in ENCODERS]
    assert not unknown, f"{type(model).__name__} reads text through unknown encoders {unknown}"
    assert model.uses_lm == any(n != "tfidf" for n in model.text_encoder_names())


def check_tunes(model: Recommender, data: Dataset) -> None:
    """``fixed()`` is an unfitted model that, fitted again, makes the fitted model's lists."""
    fixed = model.fixed()  # type: ignore[attr-defined]
    name = type(model).__name__
    assert isinstance(fixed, Recommender) and not fixed.is_fitted, f"{name}.fixed() is not an unfitted model"
    users = np.arange(min(40, data.n_users))
    a, _ = model.recommend_indices(users, 10)
    b, _ = fixed.fit(data).recommend_indices(users, 10)
    assert np.mean(a == b) >= 0.95, f"{name}: refitting fixed() changed the lists"


def check_explains_items(model: Recommender, data: Dataset) -> None:
    """One mapping per item asked about, for a training user and for a history row."""
    items = model.recommend_indices(np.array([0]), 3)[0][0]
    for found in (model.explain_items(items, user=0),  # type: ignore[attr-defined]
                  model.explain_items(items, history=data.matrix("binary")[0])):  # type: ignore[attr-defined]
        assert len(found) == len(items) and all(isinstance(e, dict) for e in found)


def check_reads_order(model: Recommender, data: Dataset) -> None:
    """A training user's own sequence scores as the user is ranked; an empty one gives finite
    scores; the same items in another order score differently (the order is read)."""
    name = type(model).__name__
    seen = data.matrix("binary")
    users = np.flatnonzero(np.diff(seen.indptr) >= 3)[:30]
    sequences = [model.user_sequence(int(u)) for u in users]  # type: ignore[attr-defined]
    assert all(set(s.tolist()) <= set(seen[int(u)].indices.tolist()) for s, u in zip(sequences, users, strict=True)), \
        f"{name}: a user's sequence holds items outside their training row"
    scores = model.score_sequences(sequences)  # type: ignore[attr-defined]
    assert scores.shape == (len(users), data.n_items), f"{name}: sequence scores of shape {scores.shape}"
    replayed, _ = _top(scores, seen[users])
    fitted, _ = model.recommend_indices(users, 10)
    overlap = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(replayed, fitted, strict=True)])
    assert overlap >= 0.95, f"{name}: replaying users' own sequences agrees with their lists on {overlap:.0%}"
    empty = model.score_sequences([np.zeros(0, dtype=np.int64)])  # type: ignore[attr-defined]
    assert empty.shape == (1, data.n_items) and np.isfinite(empty).all(), f"{name}: an empty sequence"
    reordered = model.score_sequences([s[::-1] for s in sequences])  # type: ignore[attr-defined]
    assert not np.allclose(reordered, scores), f"{name}: reversing every sequence changed no score"


CAPABILITY_CHECKS = {FoldsIn: check_fold_in, SimilarItems: check_similar_items, Attributes: check_attributes,
                     Tunes: check_tunes, ExplainsItems: check_explains_items, ReadsOrder: check_reads_order}
"""The check each capability adds, run when a model supports it (`ReadsText` is checked unfitted)."""

__all__ = ["CAPABILITY_CHECKS", "ReadsText", "check_clone_parity", "check_declared_methods", "check_not_fitted",
           "check_reads_order", "check_reads_text", "check_seen_excluded_and_padding", "check_unknown_user",
           "missing_methods"]


def check_cost(model: Recommender, data: Dataset) -> None:
    """The estimate before a fit: finite, non-negative work, a peak at least the interactions it
    keeps, and no less work on ten times the users and interactions."""
    from fuserec._core.cost import DataShape, history_bytes

    shape = DataShape.of(data)
    bigger = DataShape(shape.users * 10, shape.items, shape.events * 10, shape.co_occurrences * 10)
    small, large = model.cost(shape), model.cost(bigger)
    for cost in (small, large):
        work = [cost.dense, cost.sparse, cost.boost, *cost.texts.values()]
        assert all(np.isfinite(w) and w >= 0 for w in work), (type(model).__name__, cost)
        assert sum(work) > 0, f"{type(model).__name__} states no work"
    assert small.peak >= history_bytes(shape), (type(model).__name__, small.peak)
    assert large.dense + large.sparse + large.boost >= small.dense + small.sparse + small.boost
    assert large.peak >= small.peak
