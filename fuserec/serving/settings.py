"""How a service runs: event weights, limits, retrieval, refresh, keys and CORS, from TOML or defaults.

``fuserec serve --config serve.toml`` reads a ``[serve]`` table with these keys; every key is
optional. Unknown keys are an error naming them, so a misspelt limit is not silently ignored.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fuserec.errors import ConfigError
from fuserec.events import DEFAULT_EVENT_WEIGHTS


class ServeSettings(BaseModel):
    """The service's settings.

    Parameters
    ----------
    event_weights : dict of str to float
        Weight of each event type in a user's folded-in history; a type not listed is refused
        (422) so typos do not become silent signal. A weight of zero or below removes the item
        from the history and keeps it out of the recommendations.
    max_k : int
        The largest ``k`` a request may ask for.
    max_batch : int
        The most events in one ``POST /v1/events``.
    max_body_bytes : int
        Larger request bodies are refused with 413 before they are read.
    max_history : int
        The most recent events of a user that fold-in reads.
    exact_below : int
        Catalogues smaller than this are searched exactly; larger ones through a faiss index.
    refresh_seconds : float
        How often the popularity fallback is recounted from the events, and how stale the
        catalogue of items added through the API may be in another worker.
    watch_seconds : float
        How often ``DIR/current`` is checked for a new artifact version (0 turns watching off).
    encoder : str
        The encoder for new items and search when the artifact stores none; ``"none"`` turns
        those routes off (a faster start where no text is needed).
    multilingual : {"on_demand", "at_start", "off"}
        When a search query is Chinese, which the usual English encoders cannot read, it is
        answered from a second index of the catalogue under the multilingual encoder. That index
        is built on the first such query (``"on_demand"``) or in the background from the start
        (``"at_start"``); ``"off"`` answers every query with the serving encoder.
    fold_in : bool
        Whether a user's stored events change their list at once (False serves the artifact's
        lists until the next training, as most recommender services do).
    keys_file : str or None
        The API key file; beside the artifact (``DIR/keys.json``) when None. With no keys in
        it, the service is open (reads and writes), which suits a laptop, not a network.
    public_reads : bool
        Whether reads need no key when keys exist (writes always need a write key then).
    cors_origins : list of str
        Origins allowed by CORS; empty turns CORS off.
    """

    model_config = ConfigDict(extra="forbid")

    event_weights: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_EVENT_WEIGHTS))
    max_k: int = Field(default=100, ge=1, le=10_000)
    max_batch: int = Field(default=1_000, ge=1, le=100_000)
    max_body_bytes: int = Field(default=1_000_000, ge=1_000)
    max_history: int = Field(default=200, ge=1, le=10_000)
    exact_below: int = Field(default=50_000, ge=0)
    refresh_seconds: float = Field(default=0.25, gt=0)
    watch_seconds: float = Field(default=1.0, ge=0)
    encoder: str = "minilm"
    multilingual: Literal["on_demand", "at_start", "off"] = "on_demand"
    fold_in: bool = True
    keys_file: str | None = None
    public_reads: bool = False
    cors_origins: list[str] = Field(default_factory=list)


def load_settings(path: str | Path | None) -> ServeSettings:
    """Settings from the ``[serve]`` table of a TOML file (defaults when ``path`` is None).

    Raises
    ------
    ConfigError
        When the file cannot be read or a key is unknown or out of range (named with the file).
    """
    if path is None:
        return ServeSettings()
    try:
        table = tomllib.loads(Path(path).read_text(encoding="utf-8")).get("serve", {})
        return ServeSettings(**table)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except ValidationError as exc:
        fields = "; ".join(f"serve.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{path}: {fields}") from None
