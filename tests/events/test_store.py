"""The event store keeps every acknowledged event exactly once: retries, threads, other
processes and a writer killed mid-batch included."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from fuserec.events import Event, SQLiteStore, StoreError, open_store


def _events(n: int, start: int = 0, user: str = "u1") -> list[Event]:
    return [Event(event_id=f"e{i}", user=user, item=f"i{i % 7}", type="click", timestamp=1_000 + i)
            for i in range(start, start + n)]


def test_a_retried_batch_stores_nothing_twice(store_target):
    store = open_store(store_target)
    assert store.add(_events(5)).stored == 5
    again = store.add(_events(8))                      # 5 already there, 3 new
    assert (again.stored, again.duplicates) == (3, 5)
    assert store.count() == 8


def test_events_come_back_in_arrival_order_per_user_and_since(store_target):
    store = open_store(store_target)
    store.add(_events(3, user="a") + _events(2, start=3, user="b") + _events(2, start=5, user="a"))
    assert [s.event.event_id for s in store.user_events("a")] == ["e0", "e1", "e2", "e5", "e6"]
    assert [s.event.event_id for s in store.user_events("a", limit=2)] == ["e5", "e6"]
    first = store.since(0)
    assert [s.seq for s in first] == sorted(s.seq for s in first)
    assert [s.event.event_id for s in store.since(first[4].seq)] == ["e5", "e6"]


def test_an_event_without_a_time_gets_its_arrival_time(store_target):
    store = open_store(store_target)
    before = int(time.time())
    store.add([Event(event_id="x", user="u", item="i")])
    (stored,) = store.user_events("u")
    assert before <= stored.timestamp <= int(time.time()) and stored.event.type == "view"


def test_threads_writing_at_once_lose_and_double_nothing(store_target):
    store = open_store(store_target)

    def client(c: int) -> None:
        for b in range(20):
            batch = [Event(event_id=f"c{c}-{b}-{j}", user=f"u{c}", item=f"i{j}") for j in range(5)]
            store.add(batch)
            store.add(batch[:2])                        # a retry of part of it

    threads = [threading.Thread(target=client, args=(c,)) for c in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.count() == 8 * 20 * 5


def test_an_unknown_store_url_is_refused_by_name(tmp_path):
    with pytest.raises(StoreError, match="'redis'"):
        open_store("redis://localhost/0")
    with pytest.raises(StoreError, match="cannot open"):
        SQLiteStore(tmp_path)                           # a folder, not a file


def test_a_sqlite_url_opens_the_same_file(tmp_path):
    open_store(tmp_path / "events.sqlite").add(_events(2))
    assert open_store(f"sqlite:///{tmp_path / 'events.sqlite'}").count() == 2


WRITER = """
import sys
from fuserec.events import Event, open_store
store = open_store(sys.argv[1])
for b in range(int(sys.argv[2]), 100_000):
    batch = [Event(event_id=f"w{b}-{j}", user=f"u{b % 50}", item=f"i{j}") for j in range(10)]
    store.add(batch)
    print(b, flush=True)                                # acknowledged only after the commit
"""


def test_every_acknowledged_event_survives_a_writer_killed_mid_batch(store_target):
    path = store_target
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path), "0"], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONUNBUFFERED": "1"})
    acknowledged = []
    for line in writer.stdout:
        acknowledged.append(int(line))
        if len(acknowledged) == 200:
            writer.send_signal(signal.SIGKILL)
            break
    writer.wait(timeout=30)
    store = open_store(path)
    held = {s.event.event_id for s in store.since(0, limit=1_000_000)}
    assert {f"w{b}-{j}" for b in acknowledged for j in range(10)} <= held
    assert len(held) % 10 == 0                          # no batch half stored
    resent = store.add([Event(event_id=f"w{b}-{j}", user="u", item=f"i{j}") for b in acknowledged for j in range(10)])
    assert resent.stored == 0 and store.count() == len(held)


def test_a_postgresql_store_that_cannot_connect_names_it_without_the_password():
    pytest.importorskip("psycopg")
    with pytest.raises(StoreError) as caught:
        open_store("postgresql://fuserec:s3cret@127.0.0.1:1/events?connect_timeout=2")
    assert "cannot open" in str(caught.value) and "s3cret" not in str(caught.value)


def test_items_put_through_the_service_come_back_by_revision(store_target):
    store = open_store(store_target)
    first = store.put_item("new-1", {"title": "A", "text": "first"})
    second = store.put_item("new-2", {"title": "B", "text": "second", "categories": ["Drama"]})
    assert second > first
    assert [(i, d["title"]) for _, i, d in store.items_since(0)] == [("new-1", "A"), ("new-2", "B")]
    again = store.put_item("new-1", {"title": "A", "text": "first", "hidden": True})
    changed = store.items_since(second)
    assert [(r, i, d.get("hidden")) for r, i, d in changed] == [(again, "new-1", True)]
    assert len(store.items_since(0)) == 2
