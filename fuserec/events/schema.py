"""What an event is: the body a client sends, the row a store keeps, and the default type weights.

A client sends feedback events in batches, each with its own ``event_id``; a store keeps each
one once, in arrival order (``seq``). The pydantic types here are the API's request schema as
well, so they refuse what no store can hold (NUL characters, lone surrogates) before it
reaches one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from annotated_types import Interval
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, Strict

DEFAULT_EVENT_WEIGHTS: dict[str, float] = {
    "view": 1.0, "click": 1.0, "like": 2.0, "purchase": 3.0, "rating": 1.0, "dislike": -1.0}
"""Weight of each event type in a user's history (the service's and the trainer's default)."""


def _storable(text: str) -> str:
    """Refuse what neither SQLite (lone surrogates) nor PostgreSQL (NUL) can store as text."""
    if "\x00" in text:
        raise ValueError("must not contain NUL characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (it holds a lone surrogate)") from None
    return text


Text = Annotated[str, Field(pattern=r"^[^\x00]*$"), AfterValidator(_storable)]
"""A string every store can hold (the pattern puts the NUL rule in the API's schema); the API's
bodies and paths use it for ids and texts."""


def _json_integer(value: object) -> object:
    if isinstance(value, bool | str):
        raise ValueError("Input should be a valid integer")
    return value


JsonInt = Annotated[int, Strict(False), BeforeValidator(_json_integer)]
"""An integer as JSON Schema has it: ``40`` and ``40.0``, never ``true`` or ``"40"`` (the bodies
are otherwise strict, and strict pydantic refuses ``40.0``)."""


class Event(BaseModel):
    """One feedback event, as a client sends it (``POST /v1/events``).

    Parameters
    ----------
    event_id : str
        The client's id for the event; sending the same id again stores nothing new.
    user, item : str
        External ids, as in the training data.
    type : str
        What happened (``"view"``, ``"click"``, ``"rating"``, ...); the service's configuration
        maps each type to a weight. Default ``"view"``.
    value : float, optional
        A rating or another strength; the type's weight applies when absent.
    timestamp : int, optional
        Seconds since the epoch; the store's arrival time when absent.
    """

    # strict: a JSON ``true`` or ``"3"`` is not a number, as the schema says, and is refused
    model_config = ConfigDict(extra="forbid", strict=True)

    event_id: Text = Field(min_length=1, max_length=200)
    user: Text = Field(min_length=1, max_length=200)
    item: Text = Field(min_length=1, max_length=200)
    type: Text = Field(default="view", min_length=1, max_length=50)
    value: float | None = Field(default=None, allow_inf_nan=False)
    timestamp: Annotated[int, Interval(ge=0, le=2**53), Strict(False), BeforeValidator(_json_integer)] | None = None


@dataclass(frozen=True)
class Stored:
    """An event as the store holds it: the event, its arrival order and its time."""

    seq: int
    event: Event
    timestamp: int


@dataclass(frozen=True)
class Added:
    """What a batch did: events newly stored and events the store already held."""

    stored: int
    duplicates: int
