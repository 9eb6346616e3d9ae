"""What the service tests share: picking a user and an untouched genre, and running a server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np


def untouched_genre(live, min_history: int = 20) -> tuple[str, str, list[str]]:
    """A user with a real history, a genre none of their items has, and its 5 most popular items."""
    model, cat = live.model, live.catalogue
    counts = np.diff(model.seen_.tocsc().indptr)
    history = np.diff(model.seen_.indptr)
    genres = sorted({g for c in cat.categories for g in c})
    for u in np.flatnonzero(history >= min_history)[:200]:
        items = model.seen_.indices[model.seen_.indptr[u]:model.seen_.indptr[u + 1]]
        touched = set().union(*(cat.categories[i] for i in items))
        for genre in genres:
            members = [i for i in range(cat.n_base) if genre in cat.categories[i]]
            if genre in touched or len(members) < 50:
                continue
            top = sorted(members, key=lambda i: -counts[i])[:5]
            return str(model.users_.to_external([u])[0]), genre, [cat.ids[i] for i in top]
    raise AssertionError("no user with an untouched genre")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(model: Path, port: int, *args: str, log: Path | None = None) -> subprocess.Popen:
    """``fuserec serve`` in a subprocess on 127.0.0.1; returns once /readyz answers."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    out = open(log, "ab") if log else subprocess.DEVNULL
    proc = subprocess.Popen([sys.executable, "-m", "fuserec.cli", "serve", "--model", str(model), "--port", str(port),
                             *args], env=env, stdout=out, stderr=out, start_new_session=True)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the server exited with {proc.returncode}" + (f"; see {log}" if log else ""))
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise AssertionError("the server did not become ready in 180 s")
