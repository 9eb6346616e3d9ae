"""Sequential recommendation: the S3-Rec Amazon 2014 sequences, and data with item text.

S3-Rec files (Beauty, Sports), leave-one-out: each user's last item is the test target; the
model is fit on the rest, and a sequence model carves each user's last training item as its
validation target. Every target is ranked against the whole catalogue (no sampled negatives),
with the user's training items excluded. NDCG@10 and HR@10 (a hit of the one target in the top
ten) over users, with 95% intervals over users, the fit's wall seconds and the epochs it kept.
The order-blind models (EASE, ALS, popularity) run on the same split.

Data with item text (ml-latest-small with its TMDb overviews, MovieTweetings 100K), by time: the
latest 20% of interactions are the test, every test item relevant. The sequence model with ids
only, with text added to the ids, and with text alone (MiniLM), beside the order-blind models;
the text-aware rows carry a paired t-test of NDCG@10 over users against the ids-only row
(``p_vs_ids``). The ``cold items`` slice ranks the test's items that have no training
interaction among themselves (Recall@20, NDCG@10), beside text mapped onto ALS factors; a model
with ids only has nothing to rank them by.

On MovieTweetings 100K, by time as above, the learned re-ranker with its default retrievers
against the same re-ranker with SASRec (ids) as one more retriever, whose score and rank become
its features: NDCG@10 with a paired t-test over users (``p_vs_without``). Both train their groups
on the default windows of the training data's latest interactions (``temporal=True``).

    python benchmarks/sequential.py [--datasets beauty-s3rec ml-latest-small ...] [--models ...]
                                    [--peers cornac-sasrec rectools-sasrec] [--reranker] [--json PATH]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
from common import data_dir, row, write_json  # noqa: E402
from peers import LightFMHybrid  # noqa: E402

from fuserec.data import load_dataset  # noqa: E402
from fuserec.data.split import leave_last_split  # noqa: E402
from fuserec.evaluation import Experiment  # noqa: E402
from fuserec.registry import build_model  # noqa: E402

S3REC = ("beauty-s3rec", "sports-s3rec")
TEXT = ("ml-latest-small", "movietweetings-100k")
DATASETS = S3REC + TEXT
SPLIT = "leave-one-out, full ranking"
TEXT_SPLIT = "temporal, latest 20%"
SASREC = {"name": "sasrec"}
CANDIDATES = ({"dropout": 0.2}, {"dropout": 0.5})  # SASRec settings --choose scores on validation
LIGHTFM = "LightFM hybrid (WARP, identity + bag of words)"
MODELS: dict[str, tuple[str, Any]] = {  # label → (kind, registry spec)
    "SASRec (ids)": ("sequential", SASREC),
    "SASRec (ids + text)": ("sequential", SASREC | {"encoder": "minilm"}),
    "SASRec (text)": ("sequential", SASREC | {"encoder": "minilm", "text_form": "text"}),
    "text mapped onto ALS": ("fused", {"name": "text-mapped-factors", "encoder": "minilm"}),
    LIGHTFM: ("fused", LightFMHybrid),
    "EASE": ("classic", "ease"),
    "ALS": ("classic", "als"),
    "Popularity": ("classic", "popularity"),
}
TEXT_ONLY = {"SASRec (ids + text)", "SASRec (text)", "text mapped onto ALS", LIGHTFM}  # on data with text only
COLD = ("SASRec (ids)", "SASRec (ids + text)", "SASRec (text)", "text mapped onto ALS", LIGHTFM, "Popularity")
SYSTEMS = {LIGHTFM: "lightfm"}


def choose(dataset: str) -> list[dict[str, Any]]:
    """SASRec (ids) at each of ``CANDIDATES`` on ``dataset``'s training sequences, scored on the
    validation target only (each user's last training item; the test is not read): one row per
    candidate, ``slice="validation choice"``. The best one's settings are what `run` fits."""
    ds = load_dataset(dataset, data_dir(), download=False)
    train = leave_last_split(ds, 1).train
    rows = []
    for settings in CANDIDATES:
        model = build_model(SASREC | settings | {"refit": False})
        model.fit(train)
        rows.append(row("fuserec", "SASRec (ids)", dataset, SPLIT, {"validation ndcg@10": max(model.val_history_)},
                        slice="validation choice", settings=settings, epochs=model.best_epoch_))
    return rows


def chosen(dataset: str, path: str | None) -> dict[str, Any]:
    """The settings whose validation NDCG@10 was best in ``path``'s choice rows for ``dataset``
    (``--choose`` writes them); none when there are none."""
    import json

    if not path or not Path(path).exists():
        return {}
    rows = [r for r in json.loads(Path(path).read_text())["rows"]
            if r["dataset"] == dataset and r.get("slice") == "validation choice"]
    return max(rows, key=lambda r: r["metrics"]["validation ndcg@10"])["settings"] if rows else {}


def run(dataset: str, labels: list[str], settings: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per model on ``dataset``'s leave-one-out split; SASRec with ``settings``."""
    ds = load_dataset(dataset, data_dir(), download=False)
    split = leave_last_split(ds, 1)
    models = {label: build_model(MODELS[label][1] | settings if label == "SASRec (ids)" else MODELS[label][1])
              for label in labels if label not in TEXT_ONLY}
    res = Experiment([split], models, ks=[10], dataset=dataset, split_name=SPLIT).run(keep_models=True)
    rows = []
    for r in res.rows:
        model = res.models[(r["model"], split.fold)]
        ci = r.get("ci95") or {}
        rows.append(row("fuserec", r["model"], dataset, SPLIT,
                        {"ndcg@10": r["metrics"]["ndcg@10"], "hr@10": r["metrics"]["hitrate@10"]},
                        r["fit_seconds"], r["predict_seconds"], kind=MODELS[r["model"]][0],
                        ci95={"ndcg@10": ci.get("ndcg@10"), "hr@10": ci.get("hitrate@10")},
                        epochs=getattr(model, "best_epoch_", None), users=int(r.get("users") or 0),
                        **({"settings": settings} if r["model"] == "SASRec (ids)" else {})))
    return rows


def run_peers(dataset: str, peers: list[str], budget_s: float) -> list[dict[str, Any]]:
    """The peers' SASRec on ``dataset``'s leave-one-out split, each within ``budget_s`` wall seconds
    of training (ours took that long), scored with the same definitions: one target per user,
    NDCG@10 = 1 / log2(rank + 2) for a hit in the top ten."""
    from sequential_peers import run_peer

    from fuserec.evaluation.metrics import mean_ci95
    from fuserec.models.sequences import user_sequences

    ds = load_dataset(dataset, data_dir(), download=False)
    indptr, items = user_sequences(ds)
    seqs = {str(ds.users.ids[u]): [str(i) for i in ds.items.ids[items[indptr[u]:indptr[u + 1]]]]
            for u in range(ds.n_users) if indptr[u + 1] - indptr[u] > 1}
    train, targets = {u: s[:-1] for u, s in seqs.items()}, {u: s[-1] for u, s in seqs.items()}
    rows = []
    for peer in peers:
        out = run_peer(peer, train, list(targets), budget_s)
        ndcg, hr = np.zeros(len(targets)), np.zeros(len(targets))
        for n, (user, target) in enumerate(targets.items()):
            top = out["recommendations"].get(user, [])[:10]
            if target in top:
                hr[n], ndcg[n] = 1.0, 1.0 / np.log2(top.index(target) + 2)
        rows.append(row(peer.split("-")[0], "SASRec", dataset, SPLIT, {"ndcg@10": ndcg.mean(), "hr@10": hr.mean()},
                        out["fit_seconds"], kind="sequential", epochs=out["epochs"], users=len(targets),
                        ci95={"ndcg@10": list(mean_ci95(ndcg)), "hr@10": list(mean_ci95(hr))},
                        budget_s=budget_s, version=out.get("version"), settings=out.get("settings")))
    return rows


def load_with_text(dataset: str):
    """``dataset`` with the richest item text there is: ml-latest-small joins its TMDb overviews as
    ``examples/ml-latest-small.toml`` does."""
    if dataset == "ml-latest-small":
        from fuserec.config import load_config, load_data

        return load_data(load_config(Path(__file__).parents[1] / "examples" / "ml-latest-small.toml"))
    return load_dataset(dataset, data_dir(), download=False)


def run_text(dataset: str, labels: list[str]) -> list[dict[str, Any]]:
    """Rows on a dataset with item text, by time: every model over all test users, the text-aware
    sequence models' paired test against ids only, and the cold-item slice."""
    import time

    from scipy import stats

    from fuserec.data.split import Split, temporal_split
    from fuserec.evaluation import evaluate_ranking

    split = temporal_split(load_with_text(dataset), 0.2)
    cold = split.cold_items()
    cold_rows = split.test.interactions["item"].to_numpy()
    cold_split = Split(split.train, split.test.subset(cold[cold_rows], name=f"{dataset}/cold"), "cold items")
    rows, measured = [], {}
    for label in labels:
        spec = MODELS[label][1]
        model = spec() if callable(spec) else build_model(spec)
        start = time.perf_counter()
        model.fit(split.train)
        fit = time.perf_counter() - start
        m = measured[label] = evaluate_ranking(model, split, ks=[10, 20])
        extra = {"epochs": getattr(model, "best_epoch_", None), "users": len(m.users), "kind": MODELS[label][0]}
        system = SYSTEMS.get(label, "fuserec")
        rows.append(row(system, label, dataset, TEXT_SPLIT, {"ndcg@10": m.metrics["ndcg@10"],
                        "hr@10": m.metrics["hitrate@10"], "recall@20": m.metrics["recall@20"]}, fit,
                        m.predict_seconds, **extra,
                        ci95={"ndcg@10": list(m.ci95["ndcg@10"]), "hr@10": list(m.ci95["hitrate@10"])}))
        if label in COLD and cold.any():
            c = evaluate_ranking(model, cold_split, ks=[10, 20], candidates=cold)
            rows.append(row(system, label, dataset, TEXT_SPLIT, {"recall@20": c.metrics["recall@20"],
                            "ndcg@10": c.metrics["ndcg@10"]}, fit, c.predict_seconds, slice="cold items",
                            ci95={"recall@20": list(c.ci95["recall@20"])}, reaches_cold=label != "SASRec (ids)",
                            cold_items=int(cold.sum()), **extra))
    base = measured.get("SASRec (ids)")
    for r in rows:
        other = measured.get(r["model"])
        if base is not None and r["model"].startswith("SASRec (") and r["model"] != "SASRec (ids)" \
                and r.get("slice") is None and other is not None:
            users, ia, ib = np.intersect1d(other.users, base.users, return_indices=True)
            r["p_vs_ids"] = float(stats.ttest_rel(other.per_user["ndcg@10"][ia], base.per_user["ndcg@10"][ib]).pvalue)
    return rows


def run_reranker(dataset: str) -> list[dict[str, Any]]:
    """The default re-ranker with and without SASRec among its retrievers, on ``dataset`` by time."""
    import time

    from scipy import stats

    from fuserec.data.split import temporal_split
    from fuserec.evaluation import evaluate_ranking
    from fuserec.fusion.rerank import LearnedReranker, default_retrievers
    from fuserec.models import SASRec

    split = temporal_split(load_with_text(dataset), 0.2)
    plain = default_retrievers(temporal=True)
    contenders = {"re-ranker": plain, "re-ranker + SASRec": plain | {"sasrec": SASRec()}}
    rows, measured = [], {}
    for label, retrievers in contenders.items():
        model = LearnedReranker(retrievers=retrievers, temporal=True)
        start = time.perf_counter()
        model.fit(split.train)
        fit = time.perf_counter() - start
        m = measured[label] = evaluate_ranking(model, split, ks=[10, 20])
        rows.append(row("fuserec", label, dataset, TEXT_SPLIT, {"ndcg@10": m.metrics["ndcg@10"],
                        "hr@10": m.metrics["hitrate@10"], "recall@20": m.metrics["recall@20"]}, fit,
                        m.predict_seconds, kind="fused", users=len(m.users), retrievers=list(retrievers),
                        ci95={"ndcg@10": list(m.ci95["ndcg@10"]), "hr@10": list(m.ci95["hitrate@10"])}))
    a, b = measured["re-ranker + SASRec"], measured["re-ranker"]
    _, ia, ib = np.intersect1d(a.users, b.users, return_indices=True)
    rows[-1]["p_vs_without"] = float(stats.ttest_rel(a.per_user["ndcg@10"][ia], b.per_user["ndcg@10"][ib]).pvalue)
    return rows


def merged(path: str | None, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` over those already in ``path``: a (dataset, system, model, slice, settings) row run
    again replaces the old one, and rows of other datasets or models are kept, so datasets can run one at a time."""
    if not path or not Path(path).exists():
        return rows
    import json

    def key(r: dict[str, Any]) -> tuple:
        choice = r.get("slice") == "validation choice"  # one row per candidate setting
        return r["dataset"], r["system"], r["model"], r.get("slice"), str(r.get("settings")) if choice else None

    new = {key(r) for r in rows}
    old = [r for r in json.loads(Path(path).read_text())["rows"] if key(r) not in new]
    return old + rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--peers", nargs="*", default=[], choices=["cornac-sasrec", "rectools-sasrec"],
                        help="peers' SASRec on the S3-Rec files, each given the wall seconds our fit took there")
    parser.add_argument("--choose", action="store_true",
                        help="only score SASRec's candidate settings on the S3-Rec files' validation target")
    parser.add_argument("--reranker", action="store_true",
                        help="the re-ranker with and without SASRec as a retriever, on MovieTweetings 100K")
    parser.add_argument("--json")
    args = parser.parse_args()
    rows = []
    if args.choose:
        rows = [r for dataset in args.datasets if dataset in S3REC for r in choose(dataset)]
        write_json(merged(args.json, rows), args.json)
        return
    for dataset in args.datasets:
        ours = run_text(dataset, args.models) if dataset in TEXT else \
            run(dataset, args.models, chosen(dataset, args.json))
        rows += ours
        budget = [r["fit_seconds"] for r in ours if r["model"] == "SASRec (ids)"]
        if args.peers and dataset in S3REC:
            if not budget:
                raise SystemExit("--peers needs the 'SASRec (ids)' row: its fit time is the peers' budget")
            rows += run_peers(dataset, args.peers, budget[0])
    if args.reranker:
        rows += run_reranker("movietweetings-100k")
    rows = merged(args.json, rows)
    t = Table(title=f"Sequential recommendation, {SPLIT} (this machine)")
    for col in ("dataset", "slice", "model", "NDCG@10", "HR@10", "recall@20", "fit s", "epochs"):
        t.add_column(col, justify="left" if col in ("dataset", "slice", "model") else "right")
    for r in rows:
        m = r["metrics"]
        if "ndcg@10" not in m:
            continue
        t.add_row(r["dataset"], r.get("slice") or "all", r["model"], f"{m['ndcg@10']:.4f}",
                  f"{m['hr@10']:.4f}" if "hr@10" in m else "", f"{m['recall@20']:.4f}" if "recall@20" in m else "",
                  f"{r['fit_seconds']:.0f}", "" if r.get("epochs") is None else str(r["epochs"]))
    Console().print(t)
    write_json(rows, args.json)


if __name__ == "__main__":
    main()
