"""Explanations: faithful by a deletion test, grounded in the user's history and the item's text.

Protocol, per dataset (ml-100k, ml-latest-small) and model (EASE, the fused re-ranker): temporal
split per user (each user's latest 20% of ratings held out); 300 test users drawn with seed 0 among those with at
least four training items; each user's top-10 explained. Deletion: the cited history items are
removed and the user's scores recomputed from the reduced history by the model's fold-in (no
refit); the same number of random history items is the paired baseline (one-sided Wilcoxon).
Grounded: every cited item is in the user's training history and every cited term in the item's
text. Wording metrics on the templates: USR (unique sentence ratio), FCR (share of all terms ever
cited) and DIV (mean term overlap between pairs of explanations, lower is more diverse).

Generated wording (same run): 200 English and 100 Chinese explanations drawn with seed 2 from
EASE's on both datasets, reworded by the local SmolLM2-135M-Instruct (cyllama, no network) under
the validator; after it, an audit written apart from the validator counts accepted texts that
name a catalogue title, a catalogue term, a number or a claim word the reasons do not hold
(``generated_ungrounded``). 100 planted ungrounded texts per language (ten kinds in turn) measure
what the validator refuses (``planted_rejected``); ``fallback_rate`` is the share worded by template.

    python benchmarks/explain.py [--datasets ml-100k ml-latest-small] [--users 300] [--llm local]
                                 [--generated-en 200] [--generated-zh 100] [--json PATH]
"""

from __future__ import annotations

import argparse
import itertools
import re
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import data_dir, print_table, row, write_json  # noqa: E402

from fuserec.data import load_dataset  # noqa: E402
from fuserec.data.split import temporal_per_user_split  # noqa: E402
from fuserec.explain import Explainer, ItemInfo, Validator, Wording, deletion_test, summarise  # noqa: E402
from fuserec.explain.planted import KINDS, plant  # noqa: E402
from fuserec.explain.validate import Grounds  # noqa: E402
from fuserec.progress import progress  # noqa: E402
from fuserec.registry import build_model  # noqa: E402

MODELS = {"ease": "ease", "reranker": "reranker"}
K = 10


def mentioned(text: str, vocabulary: list[str]) -> frozenset[str]:
    """Vocabulary terms the text names, as whole words, ignoring case."""
    low = text.lower()
    return frozenset(t for t in vocabulary if t and re.search(rf"(?<!\w){re.escape(t.lower())}(?!\w)", low))


CLAIM_WORDS = {"popular": (" popular ", " trending ", "热门", "受欢迎", "流行"), "new_item": (" new ", "新上"),
               "never": (" award", " oscar", " critic", " masterpiece ", " rated ", " best ", "奖", "评分", "杰作",
                         "打折")}


def _plain(text: str) -> str:
    """Lower case, every run of punctuation and space one space: "Sally... (1989)" is "sally 1989"."""
    spaced = re.sub(r"([\u3400-\u9fff])", r" \1 ", text.lower())  # a Chinese character is a word
    return " " + " ".join(re.sub(r"[^\w]+", " ", spaced).split()) + " "


def audit(text: str, explanation: dict, titles: list[str], vocabulary: list[str]) -> list[str]:
    """What an accepted text names beyond its reasons, by plain string search on punctuation-free
    lower-case text (apart from the validator's word matching): catalogue titles of two or more
    words, catalogue terms, digits and claim words."""
    grounds = Grounds.of(explanation)
    rest = _plain(text)
    bare = [re.sub(r"\s*\(\d{4}\)$", "", t) for t in grounds.titles]
    short = [(re.sub(r"\s*\([^)]*\)", "", b), t[len(b):]) for b, t in zip(bare, grounds.titles, strict=True)]
    names = grounds.titles + bare + [s for s, _ in short] + [s + y for s, y in short]  # without year, other name
    for n, title in zip(bare, grounds.titles, strict=True):  # "Matrix, The (1999)" as "The Matrix (1999)"
        for article in ("The", "A", "An"):
            if n.endswith(f", {article}"):
                name, year = n[:-len(article) - 2], title[len(n):]
                names += [f"{article} {name}", f"{article} {name}{year}", name, name + year]
    allowed = {_plain(t) for t in grounds.terms}
    for name in sorted({_plain(n) for n in names} | allowed, key=len, reverse=True):
        if name.strip():  # every occurrence, also back to back
            rest = re.sub(rf"(?<= ){re.escape(name.strip())}(?= )", " ", rest)
    found = [t for t in titles if len(_plain(t).split()) > 2 and _plain(t) in rest]
    found += sorted({t for t in vocabulary if _plain(t).strip() and _plain(t) in rest})
    found += ["a digit"] * bool(re.search(r"\d", rest))
    for kind, claim_words in CLAIM_WORDS.items():
        if kind not in grounds.kinds:
            found += [w for w in claim_words if w in rest]
    return found


def wording_rows(pool: list[tuple[dict, ItemInfo]], n_en: int, n_zh: int, llm: str) -> list[dict]:
    """Generated wording of explanations drawn from ``pool``, and the validator on planted texts."""
    from fuserec.semantic.chat import get_chat

    chat = get_chat(llm, cache=False)
    rng = np.random.default_rng(2)
    order = rng.permutation(len(pool))
    picks = {"en": order[:n_en], "zh": order[n_en:n_en + n_zh]}
    catalogues = {id(info): info for _, info in pool}
    validators = {key: Validator.for_items(info) for key, info in catalogues.items()}
    vocabularies = {key: sorted({t for ts in info.terms for t in ts}) for key, info in catalogues.items()}
    all_terms = {t for vocabulary in vocabularies.values() for t in vocabulary}
    rows = []
    for lang, picked in picks.items():
        worded, findings, terms_of = [], [], []
        start = time.perf_counter()
        for n in progress(picked, f"generated wording ({lang})"):
            explanation, info = pool[int(n)]
            out = Wording(chat, validators[id(info)]).word(explanation, lang)
            worded.append(out)
            if out["wording"] == "generated":
                found = audit(out["text"], out, info.titles, vocabularies[id(info)])
                if found:
                    findings.append({"text": out["text"], "names": found})
                terms_of.append(mentioned(out["text"], vocabularies[id(info)]))
        seconds = time.perf_counter() - start
        planted = 0
        for k in range(100):
            explanation, info = pool[int(order[-1 - k])]
            text = plant(explanation, KINDS[k % len(KINDS)], lang, info.titles, vocabularies[id(info)], rng)
            planted += bool(validators[id(info)].problems(text, explanation, lang))
        generated = [w for w in worded if w["wording"] == "generated"]
        metrics = {"generated": len(worded), "accepted": len(generated),
                   "fallback_rate": 1 - len(generated) / max(len(worded), 1),
                   "generated_ungrounded": len(findings), "planted": 100, "planted_rejected": planted / 100,
                   **feature_metrics([w["text"] for w in generated], terms_of, all_terms)}
        rows.append(row("fuserec", "ease", "ml-100k+ml-latest-small", "temporal-per-user-0.2", metrics,
                        predict_seconds=seconds, wording="generated", lang=lang, llm=chat.id, audit=findings,
                        examples=[w["text"] for w in generated[:5]],
                        refused=[{"text": w["generated"], "why": w["rejected"]} for w in worded
                                 if w["wording"] == "template"][:5]))
    chat.close()
    return rows


def feature_metrics(texts: list[str], term_sets: list[frozenset[str]], all_terms: set[str]) -> dict[str, float]:
    """USR (unique sentence ratio), FCR (share of all terms ever named) and DIV (mean number of terms
    two explanations share; lower is more diverse), after PETER (Li et al.)."""
    cited = set().union(*term_sets) if term_sets else set()
    rng = np.random.default_rng(0)
    pairs = [tuple(rng.choice(len(term_sets), 2, replace=False)) for _ in range(min(20_000, len(term_sets) ** 2))] \
        if len(term_sets) > 1 else []
    div = np.mean([len(term_sets[a] & term_sets[b]) for a, b in pairs]) if pairs else float("nan")
    return {"usr": len(set(texts)) / max(len(texts), 1), "fcr": len(cited) / max(len(all_terms), 1), "div": float(div)}


def run(dataset: str, model_name: str, n_users: int, pool: list | None = None) -> dict:
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
            if pool is not None and e["reasons"]:
                pool.append((e, info))
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
               **feature_metrics([e["text"] for e in explanations], [
                   frozenset(t for r in e["reasons"] if r["kind"] == "shared_terms" for t in r["terms"])
                   for e in explanations], all_terms)}
    return row("fuserec", model_name, dataset, "temporal-per-user-0.2", metrics, fit_seconds=fit_seconds,
               predict_seconds=explain_seconds, wording="template")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["ml-100k", "ml-latest-small"])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--llm", default="local", help="the language model for generated wording (see get_chat)")
    parser.add_argument("--generated-en", type=int, default=200)
    parser.add_argument("--generated-zh", type=int, default=100)
    parser.add_argument("--json")
    args = parser.parse_args()
    pool: list = []
    rows = [run(d, m, args.users, pool if m == "ease" else None) for d in args.datasets for m in args.models]
    for r in rows:
        r["model"] = f"{r['model']} / {r['dataset']}"
    print_table("Explanations", rows, ["deletion_lowers", "deletion_vs_random_p", "cited_grounded", "attributed",
                                       "usr", "fcr", "div"])
    for r in rows:
        r["model"] = r["model"].split(" / ")[0]
    if args.generated_en or args.generated_zh:
        generated = wording_rows(pool, args.generated_en, args.generated_zh, args.llm)
        for r in generated:
            r["model"] = f"generated ({r['lang']})"
        print_table("Generated wording", generated, ["generated", "fallback_rate", "generated_ungrounded",
                                                     "planted_rejected", "usr", "fcr", "div"])
        for r in generated:
            r["model"] = "ease"
        rows += generated
    write_json(rows, args.json)


if __name__ == "__main__":
    main()
