"""The HTTP API on a real artifact, in process: lists, fresh feedback, new items, limits and keys."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("sentence_transformers")

from fastapi.testclient import TestClient  # noqa: E402

from fuserec.artifacts.trained import lookup  # noqa: E402
from fuserec.serving.app import create_app  # noqa: E402
from fuserec.serving.service import Service  # noqa: E402
from fuserec.serving.settings import ServeSettings  # noqa: E402
from tests.serving.helpers import untouched_genre  # noqa: E402


@pytest.fixture(scope="module")
def service(artifact, tmp_path_factory):
    svc = Service(artifact, db=str(tmp_path_factory.mktemp("db") / "events.sqlite"), watch=False)
    yield svc
    svc.close()


@pytest.fixture(scope="module")
def client(service):
    return TestClient(create_app(service))


def _neighbours(client, items: list[str], k: int = 50) -> set[str]:
    found: set[str] = set()
    for item in items:
        response = client.get(f"/v1/items/{item}/similar", params={"k": k})
        assert response.status_code == 200, response.text
        found |= {e["item"] for e in response.json()["items"]}
    return found


def test_a_known_user_gets_the_models_list_and_an_unknown_one_the_flagged_fallback(client, service):
    user = str(service.live.trained.users()[0])
    body = client.get(f"/v1/users/{user}/recommendations", params={"k": 7}).json()
    assert body["fallback"] is False and len(body["items"]) == 7
    assert body["model_version"] == service.live.version
    assert [e["rank"] for e in body["items"]] == list(range(1, 8))
    unknown = client.get("/v1/users/nobody-here/recommendations").json()
    assert unknown["fallback"] is True and unknown["fallback_reason"] == "unknown user"
    assert len(unknown["items"]) == 10


def test_events_in_an_untouched_genre_move_the_list_at_once_and_not_with_fold_in_off(client, service):
    user, genre, items = untouched_genre(service.live)
    near = _neighbours(client, items)
    before = client.get(f"/v1/users/{user}/recommendations").json()["items"]
    assert sum(e["item"] in near for e in before) < 3
    batch = [
        {"event_id": f"fresh-{user}-{i}", "user": user, "item": item, "type": "like"} for i, item in enumerate(items)
    ]
    assert client.post("/v1/events", json={"events": batch}).json()["stored"] == 5
    # the very next request shows it: the batch is committed before it is acknowledged, and a
    # list reads the user's events from the store (how soon in wall-clock time: benchmarks/serving.py)
    after = client.get(f"/v1/users/{user}/recommendations", params={"explain": "true"}).json()
    assert after["folded_in"] is True
    hits = [e for e in after["items"] if e["item"] in near]
    assert len(hits) >= 3, (genre, [e["title"] for e in after["items"]])
    assert not {e["item"] for e in after["items"]} & set(items)       # what they just liked is not offered back
    cited = [c["item"] for e in hits for r in e["explain"]["reasons"] if r["kind"] == "history" for c in r["items"]]
    assert set(items) & set(cited)  # the reasons name what the user just liked

    service.settings.fold_in = False
    try:
        stale = client.get(f"/v1/users/{user}/recommendations").json()
    finally:
        service.settings.fold_in = True
    assert stale["folded_in"] is False
    assert sum(e["item"] in near for e in stale["items"]) < 3


def test_a_new_user_is_served_from_the_first_event(client, service):
    _, _, items = untouched_genre(service.live)
    client.post("/v1/events", json={"events": [{"event_id": "newbie-1", "user": "newbie", "item": items[0]}]})
    body = client.get("/v1/users/newbie/recommendations").json()
    assert body["fallback"] is False and body["folded_in"] is True
    assert body["items"][0]["item"] in _neighbours(client, items[:1])


def test_a_new_item_with_text_is_searchable_and_reaches_a_user_whose_history_reads_like_it(client, service):
    live = service.live
    user = str(live.trained.users()[5])
    u = lookup(live.model.users_, user)
    history = live.model.seen_.indices[live.model.seen_.indptr[u]:live.model.seen_.indptr[u + 1]]
    text = ". ".join(live.catalogue.texts[i] for i in history[:3])
    response = client.post("/v1/items", json={"item": "brand-new-1", "title": "Brand New Film", "text": text,
                                              "categories": ["Premiere"]})
    assert response.status_code == 201, response.text
    top = client.get(f"/v1/users/{user}/recommendations").json()["items"]
    placed = [e for e in top if e["item"] == "brand-new-1"]
    assert placed and placed[0]["route"] == "cold-start text"
    found = client.post("/v1/search", json={"text": text, "k": 5}).json()["items"]
    assert "brand-new-1" in [e["item"] for e in found]
    assert client.post("/v1/items", json={"item": "brand-new-1", "title": "again"}).status_code == 409
    only = client.get(f"/v1/users/{user}/recommendations", params={"category": "Premiere"}).json()["items"]
    assert [e["item"] for e in only] == ["brand-new-1"]
    assert client.patch("/v1/items/brand-new-1", json={"hidden": True}).json()["hidden"] is True
    top = client.get(f"/v1/users/{user}/recommendations").json()["items"]
    assert "brand-new-1" not in [e["item"] for e in top]


def test_a_new_item_is_encoded_once_and_another_worker_takes_its_stored_vector(client, service):
    import numpy as np

    from fuserec.serving.live import LiveModel

    text = "A quiet documentary about lighthouse keepers on a northern coast"
    live = service.live
    other = LiveModel(live.trained, service.store, service.settings, live.encoder)  # a second worker
    calls: list[list[str]] = []
    encode = other.catalogue._encode
    other.catalogue._encode = lambda texts: calls.append(texts) or encode(texts)
    assert client.post("/v1/items", json={"item": "encoded-once", "title": "Keepers", "text": text}).status_code == 201
    other.refresh(force=True)
    i, j = live.catalogue.index("encoded-once"), other.catalogue.index("encoded-once")
    assert j is not None and not calls
    np.testing.assert_array_equal(other.catalogue.vectors[j], live.catalogue.vectors[i])
    np.testing.assert_allclose(other.catalogue.vectors[j], live._encode([text])[0], atol=1e-5)
    doc = {"title": "Other", "text": text, "vector": {**live.item_record("t", text, None)["vector"], "encoder": "x"}}
    service.store.put_item("other-encoder", doc)
    other.refresh(force=True)
    assert calls == [[text]]  # a vector from another encoder is not trusted: encoded here


def test_a_session_is_ranked_from_the_items_seen(client, service):
    _, _, items = untouched_genre(service.live)
    body = client.post("/v1/sessions/recommendations", json={"items": [*items[:2], "no-such-item"], "k": 5}).json()
    assert body["unknown_items"] == ["no-such-item"] and len(body["items"]) == 5
    assert not {e["item"] for e in body["items"]} & set(items[:2])


def test_events_are_idempotent_and_listed_per_user(client):
    batch = {"events": [{"event_id": f"idem-{i}", "user": "idem", "item": "x", "type": "click"} for i in range(3)]}
    assert client.post("/v1/events", json=batch).json()["stored"] == 3
    again = client.post("/v1/events", json=batch).json()
    assert (again["stored"], again["duplicates"], again["unknown_items"]) == (0, 3, ["x"])
    events = client.get("/v1/users/idem/events").json()["events"]
    assert [e["event_id"] for e in events] == ["idem-0", "idem-1", "idem-2"]


@pytest.mark.parametrize("k", [-1, 0, 10**9])
def test_an_out_of_range_k_is_a_422_naming_k(client, k):
    response = client.get("/v1/users/1/recommendations", params={"k": k})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "k"]


def test_bad_fields_are_422s_naming_them(client):
    typo = client.post("/v1/events", json={"events": [{"event_id": "t", "user": "u", "item": "i", "type": "clik"}]})
    assert typo.status_code == 422 and typo.json()["detail"][0]["loc"] == ["body", "events", 0, "type"]
    missing = client.post("/v1/events", json={"events": [{"event_id": "t", "item": "i"}]})
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["body", "events", 0, "user"]
    assert client.post("/v1/search", json={"text": "x", "k": 5000}).json()["detail"][0]["loc"] == ["body", "k"]
    assert client.post("/v1/search", json={"text": "x", "k": "3"}).json()["detail"][0]["loc"] == ["body", "k"]



@pytest.mark.parametrize(("field", "bad"), [("value", True), ("value", "3"), ("timestamp", True), ("timestamp", "7"),
                                            ("timestamp", 7.5)])
def test_a_body_field_of_the_wrong_json_type_is_a_422_not_coerced(client, field, bad):
    event = {"event_id": f"typed-{field}-{bad!r}", "user": "u", "item": "i", field: bad}
    response = client.post("/v1/events", json={"events": [event]})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "events", 0, field]


def test_an_integral_number_is_an_integer_as_json_schema_has_it(client):
    event = {"event_id": "integral", "user": "integral-user", "item": "1", "timestamp": 1_700_000_000.0, "value": 4}
    assert client.post("/v1/events", json={"events": [event]}).status_code == 200
    assert client.get("/v1/users/integral-user/events").json()["events"][0]["timestamp"] == 1_700_000_000
def test_an_unknown_item_is_a_404_naming_it(client):
    for response in (client.get("/v1/items/no-such/similar"), client.patch("/v1/items/no-such", json={"hidden": True})):
        assert response.status_code == 404 and "no-such" in response.json()["detail"]


def test_a_20_mb_body_is_refused_with_413(client):
    response = client.post("/v1/events", content=b"x" * 20_000_000, headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_keys_guard_reads_and_writes(artifact, tmp_path):
    settings = ServeSettings(keys_file=str(tmp_path / "keys.json"), encoder="none")
    svc = Service(artifact, db=str(tmp_path / "events.sqlite"), settings=settings, watch=False)
    reader, writer = svc.keys.add("read"), svc.keys.add("write")
    client = TestClient(create_app(svc))
    batch = {"events": [{"event_id": "k1", "user": "u", "item": "i"}]}
    assert client.post("/v1/events", json=batch).status_code == 401
    assert client.post("/v1/events", json=batch, headers={"Authorization": "Bearer frk_bad_key"}).status_code == 401
    assert client.post("/v1/events", json=batch, headers={"Authorization": f"Bearer {reader}"}).status_code == 403
    assert client.post("/v1/events", json=batch, headers={"X-API-Key": writer}).status_code == 200
    assert client.get("/v1/users/u/recommendations").status_code == 401
    assert client.get("/v1/users/u/recommendations", headers={"Authorization": f"Bearer {reader}"}).status_code == 200
    stored = (tmp_path / "keys.json").read_text()
    assert reader.split("_", 2)[2] not in stored and writer.split("_", 2)[2] not in stored
    svc.close()


def test_health_readiness_and_metrics(client, service):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json()["model_version"] == service.live.version
    text = client.get("/metrics").text
    assert "fuserec_request_seconds_bucket" in text and f'model_version="{service.live.version}"' in text
    assert "fuserec_events_ingested_total" in text


def test_explain_gives_reasons_from_the_users_history_in_english_and_chinese(client, service):
    live = service.live
    user = str(live.trained.users()[3])
    u = lookup(live.model.users_, user)
    history = {live.catalogue.ids[i] for i in live.model.seen_[u].indices}
    body = client.get(f"/v1/users/{user}/recommendations", params={"explain": "true", "k": 5}).json()
    for entry in body["items"]:
        why = entry["explain"]
        assert why["route"] == "model" and why["method"] == "item-weights" and why["wording"] == "template"
        cited = [c["item"] for r in why["reasons"] if r["kind"] == "history" for c in r["items"]]
        assert cited and set(cited) <= history and why["text"].startswith("Because you liked ")
    zh = client.get(f"/v1/users/{user}/recommendations", params={"explain": "true", "k": 2, "lang": "zh"}).json()
    assert all(e["explain"]["text"].startswith("因为你喜欢《") for e in zh["items"])
    bad = client.get(f"/v1/users/{user}/recommendations", params={"explain": "true", "lang": "fr"})
    assert bad.status_code == 422 and "lang" in bad.text
    unknown = client.get("/v1/users/nobody-at-all/recommendations", params={"explain": "true", "k": 3}).json()
    assert all(e["explain"]["reasons"] == [{"kind": "popular", "contribution": e["score"]}] for e in unknown["items"])
