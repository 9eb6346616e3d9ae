"""Blocking work off the event loop: store round trips, writes, the encoder and reloads run on a thread pool.

A request's store reads (a PostgreSQL round trip, or a SQLite read waiting for a writer) must
not hold the event loop, or every other request waits behind them. Ranking a list, though, is
short and CPU-bound: on a thread it would only add a hand-off of the interpreter lock per
request, so the service awaits the store read here and ranks on the loop; a machine's cores are
used by ``--workers``, one process each.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

_WORK = ThreadPoolExecutor(max_workers=8, thread_name_prefix="fuserec-request")


async def off_loop(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` on the service's thread pool, lighter per call than anyio's."""
    return await asyncio.get_running_loop().run_in_executor(_WORK, partial(fn, *args))
