"""A sequence model behind the API: a session and a known user's fresh events are read in the
order they came, through `ReadsOrder`, with no refit."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("torch")

from fastapi.testclient import TestClient  # noqa: E402

from fuserec.serving.app import create_app  # noqa: E402
from fuserec.serving.service import Service  # noqa: E402
from fuserec.serving.settings import ServeSettings  # noqa: E402
from tests.sequence_data import cycles  # noqa: E402


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from fuserec.artifacts.trained import save
    from fuserec.models import SASRec

    data = cycles()
    model = SASRec(factors=32, epochs=30, patience=5, dropout=0.1, lr=5e-3, batch_size=64).fit(data)
    out = tmp_path_factory.mktemp("sequential") / "sasrec"
    save(out, model, data)
    service = Service(out, db=str(out.parent / "events.sqlite"), watch=False, settings=ServeSettings(encoder="none"))
    yield TestClient(create_app(service)), service
    service.close()


def _top(body: dict) -> str:
    return body["items"][0]["item"]


def test_a_session_is_read_in_the_order_its_items_came(client):
    http, _ = client
    forward = http.post("/v1/sessions/recommendations", json={"items": ["i5", "i8", "i11"], "k": 5}).json()
    backward = http.post("/v1/sessions/recommendations", json={"items": ["i11", "i8", "i5"], "k": 5}).json()
    assert forward["items"][0]["route"] == "fold-in"
    assert (_top(forward), _top(backward)) == ("i14", "i2")


def test_a_users_fresh_events_change_their_list_by_their_order(client):
    http, service = client
    user = str(service.live.trained.users()[0])
    before = http.get(f"/v1/users/{user}/recommendations", params={"k": 5}).json()
    assert before["items"][0]["route"] == "model"
    walk = ["i20", "i21", "i22", "i23"]
    events = [{"event_id": f"seq-{i}", "user": user, "item": item, "type": "click"} for i, item in enumerate(walk)]
    assert http.post("/v1/events", json={"events": events}).json()["stored"] == len(walk)
    after = http.get(f"/v1/users/{user}/recommendations", params={"k": 5}).json()
    assert after["folded_in"] and after["items"][0]["route"] == "fold-in"
    assert _top(after) == "i24" and [e["item"] for e in after["items"]] != [e["item"] for e in before["items"]]


def test_a_sessions_list_is_explained_by_the_items_that_led_to_it(client):
    http, _ = client
    body = http.post("/v1/sessions/recommendations",
                     json={"items": ["i30", "i5", "i8", "i11"], "k": 3, "explain": True}).json()
    first = body["items"][0]
    assert first["item"] == "i14" and first["explain"]["method"] == "sequence-leave-one-out"
    cited = [c["item"] for r in first["explain"]["reasons"] if r["kind"] == "history" for c in r["items"]]
    assert cited and cited[0] in ("i8", "i11") and "i30" not in cited[:1]
