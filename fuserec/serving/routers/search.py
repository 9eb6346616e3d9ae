"""``/v1/search``: items by free text."""

from typing import Any

from fastapi import APIRouter

from fuserec.serving import schemas
from fuserec.serving.dependencies import READ, ServiceDep
from fuserec.serving.settings import ServeSettings


def router(settings: ServeSettings) -> APIRouter:
    """The search route, ``k`` bounded by ``settings.max_k``."""
    api = APIRouter(tags=["items"], dependencies=READ)
    bodies = schemas.bounded(settings)

    @api.post("/search", response_model=schemas.SearchResults, responses={503: {"description": "No encoder"}})
    async def search(service: ServiceDep, body: bodies.search) -> Any:  # type: ignore[name-defined]
        """Items whose text is nearest to free text."""
        return await service.search(body.text, body.k)

    return api
