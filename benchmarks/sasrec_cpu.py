"""What each of SASRec's CPU choices buys: one training epoch on Beauty, with one choice undone at a time.

SASRec's training loop (`fuserec.models.sasrec`) makes four choices for a CPU. Each row here
trains the same network (the library's default settings) on the S3-Rec Beauty sequences (each
user's last item held out, as in the sequential benchmark) with one of them undone:

- **batches of similar length** (users sorted by length, ties at random, batches shuffled)
  against batches drawn at random;
- **padded to the batch's longest history** against padded to ``max_len``;
- **every position of a sequence trained in one pass** against one row per prefix (each prefix's
  last position is its target, the way a model without a causal mask would have to be fed);
- **negatives shared by the batch** (one draw of ``n_negatives`` for every position, a single
  matrix product) against negatives drawn per position (256 each, gathered per position);
- **threads set to the cores** against one thread (left out when the process may use one core
  only, as under ``taskset -c 0``; every row records ``cores``).

Rows carry seconds per epoch (the median over ``--epochs`` epochs; a variant too slow for a whole
epoch is timed on a seeded share of its batches and scaled to the epoch, ``measured_share``), the
padded cells' share of every cell computed, and the ratio to ours. Only the timing differs
between rows: the loss each variant optimises is the same objective except the negatives rows.

    python benchmarks/sasrec_cpu.py [--epochs 2] [--json PATH]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
from common import data_dir, row, write_json  # noqa: E402

from fuserec.data import load_dataset  # noqa: E402
from fuserec.data.split import leave_last_split  # noqa: E402
from fuserec.models import SASRec  # noqa: E402
from fuserec.models.sasrec_net import SASRecNet, sequence_loss  # noqa: E402
from fuserec.models.sequences import length_batches, padded, user_sequences  # noqa: E402

DATASET = "beauty-s3rec"
PER_POSITION_NEGATIVES = 256
MAX_BATCHES = 120  # a variant slower than ours by far is timed on this many batches and scaled


@dataclass(frozen=True)
class Variant:
    label: str
    batching: str = "length"  # length | random
    pad: str = "longest"  # longest | max_len
    positions: str = "all"  # all | prefix
    negatives: str = "shared"  # shared | per-position
    threads: int = 0  # 0: the cores the process may use


OURS = Variant("ours: similar lengths, padded to the longest, all positions, shared negatives, all cores")
VARIANTS = [
    OURS,
    replace(OURS, label="batches drawn at random", batching="random"),
    replace(OURS, label="padded to max_len", pad="max_len"),
    replace(OURS, label="one row per prefix", positions="prefix"),
    replace(OURS, label=f"negatives per position ({PER_POSITION_NEGATIVES} each)", negatives="per-position"),
    replace(OURS, label="one thread", threads=1),
]


def _rows(indptr: np.ndarray, items: np.ndarray, positions: str) -> tuple[np.ndarray, np.ndarray]:
    """The training rows: each sequence, or each of its prefixes of two items or more."""
    if positions == "all":
        return indptr, items
    starts, ends = [], []
    for u in range(len(indptr) - 1):
        for end in range(indptr[u] + 2, indptr[u + 1] + 1):
            starts.append(max(indptr[u], end - 51))
            ends.append(end)
    pieces = [items[s:e] for s, e in zip(starts, ends, strict=True)]
    return np.r_[0, np.cumsum([len(p) for p in pieces])].astype(np.int64), np.concatenate(pieces)


def _per_position_loss(net: SASRecNet, hidden: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Sampled softmax with its own negatives for every position (gathered, not shared)."""
    keep = targets != net.n_items
    h, t = hidden[keep], targets[keep]
    negatives = torch.randint(0, net.n_items, (len(t), PER_POSITION_NEGATIVES))
    positive = (h * net.represent(t)).sum(-1, keepdim=True)
    negative = torch.einsum("pd,pnd->pn", h, net.represent(negatives)).masked_fill(negatives == t[:, None],
                                                                                  float("-inf"))
    return F.cross_entropy(torch.cat([positive, negative], 1), torch.zeros(len(t), dtype=torch.long))


def _epoch(v: Variant, net: SASRecNet, opt: Any, indptr: np.ndarray, items: np.ndarray, model: SASRec,
           rng: np.random.Generator) -> tuple[float, float, float]:
    """Seconds for one epoch (scaled from ``MAX_BATCHES`` batches when there are more), the
    measured share of the epoch, and the padded cells' share."""
    lengths = np.diff(indptr)
    trainable = np.flatnonzero(lengths >= 2)
    if v.batching == "length":
        batches = length_batches(lengths[trainable], model.batch_size, rng)
    else:
        order = rng.permutation(len(trainable))
        batches = [order[i:i + model.batch_size] for i in range(0, len(order), model.batch_size)]
    timed = batches if v.positions == "all" else [batches[i] for i in rng.permutation(len(batches))[:MAX_BATCHES]]
    cells = real = 0
    net.train()
    start = time.perf_counter()
    for batch in timed:
        window, size = padded(indptr, items, trainable[batch], model.max_len + 1, net.n_items)
        if v.pad == "max_len":
            window = np.pad(window, ((0, 0), (0, model.max_len + 1 - window.shape[1])), constant_values=net.n_items)
        cells, real = cells + window[:, :-1].size, real + int((size - 1).sum())
        seqs = torch.as_tensor(window)
        hidden = net(seqs[:, :-1], torch.as_tensor(np.maximum(size - 1, 1)))
        targets = seqs[:, 1:]
        if v.positions == "prefix":  # only the last position of each prefix is a target
            last = torch.zeros_like(targets, dtype=torch.bool)
            last[torch.arange(len(size)), torch.as_tensor(size - 2)] = True
            targets = targets.masked_fill(~last, net.n_items)
        loss = (_per_position_loss(net, hidden, targets) if v.negatives == "per-position"
                else sequence_loss(net, hidden, targets, model.loss, model.n_negatives))
        opt.zero_grad()
        loss.backward()
        opt.step()
    share = len(timed) / len(batches)
    return (time.perf_counter() - start) / share, share, 1 - real / max(cells, 1)


def measure(v: Variant, indptr: np.ndarray, items: np.ndarray, n_items: int, epochs: int) -> dict[str, float]:
    model = SASRec()
    torch.manual_seed(0)
    torch.set_num_threads(v.threads or len(os.sched_getaffinity(0)))
    rows_ptr, rows_items = _rows(indptr, items, v.positions)
    net = SASRecNet(n_items, model.factors, model.blocks, model.heads, model.dropout, model.max_len)
    opt = torch.optim.Adam(net.parameters(), lr=model.lr, betas=(0.9, 0.98))
    rng = np.random.default_rng(0)
    runs = [_epoch(v, net, opt, rows_ptr, rows_items, model, rng) for _ in range(epochs)]
    return {"seconds_per_epoch": statistics.median(r[0] for r in runs), "measured_share": runs[0][1],
            "padded_share": runs[0][2], "threads": float(torch.get_num_threads())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--json")
    args = parser.parse_args()
    ds = load_dataset(DATASET, data_dir(), download=False)
    train = leave_last_split(ds, 1).train
    indptr, items = user_sequences(train)
    rows, ours = [], None
    cores = len(os.sched_getaffinity(0))
    for v in VARIANTS:
        if v.threads and v.threads >= cores:
            print(f"{v.label}: skipped, the process may use {cores} core(s)")
            continue
        m = measure(v, indptr, items, train.n_items, args.epochs)
        ours = ours or m["seconds_per_epoch"]
        m["times_ours"] = m["seconds_per_epoch"] / ours
        rows.append(row("fuserec", v.label, DATASET, "leave-one-out train", m, epochs=args.epochs, cores=cores))
        print(f"{v.label}: {m['seconds_per_epoch']:.1f} s per epoch", flush=True)
    t = Table(title=f"SASRec's CPU choices, one epoch on {DATASET} (this machine)")
    for col in ("variant", "s per epoch", "× ours", "padded share", "measured share"):
        t.add_column(col, justify="left" if col == "variant" else "right")
    for r in rows:
        m = r["metrics"]
        t.add_row(r["model"], f"{m['seconds_per_epoch']:.1f}", f"{m['times_ours']:.2f}", f"{m['padded_share']:.2f}",
                  f"{m['measured_share']:.2f}")
    Console().print(t)
    write_json(rows, args.json)


if __name__ == "__main__":
    main()
