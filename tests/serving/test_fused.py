"""The fused re-ranker behind the API: fresh events fold in through its retrievers and user
features, and ``explain=true`` names the retrievers and features that placed each item."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("lightgbm")

from fastapi.testclient import TestClient  # noqa: E402

from fuserec.artifacts.trained import lookup  # noqa: E402
from fuserec.serving.app import create_app  # noqa: E402
from fuserec.serving.service import Service  # noqa: E402
from fuserec.serving.settings import ServeSettings  # noqa: E402


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from fuserec.artifacts.trained import save
    from fuserec.data import load_dataset
    from fuserec.fusion import LearnedReranker
    from fuserec.models import EASE, Popularity

    data = load_dataset("movietweetings-100k")
    model = LearnedReranker({"ease": EASE(reg=300.0), "popularity": Popularity()}, semantic_features=False,
                            n_folds=1, n_estimators=40, tree_settings=((15, 20),), n_rankers=1).fit(data)
    out = tmp_path_factory.mktemp("fused") / "rr"
    save(out, model, data)
    service = Service(out, db=str(out.parent / "events.sqlite"), watch=False, settings=ServeSettings(encoder="none"))
    yield TestClient(create_app(service)), service
    service.close()


def test_the_reranker_explains_with_its_retrievers_and_features(client):
    http, service = client
    user = str(service.live.trained.users()[0])
    body = http.get(f"/v1/users/{user}/recommendations", params={"explain": "true"}).json()
    assert body["model"] == "reranker" and body["items"]
    for entry in body["items"]:
        why = entry["explain"]
        assert why["route"] == "model" and why["retrievers"] and len(why["features"]) == 3
        assert {r["name"] for r in why["retrievers"]} <= {"ease", "popularity"}
        assert why["method"] == "reranker" and why["text"]   # the reasons traced through the features
    cited = [c["item"] for e in body["items"] for r in e["explain"]["reasons"] if r["kind"] == "history"
             for c in r["items"]]
    u = lookup(service.live.model.users_, user)
    history = {service.live.catalogue.ids[i] for i in service.live.model.seen_[u].indices}
    assert cited and set(cited) <= history


def test_fresh_events_fold_into_the_reranker(client):
    http, service = client
    user = str(service.live.trained.users()[1])
    before = http.get(f"/v1/users/{user}/recommendations").json()
    liked = [e["item"] for e in before["items"][:5]]
    events = [{"event_id": f"rr-{i}", "user": user, "item": item, "type": "like"} for i, item in enumerate(liked)]
    assert http.post("/v1/events", json={"events": events}).json()["stored"] == 5
    after = http.get(f"/v1/users/{user}/recommendations", params={"explain": "true"}).json()
    assert after["folded_in"] is True
    assert not {e["item"] for e in after["items"]} & set(liked)
    assert all(e["explain"]["features"] for e in after["items"] if e["route"] == "fold-in")
