"""``fuserec train`` learns from what the service collected: the store's events become training
interactions and its items join the catalogue; the service then folds in only later events."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from fuserec.artifacts.trained import lookup
from fuserec.config import load_config
from fuserec.data import load_dataset
from fuserec.errors import DataError
from fuserec.events import Event, open_store, read_store, with_store_events
from fuserec.serving.service import Service
from fuserec.serving.settings import ServeSettings
from fuserec.train import train

CONFIG = """k = [10]
[data]
dataset = "movietweetings-100k"
[data.events]
store = "{store}"
[split]
method = "temporal"
[model]
name = "itemknn"
[output]
refit = true
"""


def _seen(live, user: str) -> set[str]:
    u = lookup(live.model.users_, user)
    if u is None:
        return set()
    seen = live.model.seen_
    return {live.catalogue.ids[j] for j in seen.indices[seen.indptr[u]:seen.indptr[u + 1]]}


@pytest.fixture()
def collected(artifact, tmp_path):
    """A copy of the sample's artifact and a store of what its service collected: a known user's
    likes and a dislike of something they had, a new visitor's views, and a new item."""
    folder = tmp_path / "model"
    shutil.copytree(artifact, folder, symlinks=True)
    service = Service(folder, watch=False, settings=ServeSettings(encoder="none"))
    live = service.live
    user = str(live.trained.users()[3])
    had = sorted(_seen(live, user))
    fresh = [i for i in live.catalogue.ids[:200] if i not in had][:4]
    events = [Event(event_id=f"like-{i}", user=user, item=item, type="like") for i, item in enumerate(fresh)]
    events.append(Event(event_id="dislike", user=user, item=had[0], type="dislike", value=2.0))
    events += [Event(event_id=f"visit-{i}", user="visitor-1", item=item, type="view")
               for i, item in enumerate(fresh[:3])]
    events.append(Event(event_id="rate-new", user="visitor-1", item="premiere", type="rating", value=4.0))
    service.store.put_item("premiere", {"title": "A Premiere", "text": "A new film", "categories": ["Drama"]})
    assert service.store.add(events).stored == len(events)
    store_id = service.store.store_id
    service.close()
    return folder, user, had, fresh, store_id


def test_training_on_the_store_learns_its_events_and_items_and_folds_in_only_later_ones(collected):
    folder, user, had, fresh, store_id = collected
    config = folder.parent / "run.toml"
    config.write_text(CONFIG.format(store=(folder / "events.sqlite").as_posix()), encoding="utf-8")
    result = train(load_config(config), folder)
    assert (folder / "current").resolve() == result.path.resolve()

    service = Service(folder, watch=False, settings=ServeSettings(encoder="none"))
    try:
        live = service.live
        events = live.trained.manifest["events"]
        assert events["store_id"] == store_id and events["events"] == 9 and events["through_seq"] == 9
        assert live.trained_through == 9
        seen = _seen(live, user)
        assert set(fresh) <= seen and had[0] not in seen and set(had[1:]) <= seen
        assert _seen(live, "visitor-1") == set(fresh[:3]) | {"premiere"}
        assert live.catalogue.index("premiere") < live.catalogue.n_base  # a model item now, not a new one
        assert live.catalogue.titles[live.catalogue.index("premiere")] == "A Premiere"

        # what the artifact learnt is not folded in again; what came after is
        assert live.history(user).events == 0
        before = live.recommend(user, k=10)
        assert not before["folded_in"] and not before["fallback"]
        service.store.add([Event(event_id="later", user=user, item=before["items"][0]["item"], type="like")])
        after = live.recommend(user, k=10)
        assert live.history(user).events == 1 and after["folded_in"]
        assert before["items"][0]["item"] not in [e["item"] for e in after["items"]]
    finally:
        service.close()


def test_a_version_from_another_store_folds_in_every_event(collected, tmp_path):
    folder, user, *_ = collected
    other = tmp_path / "other.sqlite"
    open_store(other).close()
    service = Service(folder, db=str(other), watch=False, settings=ServeSettings(encoder="none"))
    try:
        service.store.add([Event(event_id="x", user=user, item=service.live.catalogue.ids[0], type="like")])
        assert service.live.trained_through == 0 and service.live.history(user).events == 1
    finally:
        service.close()


def test_a_store_with_an_unweighed_type_or_no_file_is_refused_by_name(collected, tmp_path):
    folder, *_ = collected
    ds = load_dataset("movietweetings-100k")
    with pytest.raises(DataError, match=r"events\.sqlite.*field 'type'.*'like' has no weight"):
        with_store_events(ds, folder / "events.sqlite", {"view": 1.0, "dislike": -1.0, "rating": 1.0})
    with pytest.raises(DataError, match=r"nowhere\.sqlite: no such event store"):
        read_store(tmp_path / "nowhere.sqlite")


def test_the_sample_gains_the_stored_pairs_and_ratings(collected):
    folder, *_ = collected
    ds = load_dataset("movietweetings-100k")
    out = with_store_events(ds, folder / "events.sqlite")
    assert "premiere" in out.items and "visitor-1" in out.users and out.items.ids[0] == ds.items.ids[0]
    assert out.n_interactions == ds.n_interactions + 4 - 1 + 4
    rated = out.interactions[out.interactions["item"] == out.items.position("premiere")]
    assert rated["rating"].tolist() == [4.0]
    likes = out.interactions.iloc[ds.n_interactions - 1:]
    assert np.isclose(likes["rating"].max(), ds.rating_scale[1])
    assert out.report["store_events"]["items_added"] == 1
