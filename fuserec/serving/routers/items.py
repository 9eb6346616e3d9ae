"""``/v1/items``: add, change and show items, and items like one."""

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from fuserec.serving import schemas
from fuserec.serving.dependencies import READ, WRITE, ItemId, ServiceDep
from fuserec.serving.settings import ServeSettings

UNKNOWN: dict[int | str, dict[str, Any]] = {404: {"description": "Unknown item"}}


def router(settings: ServeSettings) -> APIRouter:
    """The item routes, ``k`` bounded by ``settings.max_k``."""
    api = APIRouter(tags=["items"])
    K = Annotated[int, Query(ge=1, le=settings.max_k, description="How many items")]

    @api.get("/items/{item}/similar", response_model=schemas.Similar, dependencies=READ, responses=UNKNOWN)
    async def similar(service: ServiceDep, item: ItemId, k: K = 10) -> Any:
        """Items most like ``item``."""
        return await service.similar(item, k)

    @api.post("/items", response_model=schemas.ItemView, status_code=201, dependencies=WRITE,
              responses={409: {"description": "The item exists"}})
    async def add_item(service: ServiceDep, body: schemas.NewItem) -> Any:
        """Add an item by its text: searchable and recommendable (cold-start route) at once."""
        added = await service.add_item(body.item, body.title, body.text or body.title, body.categories)
        if added is None:
            raise HTTPException(409, f"item {body.item!r} exists; change it with PATCH /v1/items/{body.item}")
        return added

    @api.patch("/items/{item}", response_model=schemas.ItemView, dependencies=WRITE, responses=UNKNOWN)
    async def patch_item(service: ServiceDep, item: ItemId, body: schemas.ItemPatch) -> Any:
        """Hide an item or set its categories."""
        return await service.patch_item(item, body.model_dump(exclude_none=True))

    @api.get("/items/{item}", response_model=schemas.ItemView, dependencies=READ, responses=UNKNOWN)
    async def get_item(service: ServiceDep, item: ItemId) -> Any:
        """An item as the service holds it."""
        return await service.item(item)

    return api
