"""Movies: EASE beside popularity on the MovieTweetings sample that ships with fuserec, then the
fused re-ranker when its extras are installed. No download, no data folder.

    python examples/movies.py
"""

from __future__ import annotations

import rich

from fuserec._core.extras import installed
from fuserec.data import load_dataset
from fuserec.data.split import split
from fuserec.evaluation import Experiment
from fuserec.registry import build_model

ds = load_dataset("movietweetings-100k")
splits = split(ds, "temporal", test_size=0.2)                 # the latest 20% of ratings are the test
models = {"popularity": build_model("popularity"), "ease": build_model("ease:reg=300")}
if installed("lightgbm") and installed("sentence_transformers"):   # pip install 'fuserec[text,rerank]'
    models["re-ranker"] = build_model({"name": "reranker", "n_folds": 1, "temporal": True,
                                       "retrievers": {"ease": {"name": "ease"}, "pop": {"name": "popularity"},
                                                      "semantic": {"name": "semantic-profile"}}})
results = Experiment(splits, models, task="ranking", ks=[10]).run(keep_models=True)
rich.print(results.table("movies: the latest 20% of ratings"))

ease = models["ease"].fit(splits[0].train)
user = ds.users.to_external([0])[0]
ids, _ = ease.recommend([user], k=5)                          # external ids in and out
print(f"top 5 for user {user}:", ds.item_titles(ds.items.to_index(ids[0])))
