"""Music with friendships: Last.fm play counts and who follows whom. ALS beside what the user's
friends play, and a blend of the two whose weights are chosen on validation carved from train.
Needs the dataset in $FUSEREC_DATA_DIR; runs on the core install.

    FUSEREC_DATA_DIR=/path/to/datasets python examples/music.py
"""

from __future__ import annotations

import rich

from fuserec.data import load_dataset
from fuserec.data.split import split
from fuserec.evaluation import Experiment
from fuserec.registry import build_model

ds = load_dataset("lastfm")
splits = split(ds, "random", test_size=0.2, seed=0)
models = {
    "ALS": build_model("als:factors=64"),
    "friends' artists": build_model("social"),
    "ALS + friends": build_model({"name": "score-blend", "models": {
        "als": {"name": "als", "factors": 64}, "social": {"name": "social"}}}),
}
rich.print(Experiment(splits, models, task="ranking", ks=[10]).run().table("music with friendships"))
