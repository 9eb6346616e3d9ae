"""The ``/v1`` routes: recommendations, similar items, search, events, items, sessions, reload."""

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request

from fuserec.serving import schemas
from fuserec.serving.keys import Scope
from fuserec.serving.live import UnknownItemError
from fuserec.serving.service import Service
from fuserec.serving.store import Text

_WORK = ThreadPoolExecutor(max_workers=8, thread_name_prefix="fuserec-request")


async def run_in_threadpool(fn: Callable[..., Any], *args: Any) -> Any:
    """Run slow blocking work (writes, the encoder, a reload) off the event loop, on a plain
    thread pool, lighter per call than anyio's.

    Lists are computed on the loop itself: they are short and CPU-bound, so a thread would
    only add a hand-off of the interpreter lock per request; a machine's cores are used by
    ``--workers``, one process each."""
    return await asyncio.get_running_loop().run_in_executor(_WORK, partial(fn, *args))


UserId = Annotated[Text, Path(min_length=1, max_length=200)]
ItemId = Annotated[Text, Path(min_length=1, max_length=200)]


def _key(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.headers.get("x-api-key")


def _guard(service: Service, needed: Scope) -> Callable[[Request], Awaitable[None]]:
    """A dependency: 401 without a valid key, 403 when its scope is too small (open without keys).

    Asynchronous, though it never waits: FastAPI runs a plain function dependency on a worker
    thread, a hand-off on every request for a check that takes microseconds."""

    async def check(request: Request) -> None:
        if not len(service.keys) or (needed == "read" and service.settings.public_reads):
            return
        scope = service.keys.scope_of(_key(request))
        if scope is None:
            raise HTTPException(401, "an API key is needed: Authorization: Bearer KEY",
                                headers={"WWW-Authenticate": "Bearer"})
        if needed == "write" and scope != "write":
            raise HTTPException(403, "this key may only read; writes need a key with the write scope")

    return check


def router(service: Service, metrics: Any) -> APIRouter:
    """The API routes bound to ``service``."""
    settings = service.settings
    read = [Depends(_guard(service, "read"))]
    write = [Depends(_guard(service, "write"))]
    bodies = schemas.bounded(settings)
    api = APIRouter(prefix="/v1", responses={
        400: {"description": "The body is not JSON"},
        401: {"description": "An API key is needed"},
        403: {"description": "The key's scope does not allow this"},
        413: {"description": "The body is larger than the configured limit"},
    })
    K = Annotated[int, Query(ge=1, le=settings.max_k, description="How many items")]

    @api.get("/users/{user}/recommendations", response_model=schemas.Recommendations, dependencies=read,
             tags=["recommendations"])
    async def recommendations(user: UserId, k: K = 10,
                              exclude: Annotated[list[str] | None, Query(max_length=500)] = None,
                              category: Annotated[str | None, Query(max_length=200)] = None,
                              explain: Annotated[bool, Query(description="Say why each item is there")] = False,
                              lang: Annotated[Literal["en", "zh"], Query(description="Language of the "
                                                                                     "explanations")] = "en") -> Any:
        """The user's top-``k``, with their events so far folded in; an unknown user gets the
        popularity fallback, flagged."""
        return service.live.recommend(user, k, exclude, category, explain, lang=lang)

    @api.get("/items/{item}/similar", response_model=schemas.Similar, dependencies=read, tags=["items"],
             responses={404: {"description": "Unknown item"}})
    async def similar(item: ItemId, k: K = 10) -> Any:
        """Items most like ``item``."""
        return service.live.similar(item, k)

    @api.post("/search", response_model=schemas.SearchResults, dependencies=read, tags=["items"],
              responses={503: {"description": "No encoder"}})
    async def search(body: bodies.search) -> Any:  # type: ignore[name-defined]
        """Items whose text is nearest to free text."""
        return await run_in_threadpool(service.live.search, body.text, body.k)

    @api.post("/sessions/recommendations", response_model=schemas.Recommendations, dependencies=read,
              tags=["recommendations"])
    async def session(body: bodies.session) -> Any:  # type: ignore[name-defined]
        """The top-``k`` for an anonymous visitor from the items they have seen."""
        return service.live.recommend_session(body.items, body.k, body.category, body.explain, body.lang)

    @api.post("/events", response_model=schemas.Ingested, dependencies=write, tags=["events"])
    async def events(body: bodies.events) -> Any:  # type: ignore[name-defined]
        """Store a batch of events; acknowledged only once committed. A repeated ``event_id`` is
        counted as a duplicate, not stored again."""
        added = await run_in_threadpool(service.store.add, body.events)
        metrics.events.inc(added.stored)
        metrics.duplicates.inc(added.duplicates)
        catalogue = service.live.catalogue
        unknown = sorted({e.item for e in body.events if catalogue.index(e.item) is None})
        return {"stored": added.stored, "duplicates": added.duplicates, "unknown_items": unknown}

    @api.get("/users/{user}/events", response_model=schemas.UserEvents, dependencies=read, tags=["events"])
    async def user_events(user: UserId, limit: Annotated[int, Query(ge=1, le=1_000)] = 100) -> Any:
        """The user's latest events, oldest first."""
        rows = await run_in_threadpool(service.store.user_events, user, limit)
        cat = service.live.catalogue

        def title(item: str) -> str | None:
            i = cat.index(item)
            return None if i is None else cat.titles[i]

        return {"user": user, "events": [{"seq": s.seq, "event_id": s.event.event_id, "item": s.event.item,
                                          "title": title(s.event.item), "type": s.event.type, "value": s.event.value,
                                          "timestamp": s.timestamp} for s in rows]}

    @api.post("/items", response_model=schemas.ItemView, status_code=201, dependencies=write, tags=["items"],
              responses={409: {"description": "The item exists"}})
    async def add_item(body: schemas.NewItem) -> Any:
        """Add an item by its text: searchable and recommendable (cold-start route) at once."""
        live = service.live
        if live.catalogue.index(body.item) is not None:
            raise HTTPException(409, f"item {body.item!r} exists; change it with PATCH /v1/items/{body.item}")
        doc = await run_in_threadpool(live.item_record, body.title, body.text or body.title, body.categories)
        await run_in_threadpool(service.store.put_item, body.item, doc)
        await run_in_threadpool(live.refresh, True)
        i = live.catalogue.index(body.item)
        if i is None:  # another process wrote it first under the same id
            raise HTTPException(409, f"item {body.item!r} exists")
        return live.catalogue.entry(i)

    @api.patch("/items/{item}", response_model=schemas.ItemView, dependencies=write, tags=["items"],
               responses={404: {"description": "Unknown item"}})
    async def patch_item(item: ItemId, body: schemas.ItemPatch) -> Any:
        """Hide an item or set its categories."""
        live = service.live
        i = live.catalogue.index(item)
        if i is None:
            raise UnknownItemError(f"unknown item {item!r}")
        cat = live.catalogue
        doc: dict[str, Any] = {"hidden": bool(cat.hidden[i]), "categories": sorted(cat.categories[i])}
        if i >= live.catalogue.n_base:
            doc.update(title=live.catalogue.titles[i], text=live.catalogue.texts[i])
            if cat.vectors is not None:
                doc["vector"] = cat.vector_field(cat.vectors[i])
        doc.update(body.model_dump(exclude_none=True))
        await run_in_threadpool(service.store.put_item, item, doc)
        await run_in_threadpool(live.refresh, True)
        return live.catalogue.entry(i)

    @api.get("/items/{item}", response_model=schemas.ItemView, dependencies=read, tags=["items"],
             responses={404: {"description": "Unknown item"}})
    async def get_item(item: ItemId) -> Any:
        """An item as the service holds it."""
        live = service.live
        live.refresh()
        i = live.catalogue.index(item)
        if i is None:
            raise UnknownItemError(f"unknown item {item!r}")
        return live.catalogue.entry(i)

    @api.post("/admin/reload", response_model=schemas.Reloaded, dependencies=write, tags=["operations"])
    async def reload() -> Any:
        """Swap to the artifact version ``DIR/current`` points at; requests keep being served."""
        return await run_in_threadpool(service.reload)

    return api
