"""Explanations: faithful by a deletion test, grounded in the user's history and the item's text.

Protocol, per dataset (ml-100k, ml-latest-small) and model (EASE, the fused re-ranker): temporal
split per user (each user's latest 20% of ratings held out); 300 test users drawn with seed 0 among those with at
least four training items; each user's top-10 explained. Deletion: the cited history items are
removed and the user's scores recomputed from the reduced history by the model's fold-in (no
refit); the same number of random history items is the paired baseline (one-sided Wilcoxon).
Grounded: every cited item is in the user's training history and every cited term in the item's
text. Wording metrics on the templates: USR (unique sentence ratio), FCR (share of all terms ever
cited) and DIV (mean term overlap between pairs of explanations, lower is more diverse).

    python benchmarks/explain.py [--datasets ml-100k ml-latest-small] [--users 300] [--json PATH]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import data_dir, print_table, row, write_json  # noqa: E402

from fuserec.data import load_dataset  # noqa: E402
from fuserec.data.split import temporal_per_user_split  # noqa: E402
from fuserec.explain import Explainer, ItemInfo, deletion_test, summarise  # noqa: E402
from fuserec.progress import progress  # noqa: E402
from fuserec.registry import build_model  # noqa: E402

MODELS = {"ease": "ease", "reranker": "reranker"}
K = 10


def wording_metrics(explanations: list[dict], all_terms: set[str]) -> dict[str, float]:
    texts = [e["text"] for e in explanations]
    term_sets = [frozenset(t for r in e["reasons"] if r["kind"] == "shared_terms" for t in r["terms"])
                 for e in explanations]
    cited = set().union(*term_sets) if term_sets else set()
    rng = np.random.default_rng(0)
    pairs = [tuple(rng.choice(len(term_sets), 2, replace=False)) for _ in range(min(20_000, len(term_sets) ** 2))]
    div = np.mean([len(term_sets[a] & term_sets[b]) for a, b in pairs]) if pairs else float("nan")
    return {"usr": len(set(texts)) / max(len(texts), 1), "fcr": len(cited) / max(len(all_terms), 1), "div": float(div)}


def run(dataset: str, model_name: str, n_users: int) -> dict:
    ds = load_dataset(dataset, data_dir(), download=False)
    split = temporal_per_user_split(ds, 0.2)
    train = split.train
    start = time.perf_counter()
    model = build_model(MODELS[model_name]).fit(train)
    fit_seconds = time.perf_counter() - start
    info = ItemInfo.from_dataset(train)
    explainer = Explainer(model, info)
    test_users = np.unique(split.test.interactions["user"].to_numpy())
    eligible = [u for u in test_users if model.seen_[u].nnz >= 4]
    users = np.random.default_rng(0).choice(eligible, size=min(n_users, len(eligible)), replace=False)
    rng = np.random.default_rng(1)
    tests, explanations, grounded, cited_total, attributed = [], [], 0, 0, 0
    start = time.perf_counter()
    for u in progress(users, f"{dataset} {model_name}: explain"):
        top, _ = model.recommend_indices(np.array([u]), k=K)
        history = set(model.seen_[u].indices.tolist())
        for i, e in zip(top[0], explainer.explain(top[0], user=u), strict=True):
            explanations.append(e)
            attributed += bool(e["reasons"])
            cited = []
            for reason in e["reasons"]:
                if reason["kind"] == "history":
                    cited = [info.ids.index(c["item"]) for c in reason["items"]]
                    cited_total += len(cited)
                    grounded += sum(c in history for c in cited)
                elif reason["kind"] == "shared_terms":
                    cited_total += len(reason["terms"])
                    grounded += sum(t.lower() in info.texts[int(i)].lower() for t in reason["terms"])
            if cited:
                tests.append(deletion_test(model, explainer.history_row(u), int(i), cited, rng))
    explain_seconds = time.perf_counter() - start
    all_terms = set(itertools.chain.from_iterable(info.terms))
    summary = summarise(tests)
    metrics = {"deletion_lowers": summary["deletion_lowers"], "deletion_vs_random_p": summary["deletion_vs_random_p"],
               "mean_rank_drop_cited": summary["mean_rank_drop_cited"],
               "mean_rank_drop_random": summary["mean_rank_drop_random"],
               "cited_grounded": grounded / max(cited_total, 1), "attributed": attributed / max(len(explanations), 1),
               "explanations": len(explanations), "deletion_tests": summary["n"], "users": len(users),
               **wording_metrics(explanations, all_terms)}
    return row("fuserec", model_name, dataset, "temporal-per-user-0.2", metrics, fit_seconds=fit_seconds,
               predict_seconds=explain_seconds, wording="template")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["ml-100k", "ml-latest-small"])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--json")
    args = parser.parse_args()
    rows = [run(d, m, args.users) for d in args.datasets for m in args.models]
    for r in rows:
        r["model"] = f"{r['model']} / {r['dataset']}"
    print_table("Explanations", rows, ["deletion_lowers", "deletion_vs_random_p", "cited_grounded", "attributed",
                                       "usr", "fcr", "div"])
    for r in rows:
        r["model"] = r["model"].split(" / ")[0]
    write_json(rows, args.json)


if __name__ == "__main__":
    main()
