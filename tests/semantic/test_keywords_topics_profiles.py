"""Keywords (LM vs TF-IDF against users' own tags), topics, and user semantics."""

from __future__ import annotations

import numpy as np
import pytest

from fuserec.semantic import SemanticIndex
from fuserec.semantic.keywords import (
    evaluate_tag_keywords,
    extract_keywords,
    keyword_matrix,
    precision_at_k,
    tfidf_keywords,
)
from fuserec.semantic.profiles import profile_text, user_keywords, user_vectors
from fuserec.semantic.topics import fit_topics, user_topic_distribution


def test_lm_keywords_beat_tfidf_on_user_tags(ml_small, cache):
    from fuserec.semantic import CachedEncoder, get_encoder

    result = evaluate_tag_keywords(ml_small, CachedEncoder(get_encoder("minilm"), cache))
    print(result)
    assert result["test_items"] > 300 and result["vocabulary"] > 300
    assert result["lm_precision@5"] > result["tfidf_precision@5"] > 0


def test_keybert_keywords_from_own_text(minilm_index):
    texts = ["Star Wars (1977). Genres: Action, Adventure, Romance, Sci-Fi, War"]
    kw = extract_keywords(texts, minilm_index.encoder, top_n=3)[0]
    assert len(kw) == 3 and not any(k in ("genres", "1977") for k in kw)
    assert any("star" in k or "sci-fi" in k for k in kw)
    base = tfidf_keywords(texts, top_n=3, corpus=minilm_index.texts)[0]
    assert len(base) == 3


def test_keyword_matrix_picks_catalogue_words_without_hubs(minilm_index, ml100k):
    kw, vocab = keyword_matrix(minilm_index.texts, minilm_index.encoder, top_n=5)
    assert kw.shape == (ml100k.n_items, len(vocab)) and len(vocab) > 500
    assert set(np.diff(kw.indptr)) == {5} and set(kw.data) == {1.0}
    assert not any(w in ("genres", "1995") or w[0].isdigit() for w in vocab)
    star_wars = next(i for i, t in enumerate(minilm_index.texts) if t.startswith("Star Wars (1977)"))
    words = {vocab[j] for j in kw[star_wars].indices}
    assert words & {"star", "wars", "jedi", "sci-fi", "space", "galaxy", "trek"}, words
    # relative to each word's mean cosine, no word is everyone's keyword; by raw cosine a few hub
    # words would be picked for far more items
    uses = np.asarray(kw.sum(axis=0)).ravel()
    words_vec = minilm_index.encoder.encode(vocab, show_progress=False)
    raw = np.argsort(-(minilm_index.vectors @ words_vec.T), axis=1)[:, :5]
    raw_uses = np.bincount(raw.ravel(), minlength=len(vocab))
    print("most used:", vocab[int(uses.argmax())], uses.max(), "by raw cosine:", vocab[int(raw_uses.argmax())],
          raw_uses.max())
    assert uses.max() < 0.2 * ml100k.n_items and uses.max() < 0.5 * raw_uses.max()
    # a text with no words (a blanked item's text is its id) gets no keywords
    kw2, _ = keyword_matrix(["1234", *minilm_index.texts[:50]], minilm_index.encoder)
    assert kw2[0].nnz == 0 and kw2[1].nnz == 5
    empty, words = keyword_matrix(["12", "Alien (1979)"], minilm_index.encoder)  # no word in two texts
    assert empty.shape == (2, 0) and words == []


def test_chinese_keywords_are_words(e5_index):
    kw = extract_keywords(["这是一部关于太空旅行和外星人的科幻电影"], e5_index.encoder, top_n=3, ngram_range=(1, 1))[0]
    assert kw and all(len(k) >= 2 for k in kw)  # jieba words, not single characters
    assert any(k in ("太空", "科幻电影", "外星人", "太空旅行") for k in kw)


def test_precision_at_k():
    assert precision_at_k([["a", "b", "c", "d", "e"]], [{"a", "c"}]) == pytest.approx(0.4)


def test_topics_group_genres(minilm_index, ml100k):
    topics = fit_topics(minilm_index.vectors, minilm_index.texts, 12)
    assert topics.n_topics == 12 and len(topics.labels) == ml100k.n_items
    assert all(1 <= len(w) <= 6 for w in topics.words)
    assert not any(w in ("genres", "1995") for words in topics.words for w in words)
    # the animation cluster: most Animation titles share one topic
    anim = ml100k.item_table["genres"].str.contains("Animation").to_numpy()
    assert np.bincount(topics.labels[anim]).max() / anim.sum() > 0.6
    dist = user_topic_distribution(ml100k, topics)
    np.testing.assert_allclose(dist.sum(axis=1), 1.0)


def test_user_vectors_point_at_what_users_like(minilm_index, ml100k):
    u = user_vectors(ml100k, minilm_index.vectors)
    assert u.shape == (943, 384)
    np.testing.assert_allclose(np.linalg.norm(u, axis=1), 1.0, atol=1e-5)
    # a user's vector is closer to items they rated high than to items they rated low
    inter = ml100k.interactions
    gaps = []
    for user in range(50):
        rows = inter[inter["user"] == user]
        hi = rows.loc[rows["rating"] >= 4, "item"].to_numpy()
        lo = rows.loc[rows["rating"] <= 2, "item"].to_numpy()
        if len(hi) and len(lo):
            s = minilm_index.vectors @ u[user]
            gaps.append(s[hi].mean() - s[lo].mean())
    assert np.mean(np.array(gaps) > 0) > 0.8
    assert profile_text(ml100k, 0).startswith("likes ")


def test_index_with_tfidf(ml100k, cache):
    idx = SemanticIndex(ml100k, "tfidf", cache=cache, show_progress=False)
    top = [h.title for h in idx.similar_to_item(idx.find_item("Star Wars (1977)"), 10)]
    assert "Return of the Jedi (1983)" in top or "Empire Strikes Back, The (1980)" in top


def test_user_keywords_reflect_liked_items(minilm_index, ml100k):
    kw = user_keywords(ml100k, 0, minilm_index.texts, minilm_index.encoder, top_n=5)
    assert len(kw) == 5
    liked = " ".join(minilm_index.texts[i] for i in ml100k.interactions.loc[
        (ml100k.interactions["user"] == 0) & (ml100k.interactions["rating"] == 5), "item"]).lower()
    assert sum(any(w in liked for w in k.split()) for k in kw) >= 4  # words from what the user rated highly
