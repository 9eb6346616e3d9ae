"""User semantics: a vector from the items a user interacted with, and a short profile text."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from fuserec.data.dataset import Dataset
from fuserec.semantic.encoder_interface import normalize_rows

DAY = 86_400


def user_vectors(ds: Dataset, item_vectors: np.ndarray, *, half_life_days: float | None = 365.0,
                 center: bool = True) -> np.ndarray:
    """One unit vector per user: Σ_i w_ui · v_i over the user's items, L2-normalised.

    w_ui = (r_ui − the user's mean rating) when ``center`` and the data has ratings (what the
    user liked pulls toward, what they disliked pushes away), else 1; times 2^(−age/half-life)
    when timestamps exist, age counted back from the user's latest interaction. Users whose
    weights cancel out (all ratings equal) fall back to the plain mean of their items.
    """
    inter = ds.interactions
    users = inter["user"].to_numpy()
    items = inter["item"].to_numpy()
    w = np.ones(len(inter))
    if center and ds.has_ratings and ds.rating_scale is not None:
        r = inter["rating"].to_numpy(np.float64)
        mean = np.bincount(users, weights=r, minlength=ds.n_users) / np.maximum(ds.user_counts(), 1)
        w = r - mean[users]
    if half_life_days and ds.has_timestamps:
        ts = inter["timestamp"].to_numpy(np.float64)
        latest = np.full(ds.n_users, -np.inf)
        np.maximum.at(latest, users, ts)
        w = w * np.power(2.0, -(latest[users] - ts) / (half_life_days * DAY))
    weights = sp.csr_matrix((w, (users, items)), shape=(ds.n_users, ds.n_items))
    vec = np.asarray(weights @ item_vectors)
    flat = np.linalg.norm(vec, axis=1) < 1e-9
    if flat.any():  # e.g. every rating equal: centring leaves nothing, so use the plain mean
        plain = sp.csr_matrix((np.ones(len(inter)), (users, items)), shape=(ds.n_users, ds.n_items))
        vec[flat] = np.asarray(plain[np.flatnonzero(flat)] @ item_vectors)
    return normalize_rows(vec)


def profile_text(ds: Dataset, user_index: int, *, top: int = 5, field: str = "genres") -> str:
    """A one-line summary of what a user likes: the most frequent values of ``field`` (e.g. genres)
    among the items they rated above their own mean (all their items if unrated)."""
    inter = ds.interactions[ds.interactions["user"] == user_index]
    if ds.has_ratings and len(inter):
        inter = inter[inter["rating"] >= inter["rating"].mean()]
    if field not in ds.item_table.columns or not len(inter):
        return ""
    values = ds.item_table[field].to_numpy()[inter["item"].to_numpy()]
    counts: dict[str, int] = {}
    for v in values:
        for part in str(v).split("|"):
            if part:
                counts[part] = counts.get(part, 0) + 1
    best = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return f"likes {', '.join(name for name, _ in best)}" if best else ""


def user_keywords(ds: Dataset, user_index: int, texts: list[str], encoder, *, top_n: int = 5,
                  max_items: int = 20) -> list[str]:
    """Keywords of what a user liked: KeyBERT over the texts of their best-rated (else latest) items."""
    from fuserec.semantic.keywords import extract_keywords

    inter = ds.interactions[ds.interactions["user"] == user_index]
    if not len(inter):
        return []
    if ds.has_ratings:
        inter = inter.sort_values("rating", ascending=False, kind="stable")
    elif ds.has_timestamps:
        inter = inter.sort_values("timestamp", ascending=False, kind="stable")
    doc = " ".join(texts[i] for i in inter["item"].to_numpy()[:max_items])
    return extract_keywords([doc], encoder, top_n=top_n)[0]
