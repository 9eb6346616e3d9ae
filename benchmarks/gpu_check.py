"""On a machine with a GPU: the CUDA paths give the CPU paths' results, and their speed.

EASE's inverse in torch on the GPU must equal numpy's on the CPU; BiasedMF trained by torch
mini-batches on the GPU must reach the RMSE of the compiled CPU loop on ml-100k u1.

    python benchmarks/gpu_check.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import data_dir  # noqa: E402

from fuserec.data import load_dataset  # noqa: E402
from fuserec.data.split import ml100k_folds, random_split  # noqa: E402
from fuserec.device import default_device  # noqa: E402
from fuserec.evaluation import evaluate_ranking, evaluate_rating  # noqa: E402
from fuserec.models import EASE, BiasedMF  # noqa: E402


def timed_fit(model, train):
    start = time.perf_counter()
    model.fit(train)
    return model, time.perf_counter() - start


def main() -> None:
    import torch

    device = default_device()
    print(f"torch {torch.__version__}; default_device() = {device}; "
          f"{torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'no GPU'}")
    ds = load_dataset("ml-100k", data_dir(), download=False)
    split = random_split(ds, 0.2, seed=0)
    EASE(device=device).fit(split.train)  # warm-up (CUDA context, kernels)
    gpu, t_gpu = timed_fit(EASE(device=device), split.train)
    cpu, t_cpu = timed_fit(EASE(device="cpu"), split.train)
    diff = float(np.abs(gpu.item_weights_ - cpu.item_weights_).max())
    n_gpu = evaluate_ranking(gpu, split, [10]).metrics["ndcg@10"]
    n_cpu = evaluate_ranking(cpu, split, [10]).metrics["ndcg@10"]
    print(f"EASE fit: {device} {t_gpu:.3f} s, cpu {t_cpu:.3f} s; max |ΔB| {diff:.2e}; "
          f"NDCG@10 {n_gpu:.4f} vs {n_cpu:.4f}")
    u1 = ml100k_folds(ds, data_dir() / "ml-100k", ["u1"])[0]
    BiasedMF(epochs=1, verbose=False).fit(u1.train)  # warm-up
    mf_gpu, t_mf_gpu = timed_fit(BiasedMF(verbose=False), u1.train)  # device=None: CUDA when present
    mf_cpu, t_mf_cpu = timed_fit(BiasedMF(device="numba", verbose=False), u1.train)
    r_gpu = evaluate_rating(mf_gpu, u1).metrics["rmse"]
    r_cpu = evaluate_rating(mf_cpu, u1).metrics["rmse"]
    print(f"BiasedMF u1: {device} torch {t_mf_gpu:.2f} s RMSE {r_gpu:.4f}; numba CPU {t_mf_cpu:.2f} s RMSE {r_cpu:.4f}")
    ok = diff < 1e-3 and abs(n_gpu - n_cpu) < 1e-3 and abs(r_gpu - r_cpu) < 0.01 and device.startswith("cuda")
    print("GPU CHECK", "PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
