"""``/v1/users/{user}/recommendations`` and ``/v1/sessions/recommendations``: ranked lists."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from fuserec.serving import schemas
from fuserec.serving.dependencies import READ, ServiceDep, UserId
from fuserec.serving.settings import ServeSettings


def router(settings: ServeSettings) -> APIRouter:
    """The list routes, ``k`` bounded by ``settings.max_k``."""
    api = APIRouter(tags=["recommendations"], dependencies=READ)
    K = Annotated[int, Query(ge=1, le=settings.max_k, description="How many items")]
    bodies = schemas.bounded(settings)

    @api.get("/users/{user}/recommendations", response_model=schemas.Recommendations)
    async def recommendations(service: ServiceDep, user: UserId, k: K = 10,
                              exclude: Annotated[list[str] | None, Query(max_length=500)] = None,
                              category: Annotated[str | None, Query(max_length=200)] = None,
                              explain: Annotated[bool, Query(description="Say why each item is there")] = False,
                              lang: Annotated[Literal["en", "zh"], Query(description="Language of the "
                                                                                     "explanations")] = "en") -> Any:
        """The user's top-``k``, with their events so far folded in; an unknown user gets the
        popularity fallback, flagged."""
        return await service.recommend(user, k, exclude, category, explain, lang)

    @api.post("/sessions/recommendations", response_model=schemas.Recommendations)
    async def session(service: ServiceDep, body: bodies.session) -> Any:  # type: ignore[name-defined]
        """The top-``k`` for an anonymous visitor from the items they have seen."""
        return await service.recommend_session(body.items, body.k, body.category, body.explain, body.lang)

    return api
