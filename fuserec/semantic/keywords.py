"""Keywords for items and users: KeyBERT with MMR diversity on our (cached) encoder, and a TF-IDF baseline.

Two modes. From the text itself (KeyBERT's usual one: candidate n-grams of each document), or
from a controlled vocabulary (``candidates``: e.g. the tags users gave other items), where the
language model can pick a word the text never says ("space" for a Sci-Fi title). Chinese text
is segmented with jieba first.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer, TfidfVectorizer

from fuserec.semantic.encoder_interface import Encoder
from fuserec.semantic.language import segment
from fuserec.semantic.text import TEMPLATE_WORDS

STOP_WORDS = sorted(ENGLISH_STOP_WORDS | TEMPLATE_WORDS)
TOKEN = r"(?u)\b[^\W\d_][\w'-]+\b"  # words that start with a letter: no bare years


def _backend(encoder: Encoder):
    from keybert.backend import BaseEmbedder

    class _Backend(BaseEmbedder):
        def embed(self, documents: list[str], verbose: bool = False) -> np.ndarray:
            return encoder.encode(list(documents), show_progress=verbose)

    return _Backend()


def _zrows(s: np.ndarray) -> np.ndarray:
    return (s - s.mean(axis=1, keepdims=True)) / np.maximum(s.std(axis=1, keepdims=True), 1e-12)


def _prior(prior: Sequence[float] | None, n: int) -> np.ndarray:
    if prior is None:
        return np.zeros(n)
    p = np.log(np.maximum(np.asarray(prior, dtype=np.float64), 1e-12))
    return (p - p.mean()) / max(p.std(), 1e-12)


def _mmr(rows: np.ndarray, word_sims: np.ndarray | None, top_n: int, diversity: float) -> list[list[int]]:
    out = []
    for row in rows:
        order = np.argsort(-row, kind="stable")
        if word_sims is None or diversity <= 0:
            out.append(list(order[:top_n]))
            continue
        pool = list(order[: max(top_n * 4, 20)])
        chosen = [pool.pop(0)]
        while pool and len(chosen) < top_n:
            redundancy = word_sims[np.ix_(pool, chosen)].max(axis=1)
            scores = (1 - diversity) * row[pool] - diversity * redundancy
            chosen.append(pool.pop(int(np.argmax(scores))))
        out.append(chosen)
    return out


def extract_keywords(texts: Sequence[str], encoder: Encoder, *, top_n: int = 5,
                     candidates: Sequence[str] | None = None, prior: Sequence[float] | None = None,
                     prior_weight: float = 0.0, diversity: float = 0.3,
                     ngram_range: tuple[int, int] = (1, 2)) -> list[list[str]]:
    """``top_n`` keywords per text, ranked by cosine to the text with MMR diversity (KeyBERT).

    ``candidates``: rank this vocabulary for every text instead of the text's own n-grams; each
    text's similarities are z-scored and ``prior_weight`` × the z-scored log of ``prior`` (e.g.
    how often each tag is used) is added.
    """
    texts = [segment(t) for t in texts]
    if candidates is not None:
        vocab = list(candidates)
        docs = encoder.encode(texts, show_progress=False)
        words = encoder.encode(vocab, show_progress=False)
        scores = _zrows(docs @ words.T) + prior_weight * _prior(prior, len(vocab))[None, :]
        return [[vocab[i] for i in row] for row in _mmr(scores, words @ words.T, top_n, diversity)]
    from keybert import KeyBERT

    kb = KeyBERT(model=_backend(encoder))
    vectorizer = CountVectorizer(ngram_range=ngram_range, stop_words=STOP_WORDS, token_pattern=TOKEN)
    out = []
    for text in texts:  # KeyBERT fits its candidate vectorizer per call; one text keeps candidates its own
        try:
            found = kb.extract_keywords(text, vectorizer=vectorizer, top_n=top_n, use_mmr=True, diversity=diversity)
        except ValueError:  # nothing left after stop words
            found = []
        out.append([kw for kw, _ in found])
    return out


def keyword_matrix(texts: Sequence[str], encoder: Encoder, *, vectors: np.ndarray | None = None, top_n: int = 5,
                   min_df: int = 2) -> tuple[sp.csr_matrix, list[str]]:
    """Every item's ``top_n`` keywords as a 0/1 items × vocabulary matrix, and the vocabulary.

    The vocabulary is the catalogue's own words (those in at least ``min_df`` texts); the
    language model picks each text's keywords from all of it, so a text may get a word that only
    other items' texts say ("pixar", "toy", "lego" for Toy Story; "bride", "wedding",
    "pregnancy" for Father of the Bride II). A word's cosine to a text is taken relative to its
    mean cosine over the catalogue: without that, a few hub words that sit near every text
    ("film-noir", "narnia" on ml-latest-small) are picked for most items (on ml-latest-small the
    most-used word goes from 5,926 items to 407). Texts with no words (a blank text is its
    item's id) get no keywords. ``vectors``: the texts' vectors under ``encoder`` when the caller
    has them already (they are not encoded again).
    """
    segmented = [segment(t) for t in texts]
    vec = CountVectorizer(stop_words=STOP_WORDS, token_pattern=TOKEN, min_df=min_df)
    try:
        vec.fit(segmented)
        vocab = list(vec.get_feature_names_out())
    except ValueError:  # no word in min_df texts: a tiny or wordless catalogue
        vocab = []
    analyse = vec.build_analyzer()
    rows = np.flatnonzero([bool(analyse(t)) for t in segmented])
    shape = (len(texts), len(vocab))
    top_n = min(top_n, len(vocab))
    if not top_n or not len(rows):
        return sp.csr_matrix(shape, dtype=np.float32), vocab
    docs = vectors[rows] if vectors is not None else encoder.encode([texts[int(i)] for i in rows], show_progress=False)
    words = encoder.encode(vocab, show_progress=False)
    mean = docs.mean(axis=0) @ words.T  # each word's mean cosine over the texts
    chunks = range(0, len(rows), 2048)
    picked = np.vstack([np.argpartition(-(docs[a:a + 2048] @ words.T - mean), top_n - 1, axis=1)[:, :top_n]
                        for a in chunks])
    data = np.ones(picked.size, dtype=np.float32)
    return sp.csr_matrix((data, (np.repeat(rows, top_n), picked.ravel())), shape=shape), vocab


def tfidf_keywords(texts: Sequence[str], *, top_n: int = 5, candidates: Sequence[str] | None = None,
                   prior: Sequence[float] | None = None, prior_weight: float = 0.0,
                   corpus: Sequence[str] | None = None, ngram_range: tuple[int, int] = (1, 2)) -> list[list[str]]:
    """The non-neural baseline: the text's n-grams with the highest TF-IDF weight, or, with
    ``candidates``, the vocabulary ranked by TF-IDF cosine to the text (plus the same prior)."""
    texts = [segment(t) for t in texts]
    fit_on = [segment(t) for t in corpus] if corpus is not None else texts
    if candidates is not None:
        vocab = list(candidates)
        vec = TfidfVectorizer(ngram_range=ngram_range, sublinear_tf=True)
        vec.fit(list(fit_on) + [segment(c) for c in vocab])
        sims = (vec.transform(texts) @ vec.transform([segment(c) for c in vocab]).T).toarray()
        scores = _zrows(sims) + prior_weight * _prior(prior, len(vocab))[None, :]
        return [[vocab[i] for i in row] for row in _mmr(scores, None, top_n, 0.0)]
    vec = TfidfVectorizer(ngram_range=ngram_range, stop_words=STOP_WORDS, sublinear_tf=True, token_pattern=TOKEN)
    vec.fit(fit_on)
    weights = vec.transform(texts)
    names = vec.get_feature_names_out()
    out = []
    for i in range(weights.shape[0]):
        row = weights.getrow(i)
        order = np.argsort(-row.data, kind="stable")[:top_n]
        out.append([names[j] for j in row.indices[order]])
    return out


def precision_at_k(predicted: Sequence[Sequence[str]], truth: Sequence[set[str]], k: int = 5) -> float:
    """Mean share of each item's first ``k`` keywords found among its true tags (case-insensitive)."""
    scores = [sum(p.lower() in t for p in pred[:k]) / k for pred, t in zip(predicted, truth, strict=True)]
    return float(np.mean(scores)) if scores else 0.0


PRIOR_GRID = (0.0, 0.25, 0.5, 1.0, 2.0)


def evaluate_tag_keywords(ds, encoder: Encoder, *, k: int = 5, seed: int = 0, min_count: int = 2) -> dict:
    """Keywords against users' own tags (ml-latest-small ``tags.csv``): LM vs TF-IDF, same protocol.

    Tagged items are split 60/20/20. The first part gives the tag vocabulary and its counts
    (tags of the evaluated items are never in the text: title and genres only); each method's
    prior weight is chosen on the second part; precision@k is measured once on the third.
    """
    import re

    import pandas as pd

    table = ds.item_table
    tagged = table[table["tags"] != ""].reset_index(drop=True)
    truth = [set(x.split("|")) for x in tagged["tags"]]
    texts = [re.sub(r"\s*\(\d{4}\)\s*$", "", str(t)) + ". " + str(g).replace("|", ", ")
             for t, g in zip(tagged["title"], tagged["genres"], strict=True)]
    perm = np.random.default_rng(seed).permutation(len(tagged))
    a, b = int(0.6 * len(perm)), int(0.8 * len(perm))
    vocab_part, val, test = perm[:a], perm[a:b], perm[b:]
    counts = pd.Series([tag for i in vocab_part for tag in truth[i]]).value_counts()
    counts = counts[counts >= min_count]
    vocab, prior = list(counts.index), counts.to_numpy()

    def run(method, idx, weight):
        sub = [texts[i] for i in idx]
        if method == "lm":
            kw = extract_keywords(sub, encoder, top_n=k, candidates=vocab, prior=prior, prior_weight=weight,
                                  diversity=0.0)
        else:
            kw = tfidf_keywords(sub, top_n=k, candidates=vocab, prior=prior, prior_weight=weight, corpus=texts)
        return precision_at_k(kw, [truth[i] for i in idx], k)

    result: dict[str, float] = {"vocabulary": len(vocab), "test_items": len(test)}
    for method in ("lm", "tfidf"):
        weight = max(PRIOR_GRID, key=lambda w: run(method, val, w))
        result[f"{method}_prior_weight"] = weight
        result[f"{method}_precision@{k}"] = run(method, test, weight)
    return result
