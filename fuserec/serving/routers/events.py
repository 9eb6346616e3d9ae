"""``/v1/events`` and ``/v1/users/{user}/events``: feedback in, a user's events out."""

from typing import Annotated, Any

from fastapi import APIRouter, Query

from fuserec.serving import schemas
from fuserec.serving.dependencies import READ, WRITE, MetricsDep, ServiceDep, UserId
from fuserec.serving.settings import ServeSettings


def router(settings: ServeSettings) -> APIRouter:
    """The event routes, a batch bounded by ``settings.max_batch`` and its types by the weights."""
    api = APIRouter(tags=["events"])
    bodies = schemas.bounded(settings)

    @api.post("/events", response_model=schemas.Ingested, dependencies=WRITE)
    async def events(service: ServiceDep, metrics: MetricsDep, body: bodies.events) -> Any:  # type: ignore[name-defined]
        """Store a batch of events; acknowledged only once committed. A repeated ``event_id`` is
        counted as a duplicate, not stored again."""
        added = await service.add_events(body.events)
        metrics.events.inc(added["stored"])
        metrics.duplicates.inc(added["duplicates"])
        return added

    @api.get("/users/{user}/events", response_model=schemas.UserEvents, dependencies=READ)
    async def user_events(service: ServiceDep, user: UserId,
                          limit: Annotated[int, Query(ge=1, le=1_000)] = 100) -> Any:
        """The user's latest events, oldest first."""
        return await service.user_events(user, limit)

    return api
