"""Request and response bodies of the HTTP API (they are what the OpenAPI schema documents)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from fuserec.events import Event, JsonInt, Text

if TYPE_CHECKING:
    from fuserec.serving.settings import ServeSettings

ID = Field(min_length=1, max_length=200)
BODY = ConfigDict(extra="forbid", strict=True)
"""Request bodies take exactly what the schema states: no unknown fields, and no coercion (a
JSON ``true`` is not a number, ``"3"`` not an integer)."""


class Entry(BaseModel):
    """One item of a list."""

    rank: int
    item: str
    title: str
    score: float
    route: str
    explain: dict[str, Any] | None = None


class Recommendations(BaseModel):
    """A recommendation list: the shape ``fuserec recommend --json`` shares, plus how it was made."""

    user: str | None = None
    session: bool | None = None
    unknown_items: list[str] | None = None
    model: str
    model_version: str
    k: int
    fallback: bool
    fallback_reason: str | None
    folded_in: bool
    items: list[Entry]


class Similar(BaseModel):
    """Items like one item."""

    item: str
    title: str
    model: str
    model_version: str
    method: str
    items: list[Entry]


class SearchRequest(BaseModel):
    """Free text to find items by."""

    model_config = BODY
    text: Text = Field(min_length=1, max_length=2_000)
    k: JsonInt = Field(default=10, ge=1, le=10_000)


class SearchResults(BaseModel):
    """Items nearest to a text."""

    query: str
    model_version: str
    retrieval: str
    encoder: str = Field(description="The encoder that read the query: the multilingual one for Chinese text")
    items: list[Entry]


class EventBatch(BaseModel):
    """Feedback events; each ``event_id`` makes its retry harmless."""

    model_config = BODY
    events: list[Event] = Field(min_length=1, max_length=100_000)


class Ingested(BaseModel):
    """What a batch did."""

    stored: int
    duplicates: int
    unknown_items: list[str]


class StoredEvent(BaseModel):
    """An event as the store holds it."""

    seq: int
    event_id: str
    item: str
    title: str | None = None
    type: str
    value: float | None
    timestamp: int


class UserEvents(BaseModel):
    """A user's latest events, oldest first."""

    user: str
    events: list[StoredEvent]


class NewItem(BaseModel):
    """An item the model has never seen; its text makes it searchable and recommendable."""

    model_config = BODY
    item: Text = ID
    title: Text = Field(min_length=1, max_length=500)
    text: Text = Field(default="", max_length=20_000)
    categories: list[Annotated[Text, Field(min_length=1, max_length=100)]] = Field(default_factory=list, max_length=50)


class ItemPatch(BaseModel):
    """Changes to an item: hide it, or set its categories."""

    model_config = BODY
    hidden: bool | None = None
    categories: list[Annotated[Text, Field(min_length=1, max_length=100)]] | None = Field(default=None, max_length=50)


class ItemView(BaseModel):
    """An item as the service holds it."""

    item: str
    title: str
    categories: list[str]
    hidden: bool
    new: bool


class SessionRequest(BaseModel):
    """An anonymous visitor: the items seen so far."""

    model_config = BODY
    items: list[Annotated[Text, Field(min_length=1, max_length=200)]] = Field(min_length=1, max_length=500)
    k: JsonInt = Field(default=10, ge=1, le=10_000)
    category: Text | None = Field(default=None, max_length=200)
    explain: bool = False
    lang: Literal["en", "zh"] = "en"


class Reloaded(BaseModel):
    """The version served after a reload."""

    model_version: str
    previous: str


@dataclass(frozen=True)
class Bodies:
    """The request bodies whose limits come from the service's settings."""

    search: type[SearchRequest]
    session: type[SessionRequest]
    events: type[EventBatch]


def bounded(settings: ServeSettings) -> Bodies:
    """Request bodies bounded by ``settings``: ``k`` by ``max_k``, a batch by ``max_batch``, an
    event's ``type`` by the configured types. The OpenAPI schema then states every limit the
    service enforces, and a client (or a schema-driven test) can tell a valid request from the
    schema alone."""
    k = (JsonInt, Field(default=10, ge=1, le=settings.max_k))
    kinds: Any = Literal[tuple(sorted(settings.event_weights))]
    event: Any = create_model("Event", __base__=Event, type=(kinds, Field(default=_default_type(settings))))
    return Bodies(
        search=create_model("SearchRequest", __base__=SearchRequest, k=k),
        session=create_model("SessionRequest", __base__=SessionRequest, k=k),
        events=create_model("EventBatch", __base__=EventBatch,
                            events=(list[event], Field(min_length=1, max_length=settings.max_batch))),
    )


def _default_type(settings: ServeSettings) -> str:
    return "view" if "view" in settings.event_weights else sorted(settings.event_weights)[0]
