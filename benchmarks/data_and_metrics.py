"""Loading and evaluation speed on ml-100k, beside Cornac and plain pandas/scipy/scikit-learn.

Targets (issue 2): ml-100k load + matrix build < 1 s; full-ranking NDCG@10 for all 943 users
× 1,682 items < 0.5 s. Timings are medians of 5 runs after a warm-up, on this machine.

    python benchmarks/data_and_metrics.py [--json PATH]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).parent))
from common import data_dir, print_table, row, timed, write_json  # noqa: E402

from fuserec._core.topk import mask_seen, topk_indices  # noqa: E402
from fuserec.data.movielens import load_ml100k  # noqa: E402
from fuserec.data.split import random_split  # noqa: E402
from fuserec.evaluation import evaluate_ranking  # noqa: E402
from fuserec.evaluation.metrics import ranking_metrics  # noqa: E402
from fuserec.models import Popularity  # noqa: E402

DATASET = "ml-100k"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", help="write rows in the shared schema here")
    args = parser.parse_args()
    folder = data_dir() / "ml-100k"
    rows = []

    # ---- load + matrix ----------------------------------------------------------------------
    def ours():
        ds = load_ml100k(folder)  # validates, cleans, reads u.item (Latin-1) and u.user too
        return ds.matrix()

    def plain():
        df = pd.read_csv(folder / "u.data", sep="\t", header=None, names=["u", "i", "r", "t"])
        uid, u = np.unique(df["u"].to_numpy(), return_inverse=True)
        iid, i = np.unique(df["i"].to_numpy(), return_inverse=True)
        return sp.csr_matrix((df["r"].to_numpy(np.float32), (u, i)), shape=(len(uid), len(iid)))

    t_ours, m = timed(ours)
    t_plain, m2 = timed(plain)
    assert m.nnz == m2.nnz == 100_000
    rows.append(row("fuserec", "load+matrix", DATASET, "-", {"seconds": t_ours}))
    rows.append(row("pandas+scipy", "load+matrix (no validation, no item table)", DATASET, "-", {"seconds": t_plain}))
    try:
        from cornac.data import Dataset as CornacDataset
        from cornac.data import Reader

        def cornac_load():
            data = Reader().read(str(folder / "u.data"), sep="\t")
            return CornacDataset.from_uir(data).csr_matrix

        t_cornac, m3 = timed(cornac_load)
        assert m3.nnz == 100_000
        rows.append(row("cornac", "load+matrix (u.data only)", DATASET, "-", {"seconds": t_cornac}))
    except ImportError:
        print("cornac not installed: its rows are skipped (pip install cornac==3.0.1)")

    # ---- full-ranking NDCG@10 -----------------------------------------------------------------
    ds = load_ml100k(folder)
    split = random_split(ds, 0.2, seed=0)
    rng = np.random.default_rng(0)
    scores = rng.random((ds.n_users, ds.n_items)).astype(np.float32)  # a model's dense score matrix
    seen = split.train.matrix("binary")
    relevant = split.test.matrix("binary")
    users = np.flatnonzero(np.diff(relevant.indptr) > 0)

    def ndcg_from_scores():
        s = mask_seen(scores[users].copy(), seen[users])
        top, _ = topk_indices(s, 10)
        return ranking_metrics(top, relevant[users], [10], names=["ndcg"])["ndcg@10"].mean

    t_metric, ndcg_ours = timed(ndcg_from_scores)
    rows.append(row("fuserec", f"ndcg@10 from scores, {len(users)} users x {ds.n_items} items", DATASET,
                    "random 80/20 seed 0", {"seconds": t_metric, "ndcg@10": ndcg_ours}))

    from sklearn.metrics import ndcg_score

    def sklearn_ndcg():
        s = mask_seen(scores[users].copy(), seen[users])
        s[np.isneginf(s)] = -1.0  # sklearn needs finite scores; train items rank last
        return ndcg_score(relevant[users].toarray(), s, k=10)

    t_sk, ndcg_sk = timed(sklearn_ndcg)
    rows.append(row("scikit-learn", "ndcg@10 from scores (ndcg_score)", DATASET, "random 80/20 seed 0",
                    {"seconds": t_sk, "ndcg@10": ndcg_sk}))
    assert abs(ndcg_ours - ndcg_sk) < 1e-9, (ndcg_ours, ndcg_sk)

    model = Popularity().fit(split.train)
    t_pop, measured = timed(lambda: evaluate_ranking(model, split, [10]))
    rows.append(row("fuserec", "MostPop: score + rank + all metrics", DATASET, "random 80/20 seed 0",
                    {"seconds": t_pop, "ndcg@10": measured.metrics["ndcg@10"]}))
    try:
        import cornac
        from cornac.eval_methods import ranking_eval

        reader_data = [(str(ds.users.ids[u]), str(ds.items.ids[i]), float(r)) for u, i, r in
                       split.train.interactions[["user", "item", "rating"]].itertuples(index=False)]
        test_data = [(str(ds.users.ids[u]), str(ds.items.ids[i]), float(r)) for u, i, r in
                     split.test.interactions[["user", "item", "rating"]].itertuples(index=False)]
        from cornac.data import Dataset as CornacDataset

        ctrain = CornacDataset.from_uir(reader_data, seed=0)
        ctest = CornacDataset.build(test_data, global_uid_map=ctrain.uid_map, global_iid_map=ctrain.iid_map,
                                    exclude_unknowns=True)
        most_pop = cornac.models.MostPop()
        most_pop.fit(ctrain)
        t_c, res = timed(lambda: ranking_eval(most_pop, [cornac.metrics.NDCG(k=10)], ctrain, ctest)[0][0], repeat=3)
        rows.append(row("cornac", "MostPop: ranking_eval (NDCG only)", DATASET, "random 80/20 seed 0",
                        {"seconds": t_c, "ndcg@10": res}))
    except ImportError:
        pass

    print_table("ml-100k: data loading and full-ranking evaluation (median of 5, this machine)", rows,
                ["seconds", "ndcg@10"])
    print(f"targets: load+matrix {t_ours:.3f} s < 1 s: {'PASS' if t_ours < 1 else 'FAIL'}; "
          f"NDCG@10 over all users {t_metric:.3f} s < 0.5 s: {'PASS' if t_metric < 0.5 else 'FAIL'}")
    write_json(rows, args.json)


if __name__ == "__main__":
    main()
