"""A store read back as training data: its events become interactions in the dataset's id type,
its items join the catalogue, and both stores give back the same contents."""

from __future__ import annotations

import pandas as pd

from fuserec.data import Dataset
from fuserec.events import Event, open_store, read_store, with_store_events


def test_integer_ids_stay_integers_unless_a_stored_id_cannot_be_one(tmp_path):
    frame = pd.DataFrame({"user": [1, 1, 2, 3], "item": [10, 11, 10, 12], "rating": [4.0, 5.0, 3.0, 1.0],
                          "timestamp": [1, 2, 3, 4]})
    ds = Dataset.from_frame("tiny", frame, rating_scale=(1.0, 5.0))
    numeric = open_store(tmp_path / "numeric.sqlite")
    numeric.add([Event(event_id="a", user="3", item="11", type="click"),
                 Event(event_id="b", user="4", item="10", type="rating", value=2.0)])
    numeric.close()
    same = with_store_events(ds, tmp_path / "numeric.sqlite")
    assert same.users.ids.dtype.kind == "i" and same.items.ids.dtype.kind == "i" and 4 in same.users
    assert sorted(zip(same.users.to_external(same.interactions["user"]).tolist(),
                      same.items.to_external(same.interactions["item"]).tolist(),
                      same.interactions["rating"].tolist(), strict=True)) == [
        (1, 10, 4.0), (1, 11, 5.0), (2, 10, 3.0), (3, 11, 5.0), (3, 12, 1.0), (4, 10, 2.0)]

    text = open_store(tmp_path / "text.sqlite")
    text.add([Event(event_id="c", user="guest", item="10", type="view")])
    text.close()
    mixed = with_store_events(ds, tmp_path / "text.sqlite")
    assert mixed.users.ids.dtype.kind == "O" and "guest" in mixed.users and "1" in mixed.users
    assert mixed.items.ids.dtype.kind == "i"

    added = open_store(tmp_path / "added.sqlite")  # a text item id with no event on it
    added.add([Event(event_id="d", user="1", item="12", type="view")])
    added.put_item("premiere", {"title": "A Premiere", "text": "new"})
    added.put_item("11", {"title": "ignored", "categories": ["Drama"]})
    added.close()
    grown = with_store_events(ds, tmp_path / "added.sqlite")
    assert grown.items.ids.dtype.kind == "O" and list(grown.items.ids) == ["10", "11", "12", "premiere"]
    assert grown.item_table["genres"].tolist() == ["", "Drama", "", ""]


def test_both_stores_read_back_their_events_items_and_id(store_target):
    store = open_store(store_target)
    store.add([Event(event_id=f"e{i}", user="u", item=f"i{i}", type="view", timestamp=100 + i) for i in range(3)])
    store.put_item("i9", {"title": "Nine", "text": "nine"})
    contents = read_store(store_target)
    assert contents.store_id == store.store_id and len(contents.store_id) == 32
    assert contents.events["item"].tolist() == ["i0", "i1", "i2"] and contents.events["ts"].tolist() == [100, 101, 102]
    assert contents.items == [("i9", {"title": "Nine", "text": "nine"})]
    assert open_store(store_target).store_id == store.store_id  # opening again keeps the id
    store.close()
