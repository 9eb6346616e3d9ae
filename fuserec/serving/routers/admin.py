"""``/v1/admin``: operator actions behind a write key."""

from typing import Any

from fastapi import APIRouter

from fuserec.serving import schemas
from fuserec.serving.dependencies import WRITE, ServiceDep
from fuserec.serving.offloop import off_loop
from fuserec.serving.settings import ServeSettings


def router(settings: ServeSettings) -> APIRouter:
    """The admin routes."""
    api = APIRouter(tags=["operations"], dependencies=WRITE)

    @api.post("/admin/reload", response_model=schemas.Reloaded)
    async def reload(service: ServiceDep) -> Any:
        """Swap to the artifact version ``DIR/current`` points at; requests keep being served."""
        return await off_loop(service.reload)

    return api
