"""An open-loop HTTP load generator: requests leave on a fixed schedule, whatever the server does.

Each request's latency runs from the moment it was *scheduled* to leave until its response has
been read, so a server that falls behind pays for the queue it builds (no coordinated omission,
as in wrk2). Connections are HTTP/1.1 over asyncio streams, kept alive when the server allows and
reopened when it closes them (a request that finds its idle connection closed is sent again on a
new one, within its own time); at most ``connections`` are open at once, and a request that finds
none free waits for one, on its own clock.
"""

from __future__ import annotations

import asyncio
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class Result:
    """What one fixed-rate run measured."""

    rate: float
    sent: int
    ok: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    error_kinds: Counter = field(default_factory=Counter)  # "HTTP 503", "ConnectionResetError", ...

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("inf")
        data = sorted(self.latencies_ms)
        return data[min(len(data) - 1, int(round(q / 100 * (len(data) - 1))))]

    def metrics(self) -> dict[str, float]:
        return {"rate": self.rate, "p50_ms": self.percentile(50), "p99_ms": self.percentile(99),
                "mean_ms": statistics.fmean(self.latencies_ms) if self.latencies_ms else float("inf"),
                "rps": self.ok / self.seconds if self.seconds else 0.0, "errors": float(self.errors),
                "requests": float(self.sent)}


class _Pool:
    """Idle keep-alive connections to one host, and a cap on how many may be open."""

    def __init__(self, host: str, port: int, limit: int) -> None:
        self.host, self.port = host, port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.slots = asyncio.Semaphore(limit)

    async def get(self) -> tuple[tuple[asyncio.StreamReader, asyncio.StreamWriter], bool]:
        """A connection, and whether it was reused (the server may have closed it meanwhile)."""
        await self.slots.acquire()
        if self.idle:
            return self.idle.pop(), True
        try:
            return await self.open(), False
        except BaseException:
            self.slots.release()
            raise

    async def open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection(self.host, self.port)

    def put(self, conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None) -> None:
        if conn is not None:
            self.idle.append(conn)
        self.slots.release()

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()
        self.idle.clear()


async def _exchange(conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], request: bytes) -> tuple[int, bool]:
    """Send one request and read its whole response: (status, whether the connection stays open)."""
    reader, writer = conn
    writer.write(request)
    await writer.drain()
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("the server closed the connection")
    status = int(status_line.split(b" ", 2)[1])
    length, keep = 0, True
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection" and value.strip().lower() == b"close":
            keep = False
        elif name == b"transfer-encoding":
            raise ConnectionError("chunked responses are not read by this generator")
    if length:
        await reader.readexactly(length)
    return status, keep


async def _run(host: str, port: int, paths: Sequence[str], rate: float, seconds: float, connections: int,
               timeout: float, bodies: Sequence[bytes] | None = None) -> Result:
    loop = asyncio.get_running_loop()
    pool = _Pool(host, port, connections)
    n = max(1, int(rate * seconds))
    latencies: list[float] = []
    errors = ok = 0
    kinds: Counter = Counter()
    requests = [_request(host, port, p, None if bodies is None else bodies[i]) for i, p in enumerate(paths)]
    start = loop.time() + 0.05

    async def one(i: int) -> None:
        nonlocal errors, ok
        scheduled = start + i / rate
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        conn = None
        try:
            async with asyncio.timeout(timeout - (loop.time() - scheduled)):
                conn, reused = await pool.get()
                try:
                    status, keep = await _exchange(conn, requests[i % len(requests)])
                except (ConnectionError, asyncio.IncompleteReadError):
                    if not reused:
                        raise
                    # a keep-alive connection the server closed while idle: retry once on a new
                    # one, as HTTP clients do for an idempotent request (the clock keeps running)
                    conn[1].close()
                    conn = await pool.open()
                    status, keep = await _exchange(conn, requests[i % len(requests)])
            latencies.append((loop.time() - scheduled) * 1000)
            if status == 200:
                ok += 1
            else:
                errors += 1
                kinds[f"HTTP {status}"] += 1
            if not keep:
                conn[1].close()
                conn = None
            pool.put(conn)
        except (OSError, ConnectionError, TimeoutError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
            errors += 1
            kinds[type(exc).__name__] += 1
            if conn is not None:
                conn[1].close()
                pool.put(None)

    tasks = [asyncio.ensure_future(one(i)) for i in range(n)]
    await asyncio.gather(*tasks)
    elapsed = loop.time() - start
    pool.close()
    return Result(rate=rate, sent=n, ok=ok, errors=errors, seconds=elapsed,
                  latencies_ms=latencies, error_kinds=kinds)


def run(host: str, port: int, paths: Sequence[str], rate: float, seconds: float, connections: int = 256,
        timeout: float = 5.0, bodies: Sequence[bytes] | None = None) -> Result:
    """Send ``rate * seconds`` requests over ``paths`` (cycled in order) at a fixed rate: GETs, or
    POSTs of the JSON ``bodies`` (one per path) when given."""
    return asyncio.run(_run(host, port, paths, rate, seconds, connections, timeout, bodies))


def _request(host: str, port: int, path: str, body: bytes | None) -> bytes:
    head = f"Host: {host}:{port}\r\nConnection: keep-alive\r\n"
    if body is None:
        return f"GET {path} HTTP/1.1\r\n{head}\r\n".encode()
    return (f"POST {path} HTTP/1.1\r\n{head}Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"\r\n").encode() + body
