"""On a machine with a GPU: the CUDA paths give the CPU paths' results, and their speed.

Each check runs the same work on the GPU and on the CPU of the same machine and compares:

- EASE: the item×item inverse in torch on the GPU equals numpy's (max |ΔB|, NDCG@10).
- BiasedMF on ml-100k u1: torch mini-batches on the GPU reach the RMSE of the compiled CPU loop
  (the loop stays the default: it is the faster of the two).
- The default text encoder (all-MiniLM-L6-v2): vectors of ml-100k's item texts on the GPU equal
  the CPU's (smallest cosine), and texts per second on each.
- NeuralHybrid (ID + text two towers, softmax) on ml-100k (random 80/20): NDCG@10 on the GPU is
  within seed noise of the CPU's; NeuralHybrid (MSE) on u1: RMSE likewise. The two devices draw
  different random streams (dropout masks, negatives), so these are equal in distribution, not
  bit for bit; the tolerance is a few times the spread between seeds on the CPU.

    python benchmarks/gpu_check.py [--json PATH]

Exits 0 when every check passes and the default device is CUDA, else 1.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import data_dir, row, write_json  # noqa: E402

from fuserec.data import load_dataset  # noqa: E402
from fuserec.data.split import ml100k_folds, random_split  # noqa: E402
from fuserec.device import default_device  # noqa: E402
from fuserec.evaluation import evaluate_ranking, evaluate_rating  # noqa: E402
from fuserec.fusion.hybrid import NeuralHybrid  # noqa: E402
from fuserec.models import EASE, BiasedMF  # noqa: E402
from fuserec.semantic.encoders import SentenceTransformerEncoder  # noqa: E402
from fuserec.semantic.text import item_texts  # noqa: E402

NDCG_TOL = 0.01  # CPU, ml-100k, seeds 0 and 1: NeuralHybrid NDCG@10 0.3715 vs 0.3707
RMSE_TOL = 0.01


def timed_fit(model, train):
    start = time.perf_counter()
    model.fit(train)
    return model, time.perf_counter() - start


def check_ease(device, split, out, dataset, label):
    EASE(device=device).fit(split.train)  # warm-up (CUDA context, kernels)
    gpu, t_gpu = timed_fit(EASE(device=device), split.train)
    cpu, t_cpu = timed_fit(EASE(device="cpu"), split.train)
    diff = float(np.abs(gpu.item_weights_ - cpu.item_weights_).max())
    n_gpu = evaluate_ranking(gpu, split, [10]).metrics["ndcg@10"]
    n_cpu = evaluate_ranking(cpu, split, [10]).metrics["ndcg@10"]
    out.append((dataset, f"EASE fit, {label} ({split.train.n_items:,} items)", f"NDCG@10 {n_gpu:.4f}",
                f"NDCG@10 {n_cpu:.4f}", f"max |ΔB| {diff:.1e}", t_gpu, t_cpu,
                diff < 1e-3 and abs(n_gpu - n_cpu) < 1e-3))


def check_mf(device, u1, out):
    BiasedMF(epochs=1, device=device, verbose=False).fit(u1.train)  # warm-up
    gpu, t_gpu = timed_fit(BiasedMF(device=device, verbose=False), u1.train)
    cpu, t_cpu = timed_fit(BiasedMF(device="numba", verbose=False), u1.train)
    r_gpu, r_cpu = evaluate_rating(gpu, u1).metrics["rmse"], evaluate_rating(cpu, u1).metrics["rmse"]
    out.append(("ml-100k", "BiasedMF fit, ml-100k u1 (CPU: compiled loop)", f"RMSE {r_gpu:.4f}", f"RMSE {r_cpu:.4f}",
                f"Δ {r_gpu - r_cpu:+.4f}", t_gpu, t_cpu, abs(r_gpu - r_cpu) < RMSE_TOL))


def check_encoder(device, ds, out):
    texts = list(item_texts(ds))
    vectors, seconds = {}, {}
    for side, dev in (("gpu", device), ("cpu", "cpu")):
        enc = SentenceTransformerEncoder(device=dev)
        enc.encode(texts[:64], show_progress=False)  # warm-up
        start = time.perf_counter()
        vectors[side] = enc.encode(texts, show_progress=False)
        seconds[side] = time.perf_counter() - start
    cos = float((vectors["gpu"] * vectors["cpu"]).sum(1).min())
    n = len(texts)
    out.append(("ml-100k", f"MiniLM encode {n} item texts", f"{n / seconds['gpu']:.0f} texts/s",
                f"{n / seconds['cpu']:.0f} texts/s", f"min cosine {cos:.5f}", seconds["gpu"], seconds["cpu"],
                cos > 0.999))


def check_hybrid(device, split, u1, out):
    sides = (("gpu", device), ("cpu", "cpu"))
    fits = {side: timed_fit(NeuralHybrid("minilm", device=dev), split.train) for side, dev in sides}
    n = {side: evaluate_ranking(m, split, [10]).metrics["ndcg@10"] for side, (m, _) in fits.items()}
    out.append(("ml-100k", "NeuralHybrid softmax + MiniLM, ml-100k random 80/20",
                f"NDCG@10 {n['gpu']:.4f} ({fits['gpu'][0].best_epoch_} ep)",
                f"NDCG@10 {n['cpu']:.4f} ({fits['cpu'][0].best_epoch_} ep)", f"Δ {n['gpu'] - n['cpu']:+.4f}",
                fits["gpu"][1], fits["cpu"][1], abs(n["gpu"] - n["cpu"]) < NDCG_TOL))
    fits = {side: timed_fit(NeuralHybrid("minilm", loss="mse", lr=2e-3, reg=1e-4, max_epochs=40, patience=3,
                                         device=dev), u1.train) for side, dev in sides}
    r = {side: evaluate_rating(m, u1).metrics["rmse"] for side, (m, _) in fits.items()}
    out.append(("ml-100k", "NeuralHybrid MSE + MiniLM, ml-100k u1", f"RMSE {r['gpu']:.4f}", f"RMSE {r['cpu']:.4f}",
                f"Δ {r['gpu'] - r['cpu']:+.4f}", fits["gpu"][1], fits["cpu"][1], abs(r["gpu"] - r["cpu"]) < RMSE_TOL))


def main() -> None:
    import torch
    from rich.console import Console
    from rich.table import Table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the rows here (shared schema)")
    args = parser.parse_args()
    device = default_device()
    gpu_name = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    print(f"torch {torch.__version__}; default_device() = {device}; {gpu_name}; "
          f"CPU threads {torch.get_num_threads()}")
    ds = load_dataset("ml-100k", data_dir(), download=False)
    split = random_split(ds, 0.2, seed=0)
    u1 = ml100k_folds(ds, data_dir() / "ml-100k", ["u1"])[0]
    out: list[tuple] = []
    check_ease(device, split, out, "ml-100k", "ml-100k random 80/20")
    if (data_dir() / "lastfm-hetrec2011-2k").is_dir():  # 17,632 artists: where the GPU's inverse pays
        check_ease(device, random_split(load_dataset("lastfm", data_dir(), download=False), 0.2, seed=0), out,
                   "lastfm", "Last.fm random 80/20")
    check_mf(device, u1, out)
    check_encoder(device, ds, out)
    check_hybrid(device, split, u1, out)

    table = Table(title=f"GPU ({gpu_name}) against CPU, same machine")
    for col in ("work", device, "cpu", "agreement", f"{device} s", "cpu s", "speed-up", "pass"):
        table.add_column(col, justify="left" if col in ("work", "agreement") else "right")
    rows = []
    for dataset, work, on_gpu, on_cpu, agreement, t_gpu, t_cpu, ok in out:
        table.add_row(work, on_gpu, on_cpu, agreement, f"{t_gpu:.2f}", f"{t_cpu:.2f}", f"{t_cpu / t_gpu:.1f}×",
                      "yes" if ok else "NO")
        rows.append(row("fuserec", work, dataset, "gpu-check", {}, t_gpu, device=device, gpu=gpu_name,
                        gpu_result=on_gpu, cpu_result=on_cpu, agreement=agreement, cpu_seconds=t_cpu, passed=ok))
    Console(width=200).print(table)
    write_json(rows, args.json)
    ok = all(r[-1] for r in out) and device.startswith("cuda")
    print("GPU CHECK", "PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
