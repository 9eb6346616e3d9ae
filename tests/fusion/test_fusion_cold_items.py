"""Cold items on ml-latest-small: text mapped into the CF space against content-only profiles.

Protocol (issue 5): 20% of rated items held out as cold items; test = their ratings ≥ 4,
ranked among the cold items only; Recall@20 over users.
"""

from __future__ import annotations

import pytest

from fuserec.data.split import cold_items_split
from fuserec.errors import UsageError
from fuserec.evaluation import evaluate_ranking
from fuserec.fusion import TextMappedFactors
from fuserec.fusion.content import SemanticProfile
from fuserec.models import ALS


@pytest.fixture(scope="module")
def cold(ml_small):
    split = cold_items_split(ml_small, 0.2, seed=0)
    mask = split.cold_items()
    return split, mask


def recall20(model, split, mask):
    return evaluate_ranking(model.fit(split.train), split, [20], min_rating=4.0, candidates=mask).metrics["recall@20"]


def test_text_mapped_factors_beat_content_profiles_on_cold_items(cold, ml_small):
    split, mask = cold
    profile = max(recall20(SemanticProfile("tfidf"), split, mask), recall20(SemanticProfile("minilm"), split, mask))
    mapped = TextMappedFactors(ALS(factors=64), encoder="minilm", alpha=10.0)
    r_mapped = recall20(mapped, split, mask)
    assert mapped.cold_items_ == mask.sum() + (ml_small.item_counts() == 0).sum()  # + 18 never-rated movies
    assert 0.06 < profile < 0.10  # the content-only baselines (0.079 TF-IDF, 0.072 MiniLM here)
    assert r_mapped >= 2.0 * profile  # measured 0.2575
    assert r_mapped > 0.2


def test_needs_a_factor_model(ml_small):
    from fuserec.models import EASE

    with pytest.raises(UsageError, match="factor model"):
        TextMappedFactors(EASE(), encoder="tfidf").fit(ml_small)


def test_text_regularised_als_pulls_items_toward_their_text_and_scores_cold_ones(cold, ml_small):
    import numpy as np

    from fuserec.fusion import TextRegularizedALS

    split, mask = cold
    free = TextRegularizedALS("minilm", text_weight=0.0, iterations=8).fit(split.train)
    pulled = TextRegularizedALS("minilm", text_weight=300.0, iterations=8).fit(split.train)
    text = pulled.map_.predict  # W·x: where each item's factors are pulled
    from fuserec.semantic import SemanticIndex

    x = SemanticIndex(split.train, "minilm", show_progress=False).vectors
    warm = split.train.item_counts() > 0

    def gap(model):  # how far warm items' factors sit from the model's own text map, relative to their size
        w = model.item_factors_[warm]
        return float(np.linalg.norm(w - model.map_.predict(x[warm])) / np.linalg.norm(w))

    assert gap(pulled) < 0.85 * gap(free)  # the pull is real (measured 0.75 vs 0.94): factors move toward the text
    assert np.allclose(pulled.item_factors_[~warm], text(x[~warm]), atol=1e-5)  # no interaction: the text's factors
    assert pulled.cold_items_ == (~warm).sum()
    assert recall20(pulled, split, mask) > 0.2  # measured 0.234; content-only profiles 0.07-0.08, random 0.013


def test_text_regularised_als_rejects_bad_settings(ml_small):
    from fuserec.fusion import TextRegularizedALS

    with pytest.raises(ValueError, match="text_weight"):
        TextRegularizedALS("tfidf", text_weight=-1.0).fit(ml_small)
    with pytest.raises(ValueError, match="factors"):
        TextRegularizedALS("tfidf", factors=0).fit(ml_small)
