"""``/healthz``, ``/readyz`` and ``/metrics``: for load balancers and Prometheus, outside ``/v1``."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from fuserec.events import StoreError
from fuserec.serving.dependencies import MetricsDep, ServiceDep


def router() -> APIRouter:
    """The operations routes (no key needed)."""
    api = APIRouter(tags=["operations"])

    @api.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @api.get("/readyz")
    async def readyz(service: ServiceDep) -> JSONResponse:
        """A model is loaded and the store answers."""
        try:
            return JSONResponse(await service.readiness())
        except StoreError as exc:
            return JSONResponse({"status": "store unavailable", "detail": str(exc)}, status_code=503)

    @api.get("/metrics", response_class=PlainTextResponse)
    async def prometheus(service: ServiceDep, metrics: MetricsDep) -> PlainTextResponse:
        """Prometheus metrics of this worker process."""
        metrics.fold_ins.set(service.live.fold_ins)
        metrics.reloads.set(service.reloads)
        metrics.version.clear()
        metrics.version.labels(service.live.version).set(1)
        return PlainTextResponse(generate_latest(metrics.registry).decode(), media_type=CONTENT_TYPE_LATEST)

    return api
