"""The HTTP service: FastAPI under ``/v1``, with keys, limits, metrics and the web page.

``create_app(service)`` builds the application around a `Service` from the routers in
`fuserec.serving.routers`; ``app_from_env`` is the factory ``fuserec serve --workers N`` hands to
uvicorn, so each worker process builds its own from the same folder and store.
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from fuserec.serving.errors import add_error_handlers
from fuserec.serving.metrics import Metrics
from fuserec.serving.middleware import BodyLimit, Timing
from fuserec.serving.service import Service
from fuserec.serving.settings import load_settings

ENV_MODEL, ENV_DB, ENV_CONFIG = "FUSEREC_SERVE_MODEL", "FUSEREC_SERVE_DB", "FUSEREC_SERVE_CONFIG"

__all__ = ["ENV_CONFIG", "ENV_DB", "ENV_MODEL", "Metrics", "app_from_env", "create_app"]


def create_app(service: Service) -> FastAPI:
    """The FastAPI application serving ``service``."""
    from fuserec.serving import routers, ui

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
    add_error_handlers(app)
    app.include_router(routers.operations.router())
    for resource in (routers.recommendations, routers.items, routers.search, routers.events, routers.admin):
        app.include_router(resource.router(settings), prefix="/v1", responses=routers.ERRORS)
    app.include_router(ui.router())
    return app


def app_from_env() -> FastAPI:
    """The application for one uvicorn worker, configured by ``FUSEREC_SERVE_*`` variables."""
    settings = load_settings(os.environ.get(ENV_CONFIG) or None)
    return create_app(Service(os.environ[ENV_MODEL], os.environ.get(ENV_DB) or None, settings))
