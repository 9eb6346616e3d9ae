"""The HTTP service: FastAPI under ``/v1``, with keys, limits, metrics and the web page.

``create_app(service)`` builds the application around a `Service`; ``app_from_env`` is the factory
``fuserec serve --workers N`` hands to uvicorn, so each worker process builds its own from the
same folder and store.
"""

from __future__ import annotations

import os
import time

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fuserec.serving.live import UnknownItemError
from fuserec.serving.service import Service
from fuserec.serving.settings import load_settings
from fuserec.serving.store import StoreError

ENV_MODEL, ENV_DB, ENV_CONFIG = "FUSEREC_SERVE_MODEL", "FUSEREC_SERVE_DB", "FUSEREC_SERVE_CONFIG"


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, by Content-Length or while streaming."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await _too_large(self.limit, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await _too_large(self.limit, send)


class _TooLarge(Exception):
    pass


async def _too_large(limit: int, send: Send) -> None:
    response = JSONResponse({"detail": f"request body over {limit} bytes"}, status_code=413)
    await response({"type": "http"}, _nothing, send)


async def _nothing() -> Message:
    return {"type": "http.disconnect"}


class Timing:
    """Observe each request's latency per route and status, and name the worker that answered
    (``x-fuserec-worker``, for operators); plain ASGI, so it adds no task per request."""

    def __init__(self, app: ASGIApp, metrics: Metrics, worker: str) -> None:
        self.app, self.metrics, self.worker = app, metrics, worker.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, status = time.perf_counter(), 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (b"x-fuserec-worker", self.worker)]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            path = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.latency.labels(path, scope["method"], str(status)).observe(time.perf_counter() - start)


class Metrics:
    """Prometheus series of one process: latency per route, events, fold-ins, the model version."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram("fuserec_request_seconds", "Request latency", ["route", "method", "status"],
                                 registry=self.registry,
                                 buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5))
        self.events = Counter("fuserec_events_ingested_total", "Events newly stored", registry=self.registry)
        self.duplicates = Counter("fuserec_events_duplicate_total", "Events already stored", registry=self.registry)
        self.fold_ins = Gauge("fuserec_fold_ins", "Lists scored by fold-in since the model loaded",
                              registry=self.registry)
        self.version = Gauge("fuserec_model_info", "The model version served", ["model_version"],
                             registry=self.registry)
        self.reloads = Gauge("fuserec_reloads", "Model reloads since start", registry=self.registry)


def create_app(service: Service) -> FastAPI:
    """The FastAPI application serving ``service``."""
    from fuserec.serving import routes, ui

    settings = service.settings
    app = FastAPI(title="fuserec", version="1", description="Recommendations that fold in fresh feedback.",
                  docs_url="/docs", openapi_url="/openapi.json")
    app.state.service = service
    app.state.metrics = metrics = Metrics()
    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["*"],
                           allow_headers=["*"])

    app.add_middleware(Timing, metrics=metrics, worker=str(os.getpid()))
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)

    @app.exception_handler(UnknownItemError)
    async def unknown_item(request: Request, exc: UnknownItemError) -> JSONResponse:
        return JSONResponse({"detail": exc.args[0]}, status_code=404)

    @app.exception_handler(StoreError)
    async def store_down(request: Request, exc: StoreError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503)

    @app.exception_handler(LookupError)
    async def unavailable(request: Request, exc: LookupError) -> JSONResponse:
        return JSONResponse({"detail": str(exc.args[0] if exc.args else exc)}, status_code=503)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
                  for e in exc.errors()]
        return JSONResponse({"detail": errors}, status_code=422)

    @app.get("/healthz", tags=["operations"])
    def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"])
    def readyz() -> JSONResponse:
        """A model is loaded and the store answers."""
        try:
            events = service.store.count()
        except StoreError as exc:
            return JSONResponse({"status": "store unavailable", "detail": str(exc)}, status_code=503)
        return JSONResponse({"status": "ready", "model_version": service.live.version, "events": events})

    @app.get("/metrics", tags=["operations"], response_class=PlainTextResponse)
    def prometheus() -> PlainTextResponse:
        """Prometheus metrics of this worker process."""
        metrics.fold_ins.set(service.live.fold_ins)
        metrics.reloads.set(service.reloads)
        metrics.version.clear()
        metrics.version.labels(service.live.version).set(1)
        return PlainTextResponse(generate_latest(metrics.registry).decode(), media_type=CONTENT_TYPE_LATEST)

    app.include_router(routes.router(service, metrics))
    app.include_router(ui.router())
    return app


def app_from_env() -> FastAPI:
    """The application for one uvicorn worker, configured by ``FUSEREC_SERVE_*`` variables."""
    settings = load_settings(os.environ.get(ENV_CONFIG) or None)
    return create_app(Service(os.environ[ENV_MODEL], os.environ.get(ENV_DB) or None, settings))
