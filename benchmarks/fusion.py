"""Fusion: where the language model helps the recommenders, and where it does not, on five datasets.

Every row is fit on the same split and scored by the same code (full ranking, train items
excluded). Slices:

- overall:     ml-100k, Amazon All_Beauty, Last.fm random 80/20 (seed 0); ml-latest-small and
               MovieTweetings-100K temporal 80/20 (the latest fifth is the test).
- warm-users:  ml-latest-small: each user's latest 20% (by time) is the test, so every test user has a
               history (the global cut leaves 116 test users there, 88 of them with no train
               interaction: a cold-user test too small to show a 2% difference).
- cold-items:  20% of the rated items held out (seed 0), test = their interactions (ratings ≥ 4 on
               a 1-5 scale, ≥ 7 on MovieTweetings' 0-10), ranked among the cold items only. On
               MovieTweetings the cold items are the real new movies instead: the temporal split's
               test interactions with movies that have no train interaction, ranked among those.
- light-users: 20% of the users (seed 0) keep only their earliest 1-5 interactions in train; the
               test is the rest of theirs (`fuserec.data.split.light_users_split`).
- text-missing: the overall split with 30% of the item texts blanked (seed 0). Rows that read no
               text are unchanged by construction and are carried over from "overall".
- noisy:       the overall split with 10% random (user, item) interactions injected into train.

Rows: Popularity, popularity on each user's own clock (time-decayed, up to the user's latest
interaction), classic CF (EASE where the catalogue is ≤ 5,000 items, RP3beta, ALS), both
content-only semantic recommenders (TF-IDF, MiniLM), text-EASE (EASE with the items' text
similarity in its Gram matrix, same catalogue limit), the neural hybrid, text-mapped factors
(text → ALS space, and ALS trained toward a map of its text), a score blend of CF and semantic
models, the LambdaRank re-ranker with and without language-model features (the ablation: the
CF-only one pools from the neural two-tower model on IDs only, the other from the same model reading
the item text, plus the text models), and the peer hybrids reading the same item text: LightFM's
(WARP, identity + bag of words) and Cornac's CTR (LDA topics pulling MF item factors; new items
scored from their topics, as in its paper). Cornac's CDL is not run: it needs TensorFlow, which
nothing else here uses. On Last.fm, friends' artists (`SocialNeighbours`) alone and as one more
retriever of each re-ranker.
On a global cut in time (overall, text-missing and noisy on the temporal datasets) the re-rankers
train on two windows as long as the test's (25% of train each), and each also runs at the
library's default three 10% windows: the paired test takes each side's better row.
All at fixed settings stated in `rows()` (no per-dataset tuning). Each slice ends with a paired
t-test over users: the best row that uses a language model against the best row that does not.
`--keywords` gives the re-rankers that read text one more feature, the overlap of the language
model's keywords with the user's (`LearnedReranker(keyword_features=True)`; off by default: it did
not help).

    python benchmarks/fusion.py [--dataset NAME ...] [--slices overall cold-items ...]
                                [--rows LABEL-PART ...] [--keywords] [--json PATH] [--report PATH.html]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table
from scipy import stats

os.environ.setdefault("TQDM_DISABLE", "1")  # the table lines are the progress here (read when tqdm loads)
sys.path.insert(0, str(Path(__file__).parent))
from common import data_dir, row, write_json  # noqa: E402

from fuserec.data import Dataset, load_dataset  # noqa: E402
from fuserec.data.split import (  # noqa: E402
    Split,
    cold_items_split,
    light_users_split,
    random_split,
    temporal_per_user_split,
    temporal_split,
)
from fuserec.evaluation import Experiment  # noqa: E402
from fuserec.evaluation.perturb import blank_texts, inject_noise, shuffle_items  # noqa: E402
from fuserec.models import Recommender  # noqa: E402
from fuserec.registry import build_model  # noqa: E402

warnings.filterwarnings("ignore", module="implicit")
warnings.filterwarnings("ignore", module="lightgbm")
DATASETS = {  # name: (overall split, slices run by default)
    "ml-100k": ("random", ["overall", "cold-items", "light-users"]),
    "ml-latest-small": ("temporal", ["overall", "warm-users", "cold-items", "light-users", "text-missing", "noisy"]),
    "movietweetings-100k": ("temporal", ["overall", "cold-items", "light-users"]),
    "amazon-all-beauty": ("random", ["overall", "cold-items"]),  # 5-core: most users are light already
    "lastfm": ("random", ["overall", "cold-items"]),
}
SLICES = ("overall", "warm-users", "cold-items", "light-users", "text-missing", "noisy")
EASE_MAX_ITEMS = 5_000  # EASE inverts an items × items matrix: beyond this it is minutes per fit
Spec = str | dict[str, Any]  # a registry spec: "name", "name:key=value" or {"name": ..., params}
METRICS = ("ndcg@10", "recall@20", "precision@10", "coverage@20", "arp@20")


@dataclasses.dataclass(kw_only=True)
class Contender:
    """One row of the benchmark: fuserec's models as a registry spec, a peer's as a factory."""

    system: str
    label: str
    kind: str  # popularity | cf | content | fused
    uses_lm: bool
    model: Spec | Callable[[], Recommender]
    reads_text: bool = True
    slices: tuple[str, ...] = SLICES
    encoder: str | None = None

    def build(self) -> Recommender:
        return self.model() if callable(self.model) else build_model(self.model)

    @property
    def title(self) -> str:
        """The row's model name: the label, and the encoder where one is read."""
        return self.label + (f" ({self.encoder})" if self.encoder else "")


def fuserec(label: str, kind: str, model: Spec, *, uses_lm: bool = False, **options: Any) -> Contender:
    return Contender(system="fuserec", label=label, kind=kind, uses_lm=uses_lm, model=model, **options)


def rows(ds: Dataset, temporal: bool | str, horizon: float | None = None, *, keywords: bool = False) -> list[Contender]:
    """The contenders, fit on ``ds``. ``horizon``: the test's share of all interactions when the test
    is a global cut in time; the re-rankers then train on two windows of that length going back
    (``val_size`` = its share of train), so that what they learn from is as far ahead as the test.
    ``keywords``: the re-rankers that read text also read the language model's keywords."""
    small = ds.n_items <= EASE_MAX_ITEMS
    kw = ", + LM keywords" if keywords else ""
    windows = {"val_size": horizon / (1 - horizon), "n_folds": 2} if horizon else {}
    als: Spec = {"name": "als", "factors": 64}
    ease: Spec = {"name": "ease", "reg": 300.0}
    cf: dict[str, Spec] = {"ease": ease} if small else {"als": als}
    cf |= {"rp3beta": "rp3beta", "popularity": "popularity", "user-time-popularity": "user-time-popularity",
           # two towers on IDs only
           "hybrid": {"name": "neural-hybrid", "encoder": None, "max_epochs": 15, "patience": 3, "temporal": temporal}}
    # the language-model side: the same two towers reading the item text, and three text models
    hybrid: Spec = {"name": "neural-hybrid", "encoder": "minilm", "max_epochs": 15, "patience": 3,
                    "temporal": temporal}
    text_als: Spec = {"name": "text-mapped-factors", "base": als, "encoder": "minilm"}
    text_ease: Spec = {"name": "text-ease", "encoder": "minilm", "temporal": temporal}
    lm: dict[str, Spec] = {"hybrid": hybrid, "semantic": "semantic-profile:encoder=minilm", "text-als": text_als}
    if small:
        lm["text-ease"] = text_ease
    warm = ("overall", "warm-users", "light-users", "text-missing", "noisy")

    def reranker(retrievers: dict[str, Spec], reads_text: bool, **options: Any) -> Spec:
        """A LearnedReranker over ``retrievers``, with the text features (and ``keywords``) or
        without them (the no-LM ablation)."""
        text = {"keyword_features": keywords} if reads_text else {"semantic_features": False}
        # the settings every figure of this benchmark was measured with (the library's defaults
        # are cheaper: pool 50, three rankers)
        return {"name": "reranker", "retrievers": retrievers, "temporal": temporal, **text, "pool": 100,
                "n_rankers": 5, **options}

    out = [
        fuserec("Random", "popularity", "random", reads_text=False, slices=("cold-items",)),
        fuserec("Popularity", "popularity", "popularity", reads_text=False),
        fuserec("popularity on the user's clock", "popularity", "user-time-popularity", reads_text=False,
                slices=warm),
        fuserec("RP3beta", "cf", "rp3beta", reads_text=False),
        fuserec("ALS", "cf", als, reads_text=False),
        fuserec("semantic profile", "content", "semantic-profile:encoder=tfidf", encoder="tfidf"),
        fuserec("semantic profile", "content", "semantic-profile:encoder=minilm", uses_lm=True, encoder="minilm"),
        fuserec("neural hybrid (ID + text, softmax)", "fused", hybrid, uses_lm=True, encoder="minilm"),
        fuserec("text-MF: text mapped to ALS factors", "fused", text_als, uses_lm=True, encoder="minilm"),
        fuserec("text-MF: ALS trained toward a map of its text", "fused", "text-regularized-als:encoder=minilm",
                uses_lm=True, encoder="minilm"),
        fuserec("text-MF: text mapped to ALS factors", "fused", {**text_als, "encoder": "tfidf"},
                slices=("cold-items",), encoder="tfidf"),
        fuserec("score blend (CF + semantic)", "fused",
                {"name": "score-blend", "models": cf | lm, "temporal": temporal}, uses_lm=True, slices=warm,
                encoder="minilm"),
        fuserec("re-ranker, CF features only", "cf", reranker(cf, False, **windows), reads_text=False, slices=warm),
        fuserec(f"re-ranker (LambdaRank, CF + LM features{kw})", "fused", reranker(cf | lm, True, **windows),
                uses_lm=True, slices=warm, encoder="minilm"),
        # the same two, also trained on a split of users cut back to 1-5 interactions
        fuserec("re-ranker, CF features only, light-user training", "cf", reranker(cf, False, light_users=True),
                reads_text=False, slices=("light-users",)),
        fuserec(f"re-ranker (CF + LM features{kw}), light-user training", "fused",
                reranker(cf | lm, True, light_users=True), uses_lm=True, slices=("light-users",), encoder="minilm"),
        fuserec("text trend: text neighbours' recent popularity", "content", "text-trend:encoder=minilm",
                uses_lm=True, slices=("cold-items",), encoder="minilm"),
    ]
    if ds.social is not None:  # Last.fm's friendships: alone, and as one more retriever on each side
        social: dict[str, Spec] = {"social": "social"}
        out += [
            fuserec("friends' items (social)", "cf", "social", reads_text=False, slices=warm),
            fuserec("re-ranker, CF + social features", "cf", reranker(cf | social, False, **windows),
                    reads_text=False, slices=warm),
            fuserec(f"re-ranker (CF + LM + social features{kw})", "fused",
                    reranker(cf | lm | social, True, **windows), uses_lm=True, slices=warm, encoder="minilm"),
        ]
    if horizon:  # both re-rankers at the library's default windows too; each side's better row counts
        out += [
            fuserec("re-ranker, CF features only, three 10% windows", "cf", reranker(cf, False), reads_text=False,
                    slices=warm),
            fuserec(f"re-ranker (LambdaRank, CF + LM features{kw}), three 10% windows", "fused",
                    reranker(cf | lm, True), uses_lm=True, slices=warm, encoder="minilm"),
        ]
    if small:
        out.insert(2, fuserec("EASE", "cf", ease, reads_text=False))
        out.insert(3, fuserec("text-EASE: text similarity in EASE's Gram matrix", "fused", text_ease, uses_lm=True,
                              slices=warm, encoder="minilm"))
    if ds.name.startswith("ml-latest-small"):  # the encoder trade-off, on the cold-item protocol
        for enc in ("int8",):
            out += [
                fuserec("text-MF: text mapped to ALS factors", "fused", {**text_als, "encoder": enc}, uses_lm=True,
                        slices=("cold-items",), encoder=enc),
                fuserec("semantic profile", "content", {"name": "semantic-profile", "encoder": enc}, uses_lm=True,
                        slices=("cold-items",), encoder=enc),
            ]
    try:
        import lightfm  # noqa: F401
        from peers import LightFMHybrid

        out.append(Contender(system="lightfm", label="hybrid WARP (identity + bag of words)", kind="fused",
                             uses_lm=False, model=LightFMHybrid))
    except ImportError:
        print("lightfm is not installed: its rows are skipped (make bench installs it)")
    try:
        import cornac  # noqa: F401
        from peers import CornacCTR

        out.append(Contender(system="cornac", label="CTR (collaborative topic regression, bag of words)",
                             kind="fused", uses_lm=False, model=CornacCTR))
    except ImportError:
        print("cornac is not installed: its CTR rows are skipped (make bench installs it)")
    return out


# ---- slices -------------------------------------------------------------------------------------
def relevant_threshold(ds: Dataset) -> float | None:
    if not ds.has_ratings or ds.rating_scale is None:
        return None
    lo, hi = ds.rating_scale
    return 7.0 if hi >= 10 else 4.0


def make_slice(ds: Dataset, name: str, overall: str) -> tuple[Split, np.ndarray | None, float | None, str]:
    """(split, candidate mask or None, min rating or None, protocol description)."""
    base = temporal_split(ds, 0.2) if overall == "temporal" else random_split(ds, 0.2, seed=0)
    desc = "temporal 80/20" if overall == "temporal" else "random 80/20 seed 0"
    if name == "overall":
        return base, None, None, desc
    if name == "cold-items":
        like = relevant_threshold(ds)
        if overall == "temporal" and ds.name.startswith("movietweetings"):
            cold = base.cold_items()
            test = base.test.subset(cold[base.test.interactions["item"].to_numpy()])
            return Split(base.train, test, "new-items"), cold, like, "temporal 80/20, new movies only"
        split = cold_items_split(ds, 0.2, seed=0)
        cold = split.cold_items()
        return split, cold, like, "20% of items cold (seed 0), ranked among cold items"
    if name == "warm-users":
        return temporal_per_user_split(ds, 0.2), None, None, "each user's latest 20% (every test user has a history)"
    if name == "light-users":
        return light_users_split(ds, 0.2, 5, seed=0), None, None, "20% of users keep their first 1-5 (seed 0)"
    if name == "text-missing":
        blanked = blank_texts(ds)
        return Split(dataclasses.replace(base.train, item_table=blanked.item_table), base.test, base.method), None, \
            None, desc + ", 30% of item texts blanked"
    if name == "noisy":
        return Split(inject_noise(base.train), base.test, base.method), None, None, \
            desc + ", 10% random interactions injected in train"
    raise ValueError(f"unknown slice {name!r}")


# ---- run --------------------------------------------------------------------------------------------
def paired(rows_: list[dict], per_user: dict[int, np.ndarray], metric: str) -> dict | None:
    """Best LM row vs best non-LM row on ``metric``: ratio and paired t-test p over users."""
    lm = [r for r in rows_ if r["uses_lm"]]
    plain = [r for r in rows_ if not r["uses_lm"] and r["model"] != "Random"]
    if not lm or not plain:
        return None
    a = max(lm, key=lambda r: r["metrics"][metric])
    b = max(plain, key=lambda r: r["metrics"][metric])
    pa, pb = per_user[id(a)], per_user[id(b)]
    p = float(stats.ttest_rel(pa, pb).pvalue) if len(pa) > 1 and np.any(pa != pb) else 1.0
    return {"metric": metric, "best_lm": a["label"], "best_non_lm": b["label"],
            "ratio": a["metrics"][metric] / max(b["metrics"][metric], 1e-12), "p": p}


def run_dataset(name: str, slices: list[str], console: Console, only: list[str] | None = None,
                keywords: bool = False) -> tuple[list[dict], list[str]]:
    ds = shuffle_items(load_dataset(name, data_dir(), download=False))
    overall = DATASETS[name][0]
    console.print(f"[bold]{ds}[/]")
    out: list[dict] = []
    notes: list[str] = []
    overall_rows: dict[str, tuple[dict, np.ndarray]] = {}
    for slice_name in slices:
        split, candidates, min_rating, desc = make_slice(ds, slice_name, overall)
        # the models' own validation mirrors the test: each user's latest for warm-users, else the split's kind
        temporal = "per-user" if slice_name == "warm-users" else overall == "temporal"
        global_cut = overall == "temporal" and slice_name in ("overall", "text-missing", "noisy")
        contenders = [c for c in rows(split.train, temporal, 0.2 if global_cut else None, keywords=keywords)
                      if slice_name in c.slices and (not only or any(o in c.label for o in only))]
        here: list[dict] = []
        per_user: dict[int, np.ndarray] = {}
        for c in contenders:
            key = f"{c.system}|{c.label}|{c.encoder}|{c.uses_lm}"
            if slice_name == "text-missing" and not c.reads_text and key in overall_rows:
                r, pu = overall_rows[key]  # reads no text: the blanked texts cannot change it
                r = {**r, "slice": slice_name, "split": desc, "carried_over": True}
            else:
                res = Experiment([split], {c.title: c.build()}, ks=[10, 20], min_rating=min_rating,
                                 candidates=candidates, dataset=name, split_name=desc, system=c.system,
                                 on_error="skip", console=console).run()  # a peer that cannot run: said, skipped
                if not res.rows:
                    continue
                m, fit = res.measurements[0], res.rows[0]["fit_seconds"]
                metrics = {k: m.metrics[k] for k in METRICS}
                r = row(c.system, c.title, name, desc, metrics, fit, m.predict_seconds, slice=slice_name,
                        kind=c.kind, uses_lm=c.uses_lm, encoder=c.encoder, users=len(m.users), label=c.title,
                        ci95={k: list(m.ci95[k]) for k in ("ndcg@10", "recall@20")})
                pu = m.per_user
                if slice_name == "overall":
                    overall_rows[key] = (r, pu)
                console.print(f"  {slice_name:12s} {r['model'][:58]:58s} ndcg@10 {metrics['ndcg@10']:.4f} "
                              f"recall@20 {metrics['recall@20']:.4f}  fit {fit:6.1f}s")
            here.append(r)
            per_user[id(r)] = pu
        # cold items: Recall@20 (the measure) unless 20 covers most of the cold catalogue
        few = candidates is not None and candidates.sum() <= 40
        metric = "recall@20" if slice_name == "cold-items" and not few else "ndcg@10"
        test = paired(here, {k: v[metric] for k, v in per_user.items()}, metric)
        for r in here:
            r["paired_test"] = test
        out += here
        print_slice(console, name, slice_name, desc, here, metric, test)
        if test:
            notes.append(f"{name} · {slice_name}: best LM row {test['best_lm']} / best non-LM row "
                         f"{test['best_non_lm']} on {metric} = {test['ratio']:.3f} (paired t-test p = {test['p']:.2g})")
    return out, notes


def print_slice(console: Console, dataset: str, slice_name: str, desc: str, rows_: list[dict], metric: str,
                test: dict | None) -> None:
    t = Table(title=f"{dataset} · {slice_name}: {desc} ({rows_[0]['users'] if rows_ else 0} users; this machine)")
    for col in ("system", "model", "kind", "LM", "NDCG@10 (95% CI)", "Recall@20 (95% CI)", "ARP@20", "fit s"):
        t.add_column(col, justify="left" if col in ("system", "model", "kind") else "right")
    for r in sorted(rows_, key=lambda r: -r["metrics"][metric]):
        cells = []
        for m in ("ndcg@10", "recall@20"):
            lo, hi = r["ci95"][m]
            cells.append(f"{r['metrics'][m]:.4f} ±{(hi - lo) / 2:.4f}")
        t.add_row(r["system"], r["model"], r["kind"], "yes" if r["uses_lm"] else "", *cells,
                  f"{r['metrics']['arp@20']:.1f}",
                  f"{r['fit_seconds']:.1f}" + (" (=)" if r.get("carried_over") else ""))
    console.print(t)
    if test:
        console.print(f"  best LM: {test['best_lm']}; best non-LM: {test['best_non_lm']}; {metric} ratio "
                      f"{test['ratio']:.3f}, paired t-test p = {test['p']:.2g}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", nargs="*", choices=sorted(DATASETS), help="default: all five")
    parser.add_argument("--slices", nargs="*", choices=SLICES, help="default: each dataset's own list")
    parser.add_argument("--rows", nargs="*", help="only rows whose label contains one of these (e.g. re-ranker)")
    parser.add_argument("--keywords", action="store_true", help="re-rankers that read text also read the LM's keywords")
    parser.add_argument("--json", help="write rows in the shared schema here")
    parser.add_argument("--report", help="write the HTML report here")
    args = parser.parse_args()
    console = Console(width=180)
    rows_, notes = [], []
    for name in args.dataset or list(DATASETS):
        slices = [s for s in (args.slices or DATASETS[name][1])]
        r, n = run_dataset(name, slices, console, args.rows, args.keywords)
        rows_ += r
        notes += n
        write_json(rows_, args.json)  # after every dataset: a long run keeps what it measured
    for n in notes:
        console.print(n)
    if args.report:
        from fuserec.evaluation.report import write_report
        from fuserec.semantic import SemanticIndex
        from fuserec.semantic.topics import fit_topics

        first = load_dataset((args.dataset or list(DATASETS))[0], data_dir(), download=False)
        index = SemanticIndex(first, "minilm", show_progress=False)
        topics = fit_topics(index.vectors, index.texts, n_topics=20)
        write_report(rows_, args.report, title="fuserec fusion benchmark", notes=notes,
                     item_map=(index.vectors, topics.labels, topics.words))
        console.print(f"report written to {args.report}")


if __name__ == "__main__":
    main()
