"""Perturbations for robustness slices: each changes what it says, and nothing else."""

from __future__ import annotations

import numpy as np

from fuserec.evaluation.perturb import blank_texts, inject_noise, shuffle_items


def _pairs(ds):
    inter = ds.interactions
    return set(zip(ds.users.to_external(inter["user"]), ds.items.to_external(inter["item"]), strict=True))


def test_blank_texts_empties_a_share_of_items_and_leaves_the_input(sample):
    before = sample.item_table["title"].copy()
    out = blank_texts(sample, share=0.3, seed=0)
    blank = out.item_table["title"] == ""
    assert 0.2 < blank.mean() < 0.4
    assert (out.item_table.loc[~blank, "title"] == before[~blank]).all()
    assert (sample.item_table["title"] == before).all()  # the input is untouched
    assert (blank_texts(sample, 0.3, seed=0).item_table["title"] == out.item_table["title"]).all()
    assert not (blank_texts(sample, 0.3, seed=1).item_table["title"] == out.item_table["title"]).all()


def test_inject_noise_adds_new_pairs_only(sample):
    noisy = inject_noise(sample, share=0.1, seed=0)
    assert _pairs(sample) < _pairs(noisy)
    assert 0.08 * len(sample) < len(noisy) - len(sample) <= 0.1 * len(sample)
    assert not noisy.interactions.duplicated(["user", "item"]).any()
    lo, hi = sample.interactions["rating"].min(), sample.interactions["rating"].max()
    assert noisy.interactions["rating"].between(lo, hi).all()


def test_shuffle_items_keeps_every_interaction_and_title(sample):
    shuffled = shuffle_items(sample, seed=0)
    assert _pairs(shuffled) == _pairs(sample)
    assert not np.array_equal(shuffled.items.ids, sample.items.ids)
    titles = dict(zip(sample.items.ids, sample.item_table["title"], strict=True))
    assert all(titles[i] == t for i, t in zip(shuffled.items.ids, shuffled.item_table["title"], strict=True))
