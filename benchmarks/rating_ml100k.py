"""Rating prediction, fuserec beside Surprise, on the same folds in the same run.

ml-100k: the canonical folds u1..u5. ml-latest-small and MovieTweetings-100K: one temporal
80/20 split (the latest ratings are the test; users and items first seen there are predicted
from what is known, by every system). Rows: RMSE and MAE mean ± std over folds, fit seconds per
fold, for our models and Surprise's BaselineOnly, SVD, SVD++ and KNNBaseline.

    python benchmarks/rating_ml100k.py [--dataset NAME] [--folds u1 u2 ...] [--json PATH] [--no-peers]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
from common import data_dir, row, write_json  # noqa: E402

from fuserec.data import load_dataset  # noqa: E402
from fuserec.data.split import ml100k_folds, temporal_split  # noqa: E402
from fuserec.evaluation import Experiment  # noqa: E402
from fuserec.models import Recommender  # noqa: E402
from fuserec.registry import build_model, to_spec  # noqa: E402

DATASETS = ("ml-100k", "ml-latest-small", "movietweetings-100k")
MAX_USERS_FOR_USER_KNN = 10_000  # a dense user×user similarity beyond this costs gigabytes
BLEND_MEMBERS = {"mf": build_model("mf"), "svdpp": build_model("svdpp"), "knn-item": build_model("knn-baseline"),
                 "knn-user": build_model("knn-baseline:user_based=True")}


def our_models(n_users: int) -> dict[str, Recommender]:
    """Label → model, every one built from the registry."""
    user_knn = {"KNNBaseline (user, pearson_baseline)": "knn-baseline:user_based=True"}
    # the members Blend fits by default, as specs, so that the hybrid can join them
    members = {name: to_spec(m) for name, m in BLEND_MEMBERS.items()}
    specs: dict[str, str | dict] = {
        "BaselineOnly": "baseline",
        "KNNBaseline (item, pearson_baseline)": "knn-baseline",
        **(user_knn if n_users <= MAX_USERS_FOR_USER_KNN else {}),
        "BiasedMF (SGD)": "mf:verbose=False",
        "BiasedMF (Surprise SVD's default settings)": "mf:factors=100,epochs=20,lr=0.005,reg=0.02,verbose=False",
        "SVD++": "svdpp:verbose=False",
        "Blend (ridge, FWLS)": "blend",
        # fused with the language model: item text (MiniLM) inside the model, and that model in the blend
        "neural hybrid (ID + MiniLM text, MSE)": hybrid(),
        "Blend + neural hybrid (LM)": {"name": "blend", "models": {**members, "hybrid": hybrid()}},
        # the ablation: the same hybrid with IDs only, so the gain above is the text's, not one more member's
        "Blend + neural hybrid, IDs only (no LM)": {"name": "blend", "models": {**members, "hybrid": hybrid(None)}},
    }
    return {label: build_model(spec) for label, spec in specs.items()}


def hybrid(encoder: str | None = "minilm") -> dict:
    return {"name": "neural-hybrid", "encoder": encoder, "loss": "mse", "lr": 2e-3, "reg": 1e-4, "max_epochs": 40,
            "patience": 3}


def surprise_models(n_users: int) -> dict:
    from surprise import SVD
    from surprise import BaselineOnly as SBaseline
    from surprise import KNNBaseline as SKNN
    from surprise import SVDpp as SSVDpp

    user_knn = {"KNNBaseline (defaults)": SKNN(verbose=False)}
    return {
        "BaselineOnly": SBaseline(verbose=False),
        "SVD (defaults)": SVD(random_state=0),
        "SVD (tuned: 100 f, 40 ep, lr .007, reg .08)": SVD(n_factors=100, n_epochs=40, lr_all=0.007, reg_all=0.08,
                                                            random_state=0),
        "SVD++ (defaults)": SSVDpp(random_state=0),
        **(user_knn if n_users <= MAX_USERS_FOR_USER_KNN else {}),
        "KNNBaseline (item, pearson_baseline)": SKNN(sim_options={"name": "pearson_baseline", "user_based": False},
                                                     verbose=False),
    }


def run_surprise(splits: list, dataset: str, split_name: str) -> list[dict]:
    import pandas as pd
    from surprise import Dataset as SDataset
    from surprise import Reader, accuracy

    rows = []
    for fold, split in enumerate(splits):
        tr, te = split.train.interactions, split.test.interactions
        reader = Reader(rating_scale=split.train.rating_scale)
        trainset = SDataset.load_from_df(pd.DataFrame({"u": tr["user"], "i": tr["item"], "r": tr["rating"]}),
                                         reader).build_full_trainset()
        testset = list(zip(te["user"].tolist(), te["item"].tolist(), te["rating"].astype(float).tolist(),
                           strict=True))
        for name, algo in surprise_models(split.train.n_users).items():
            start = time.perf_counter()
            algo.fit(trainset)
            fit = time.perf_counter() - start
            start = time.perf_counter()
            pred = algo.test(testset)
            predict = time.perf_counter() - start
            rows.append(row("surprise", name, dataset, split_name, {"rmse": accuracy.rmse(pred, verbose=False),
                                                                    "mae": accuracy.mae(pred, verbose=False)},
                            fit, predict, fold=fold if len(splits) > 1 else None))
    return rows


def run_ours(splits: list, dataset: str, split_name: str) -> list[dict]:
    build_model("mf:epochs=1,verbose=False").fit(splits[0].train)  # compile the numba kernels once, outside
    build_model("svdpp:epochs=1,verbose=False").fit(splits[0].train)  # the timings
    models = our_models(splits[0].train.n_users)
    for model in models.values():
        if "temporal" in model.get_params():
            model.set_params(temporal=split_name.startswith("temporal"))
    res = Experiment(splits, models, task="rating", dataset=dataset, split_name=split_name).run()
    return [row("fuserec", r["model"], dataset, split_name, {k: r["metrics"][k] for k in ("rmse", "mae")},
                r["fit_seconds"], r["predict_seconds"], fold=r["fold"] if len(splits) > 1 else None,
                uses_lm=("LM" in r["model"] or "MiniLM" in r["model"]) and "no LM" not in r["model"])
            for r in res.rows]


def summary_table(rows: list[dict], title: str) -> Table:
    t = Table(title=title)
    for col, just in (("system", "left"), ("model", "left"), ("RMSE", "right"), ("MAE", "right"),
                      ("fit s / fold", "right")):
        t.add_column(col, justify=just)
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        groups.setdefault((r["system"], r["model"]), []).append(r)
    ordered = sorted(groups.items(), key=lambda kv: np.mean([r["metrics"]["rmse"] for r in kv[1]]))
    for (system, model), rs in ordered:
        rmse = np.array([r["metrics"]["rmse"] for r in rs])
        mae = np.array([r["metrics"]["mae"] for r in rs])
        fit = np.mean([r["fit_seconds"] for r in rs])
        t.add_row(system, model, f"{rmse.mean():.4f} ± {rmse.std():.4f}", f"{mae.mean():.4f} ± {mae.std():.4f}",
                  f"{fit:.2f}")
    return t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", default="ml-100k", choices=DATASETS)
    parser.add_argument("--folds", nargs="+", default=[f"u{i}" for i in range(1, 6)], help="ml-100k folds")
    parser.add_argument("--json", help="write rows in the shared schema here")
    parser.add_argument("--no-peers", action="store_true", help="skip Surprise")
    args = parser.parse_args()
    ds = load_dataset(args.dataset, data_dir(), download=False)
    if args.dataset == "ml-100k":
        splits = ml100k_folds(ds, data_dir() / "ml-100k", args.folds)
        split_name = "-".join([args.folds[0], args.folds[-1]]) if len(args.folds) > 1 else args.folds[0]
    else:
        splits, split_name = [temporal_split(ds, 0.2)], "temporal 80/20"
    rows = run_ours(splits, args.dataset, split_name)
    if not args.no_peers:
        try:
            rows += run_surprise(splits, args.dataset, split_name)
        except ImportError:
            print("scikit-surprise not installed: peer rows skipped (pip install scikit-surprise==1.1.5)")
    what = f"folds {', '.join(args.folds)}" if args.dataset == "ml-100k" else split_name
    Console().print(summary_table(rows, f"{args.dataset} rating prediction, {what} (mean ± std over folds; "
                                        "this machine)"))
    write_json(rows, args.json)


if __name__ == "__main__":
    main()
