"""The service on a large catalogue: ``fuserec serve`` over the ALS artifact of a generated log.

The ``serve`` stage of ``scale.py``. The server loads the artifact that the ``als`` stage saved
(every user's and item's factors), encodes every item title with the static encoder once (cached
per machine) and, past ``exact_below`` items, searches text through a faiss inverted-file index; its
start-up seconds and the artifact's size on disk are reported. It starts with both cores, on
which faiss builds its index (one BLAS thread, one faiss thread per request after the build, as
``fuserec serve`` sets), and is then pinned to CPU 0 while the load generator (``loadgen.py``,
open loop) runs on CPU 1. Measured:

- ``search_recall@10``: the service's answers to ``QUERIES`` searches (titles of seeded random
  items) against exact inner products over the same vectors, encoded here; an item counts as
  found when its exact score reaches the exact tenth best, so that items with equal titles
  do not count as misses;
- ``search p50/p99`` at each of ``RATES`` requests per second (POST ``/v1/search``), and the
  user route's (GET ``/v1/users/{id}/recommendations``, which scores every item) at the same
  rates, each the median of ``REPEATS`` runs of ``SECONDS`` (as the serving benchmark takes
  them, so that one noisy spell of a shared machine does not make the row), with the worst run's
  p99 beside it.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from loadgen import run  # noqa: E402
from serving import _free_port, _start, _stop  # noqa: E402

QUERIES = 1_000
RATES = (50, 100, 200)
SECONDS = 15.0
REPEATS = 3


def _post(url: str, body: dict) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as r:
        return json.loads(r.read())


def _pin(pid: int, cpu: int) -> None:
    """Every thread of process ``pid`` onto ``cpu`` (the server built its index on both)."""
    for task in os.listdir(f"/proc/{pid}/task"):
        os.sched_setaffinity(int(task), {cpu})


def _recall(base: str, catalogue: pd.DataFrame, texts: list[str]) -> float:
    """Share of the exact top 10 (ties at the tenth score included) among the service's answers
    to ``texts``, over the vectors of the catalogue's texts (the artifact's item table)."""
    from fuserec._core.topk import topk_indices
    from fuserec.semantic import get_encoder
    from fuserec.serving.retrieval import recall_with_ties

    encoder = get_encoder("static")
    vectors = np.asarray(encoder.encode(catalogue["text"].astype(str).tolist(), show_progress=False),
                         dtype=np.float32)
    ids = catalogue["id"].to_numpy()
    queries = range(len(texts))
    query_vectors = np.asarray(encoder.encode(texts, query=True, show_progress=False), dtype=np.float32)
    position = {str(i): n for n, i in enumerate(ids)}
    answered = np.full((len(texts), 10), -np.inf)
    kth = np.empty(len(texts))
    for start in range(0, len(queries), 100):
        scores = query_vectors[start:start + 100] @ vectors.T
        _, best = topk_indices(scores, 10)
        kth[start:start + len(best)] = best[:, -1]
        for row, text in enumerate(texts[start:start + 100]):
            answer = _post(f"{base}/v1/search", {"text": text, "k": 10})["items"]
            answered[start + row, :len(answer)] = [scores[row, position[str(e["item"])]] for e in answer]
    return recall_with_ties(answered, kth)


def _drained(port: int, probe: str, limit_s: float = 300.0) -> None:
    """Wait until the server answers ``probe`` (a route that queues like the load) at once again:
    requests the generator gave up on at an overloaded rate are still queued there, and would be
    charged to the next run."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        start = time.perf_counter()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{probe}", timeout=limit_s) as r:
            r.read()
        if time.perf_counter() - start < 0.1:
            return
        time.sleep(1.0)


def _latency(port: int, paths: list[str], bodies: list[bytes] | None, probe: str) -> dict[str, float]:
    """Medians over ``REPEATS`` runs at each rate (as the serving benchmark takes them), and the
    worst run's p99 beside them."""
    out: dict[str, float] = {}
    for rate in RATES:
        runs = []
        for _ in range(REPEATS):
            _drained(port, probe)
            runs.append(run("127.0.0.1", port, paths, rate, SECONDS, bodies=bodies).metrics())
        for key in ("p50_ms", "p99_ms"):
            out[f"{key}@{rate}"] = statistics.median(m[key] for m in runs)
        out[f"worst p99_ms@{rate}"] = max(m["p99_ms"] for m in runs)
        out[f"errors@{rate}"] = sum(m["errors"] for m in runs)
        each = ", ".join(f"{m['p99_ms']:.1f}" for m in runs)
        print(f"  {rate}/s: p50 {out[f'p50_ms@{rate}']:.1f} ms, p99 {out[f'p99_ms@{rate}']:.1f} ms (runs: {each}), "
              f"{out[f'errors@{rate}']:.0f} errors", flush=True)
    return out


def stage_serve(folder: Path) -> dict[str, float]:
    """Serve ``folder``'s ALS artifact and measure search recall and both routes' latency."""
    artifact = folder / "als-artifact"
    if not artifact.exists():
        raise SystemExit(f"{artifact} is missing: run the als stage first")
    titles = pd.read_parquet(folder / "items.parquet", columns=["title"])["title"].astype(str).tolist()
    users = pd.read_parquet(next((folder / "events").glob("part-*.parquet")), columns=["user"])["user"].unique()
    config = folder / "serve.toml"
    config.write_text('[serve]\nencoder = "static"\nmultilingual = "off"\n')
    port, log = _free_port(), folder / "serve.log"
    cmd = [sys.executable, "-m", "fuserec.cli", "serve", "--model", str(artifact), "--port", str(port),
           "--config", str(config), "--db", str(folder / "serve-events.sqlite")]
    start = time.perf_counter()
    server = _start(cmd, {"HF_HUB_OFFLINE": "1"}, f"http://127.0.0.1:{port}/readyz", log, pin=False)
    metrics = {"start_seconds": time.perf_counter() - start, "items": float(len(titles)),
               "artifact_gb": sum(p.stat().st_size for p in artifact.rglob("*") if p.is_file()) / 1e9}
    try:
        _pin(server.pid, 0)
        os.sched_setaffinity(0, {1})
        rng = random.Random(0)
        named = [t for t in titles if t.strip()]  # items without text have nothing to search by
        texts = [named[rng.randrange(len(named))] for _ in range(QUERIES)]  # what people type: titles
        catalogue = pd.read_parquet(artifact / "current" / "items.parquet", columns=["id", "text"])
        metrics["search_recall@10"] = float(_recall(f"http://127.0.0.1:{port}", catalogue, texts))
        print(f"search recall@10 against exact: {metrics['search_recall@10']:.4f}", flush=True)
        bodies = [json.dumps({"text": text, "k": 10}).encode() for text in texts]
        paths = [f"/v1/users/{rng.choice(users)}/recommendations?k=10" for _ in range(QUERIES)]
        for key, value in _latency(port, ["/v1/search"] * len(bodies), bodies, paths[0]).items():
            metrics[f"search {key}"] = value
        for key, value in _latency(port, paths, None, paths[0]).items():
            metrics[f"user {key}"] = value
    finally:
        _stop(server)
    metrics["seconds"] = time.perf_counter() - start
    return metrics
