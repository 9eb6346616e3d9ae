"""Shopping reviews: Amazon All_Beauty, items read by their title, brand and reviews. EASE beside
text-EASE (EASE with the items' text similarity in its Gram matrix) and the content baseline.
Needs the dataset in $FUSEREC_DATA_DIR and the text extra (pip install 'fuserec[text]').

    FUSEREC_DATA_DIR=/path/to/datasets python examples/shopping.py
"""

from __future__ import annotations

import rich

from fuserec.data import load_dataset
from fuserec.data.split import split
from fuserec.evaluation import Experiment
from fuserec.registry import build_model

ds = load_dataset("amazon-all-beauty")
splits = split(ds, "random", test_size=0.2, seed=0)
models = {name: build_model(spec) for name, spec in {
    "EASE": "ease", "text-EASE (MiniLM)": "text-ease", "content (TF-IDF)": "tfidf-profile"}.items()}
rich.print(Experiment(splits, models, task="ranking", ks=[10]).run().table("shopping reviews"))
