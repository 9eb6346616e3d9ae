"""The static encoder distilled from MiniLM: made once offline, kept in the cache, close enough to
MiniLM on real titles to order them alike; ``encoder = "auto"`` picks it for large catalogues."""

from __future__ import annotations

import numpy as np
import pytest

from fuserec.config.schema import EncoderConfig
from fuserec.semantic import get_encoder
from fuserec.semantic.encoders import STATIC_FROM_ITEMS
from fuserec.semantic.static import StaticEncoder, default_path
from fuserec.semantic.text import item_texts


@pytest.fixture(scope="module")
def static(tmp_path_factory) -> StaticEncoder:
    return StaticEncoder(tmp_path_factory.mktemp("m2v") / "static")


def test_the_static_encoder_orders_titles_like_minilm(static, sample):
    texts = item_texts(sample)
    ref = get_encoder("minilm").encode(texts, show_progress=False)
    got = static.encode(texts, show_progress=False)
    assert got.shape == (len(texts), static.dim) and np.allclose(np.linalg.norm(got, axis=1), 1, atol=1e-5)
    upper = np.triu_indices(len(texts), 1)
    agreement = np.corrcoef((ref @ ref.T)[upper], (got @ got.T)[upper])[0, 1]
    assert agreement > 0.5, agreement
    shuffled = np.corrcoef((ref @ ref.T)[upper], np.random.default_rng(0).permutation((got @ got.T)[upper]))[0, 1]
    assert abs(shuffled) < 0.1


def test_a_distilled_encoder_is_loaded_not_distilled_again(static, monkeypatch):
    import fuserec.semantic.static as module

    def refuse(*args, **kwargs):
        raise AssertionError("distilled a second time")

    monkeypatch.setattr(module, "distill", refuse)
    again = StaticEncoder(static.path)
    np.testing.assert_array_equal(again.encode(["a red kettle"], show_progress=False),
                                  static.encode(["a red kettle"], show_progress=False))
    assert default_path().name.startswith("all-MiniLM-L6-v2-static")


def test_auto_means_minilm_for_a_small_catalogue_and_static_past_the_threshold():
    auto = EncoderConfig()
    assert auto.name == "auto"
    assert auto.for_items(STATIC_FROM_ITEMS) == "minilm" and auto.for_items(STATIC_FROM_ITEMS + 1) == "static"
    assert EncoderConfig(name="e5").for_items(10**7) == "e5"
