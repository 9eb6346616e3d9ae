"""Encoders and the embedding cache: speed of a cached run, exactly-one re-encode, the HTTP back end."""

from __future__ import annotations

import http.server
import json
import threading

import numpy as np
import pytest

from fuserec.errors import FuserecError
from fuserec.semantic import CachedEncoder, EmbeddingCache, OpenAIEncoder, TfidfEncoder, get_encoder
from fuserec.semantic.language import is_chinese, segment
from fuserec.semantic.text import item_texts


@pytest.fixture(scope="module")
def minilm():
    return get_encoder("minilm")


def test_cache_second_run_encodes_nothing_and_one_change_one_encode(ml100k, tmp_path):
    # how much faster a cached run is lives in benchmarks/encoders.py, not here
    texts = item_texts(ml100k)
    cpu = get_encoder("minilm", device="cpu")
    enc = CachedEncoder(cpu, EmbeddingCache(tmp_path / "c.sqlite"))
    first = enc.encode(texts, show_progress=False)
    assert enc.last_encoded == len(set(texts))
    second = enc.encode(texts, show_progress=False)
    assert enc.last_encoded == 0
    np.testing.assert_array_equal(first, second)
    changed = list(texts)
    changed[10] = changed[10] + " A director's cut."
    third = enc.encode(changed, show_progress=False)
    assert enc.last_encoded == 1
    assert not np.allclose(third[10], first[10]) and np.array_equal(third[11:], first[11:])
    # a fresh process (new connection) sees the same vectors
    again = CachedEncoder(cpu, EmbeddingCache(tmp_path / "c.sqlite"))
    again.encode(changed, show_progress=False)
    assert again.last_encoded == 0


def test_whitespace_variants_share_a_vector(minilm, tmp_path):
    enc = CachedEncoder(minilm, EmbeddingCache(tmp_path / "c.sqlite"))
    enc.encode(["Star  Wars\n(1977)"], show_progress=False)
    enc.encode(["Star Wars (1977)"], show_progress=False)
    assert enc.last_encoded == 0


@pytest.fixture
def embeddings_server(minilm):
    """A real OpenAI-style /v1/embeddings server on 127.0.0.1 around the local MiniLM."""
    seen = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen["auth"] = self.headers.get("Authorization")
            if self.path != "/v1/embeddings":
                self.send_error(404)
                return
            vecs = minilm.encode(body["input"], show_progress=False)
            out = {"object": "list", "model": body["model"],
                   "data": [{"object": "embedding", "index": i, "embedding": v.tolist()}
                            for i, v in reversed(list(enumerate(vecs)))]}  # out of order on purpose
            data = json.dumps(out).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1", seen
    server.shutdown()
    server.server_close()


def test_openai_compatible_endpoint(embeddings_server, minilm):
    url, seen = embeddings_server
    remote = OpenAIEncoder(url, "all-MiniLM-L6-v2", api_key="secret", batch_size=3)
    texts = ["Star Wars (1977)", "Toy Story (1995)", "Heat (1995)", "Fargo (1996)", "Alien (1979)"]
    got = remote.encode(texts, show_progress=False)
    want = minilm.encode(texts, show_progress=False)
    assert got.shape == (5, 384) and seen["auth"] == "Bearer secret"
    np.testing.assert_allclose(got, want, atol=1e-5)
    assert remote.id == f"openai:all-MiniLM-L6-v2@{url}"


def test_openai_endpoint_down_is_a_clear_error():
    with pytest.raises(FuserecError, match="embeddings endpoint http://127.0.0.1:9/v1 failed"):
        OpenAIEncoder("http://127.0.0.1:9/v1", "m", timeout=2).encode(["x"], show_progress=False)


def test_tfidf_encoder_and_chinese_segmentation():
    corpus = ["space opera with laser swords", "a cartoon for children", "这是一部关于太空旅行的科幻电影"]
    enc = TfidfEncoder().fit(corpus)
    assert enc.id.startswith("tfidf:") and enc.dim > 5
    v = enc.encode(corpus + ["太空旅行"], show_progress=False)
    assert v.shape[0] == 4 and np.argmax(v[:3] @ v[3]) == 2
    assert is_chinese("科幻电影") and not is_chinese("Sci-Fi film")
    assert "太空" in segment("关于太空旅行").split()
    with pytest.raises(FuserecError, match="fit"):
        TfidfEncoder().encode(["x"], show_progress=False)


def test_unknown_encoder_name():
    with pytest.raises(ValueError, match="unknown encoder"):
        get_encoder("word2vec")
