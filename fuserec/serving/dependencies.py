"""What handlers depend on: the service, its metrics, and the API-key check by scope.

Both are asynchronous, though neither waits: FastAPI runs a plain function dependency on a
worker thread, a hand-off on every request for a check that takes microseconds.

The body limit is not a dependency: FastAPI reads a request's whole body before it solves the
dependencies, so one could only refuse a streamed body after holding it in memory. It is the
ASGI middleware `fuserec.serving.middleware.BodyLimit`, which counts the bytes as they arrive.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request

from fuserec.events import Text
from fuserec.serving.keys import Scope
from fuserec.serving.metrics import Metrics
from fuserec.serving.service import Service


async def get_service(request: Request) -> Service:
    """The service the application was built around."""
    return request.app.state.service


async def get_metrics(request: Request) -> Metrics:
    """This worker's Prometheus series."""
    return request.app.state.metrics


ServiceDep = Annotated[Service, Depends(get_service)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
UserId = Annotated[Text, Path(min_length=1, max_length=200)]
ItemId = Annotated[Text, Path(min_length=1, max_length=200)]


def _key(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.headers.get("x-api-key")


def needs(scope: Scope) -> Callable[[Request], Awaitable[None]]:
    """A dependency: 401 without a valid key, 403 when its scope is too small; open when the
    service has no keys (and reads open when the settings make them public)."""

    async def check(request: Request) -> None:
        service: Service = request.app.state.service
        if not len(service.keys) or (scope == "read" and service.settings.public_reads):
            return
        held = service.keys.scope_of(_key(request))
        if held is None:
            raise HTTPException(401, "an API key is needed: Authorization: Bearer KEY",
                                headers={"WWW-Authenticate": "Bearer"})
        if scope == "write" and held != "write":
            raise HTTPException(403, "this key may only read; writes need a key with the write scope")

    return check


READ = [Depends(needs("read"))]
WRITE = [Depends(needs("write"))]
