"""Semantic search on ml-100k with the offline language models: English, free text, Chinese."""

from __future__ import annotations

import numpy as np

from fuserec.semantic.search import encoder_for
from fuserec.semantic.text import item_texts


def genres(ds):
    return ds.item_table.set_index("id")["genres"]


def test_item_text_templates(ml100k, ml_small):
    texts = item_texts(ml100k)
    assert texts[0] == "Toy Story (1995). Genres: Animation, Children's, Comedy"
    small = dict(zip(ml_small.items.ids, item_texts(ml_small), strict=True))
    assert small[1].startswith("Toy Story (1995). Genres: Adventure, Animation") and "Tags: pixar" in small[1]


def test_star_wars_neighbours(minilm_index):
    sw = minilm_index.find_item("Star Wars (1977)")
    top5 = [h.title for h in minilm_index.similar_to_item(sw, 5)]
    assert "Return of the Jedi (1983)" in top5 and "Empire Strikes Back, The (1980)" in top5
    assert "Star Wars (1977)" not in top5


def test_free_text_query_finds_animation(minilm_index, ml100k):
    g = genres(ml100k)
    hits = minilm_index.search("animated film for children", 10)
    assert sum(("Animation" in g[h.item_id]) or ("Children's" in g[h.item_id]) for h in hits) >= 3
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:], strict=False))


def test_chinese_query_goes_to_multilingual_and_finds_scifi(e5_index, ml100k):
    assert encoder_for("科幻电影") == "e5" and encoder_for("science fiction") == "minilm"
    g = genres(ml100k)
    hits = e5_index.search("科幻电影", 10)
    n_scifi = sum("Sci-Fi" in g[h.item_id] for h in hits)
    share = np.mean(["Sci-Fi" in x for x in g])  # about 6% of the catalogue
    assert n_scifi >= 5 and share < 0.08


def test_vectors_are_unit_length(minilm_index, e5_index):
    for idx in (minilm_index, e5_index):
        np.testing.assert_allclose(np.linalg.norm(idx.vectors, axis=1), 1.0, atol=1e-5)
        assert idx.vectors.shape == (1682, 384) and idx.vectors.dtype == np.float32
