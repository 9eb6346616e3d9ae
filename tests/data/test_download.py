"""The download path against a real HTTP server on 127.0.0.1: checksum match, mismatch, unzip."""

from __future__ import annotations

import hashlib
import http.server
import io
import threading
import zipfile
from pathlib import Path

import pytest

from fuserec.data import registry
from fuserec.data.download import Remote, fetch, install
from fuserec.errors import DownloadError


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(root), **kw)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def ml100k_zip(datasets_dir: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in ("u.data", "u.item", "u.user"):
            zf.write(datasets_dir / "ml-100k" / name, f"ml-100k/{name}")
    return buf.getvalue()


def test_fetch_verifies_checksum(server, tmp_path):
    root, url = server
    payload = b"user,item\n1,2\n" * 1000
    (root / "f.csv").write_bytes(payload)
    path = fetch(Remote(f"{url}/f.csv", sha256(payload)), tmp_path / "out", progress=False)
    assert path.read_bytes() == payload
    md5 = "md5:" + hashlib.md5(payload).hexdigest()
    assert fetch(Remote(f"{url}/f.csv", md5, filename="g.csv"), tmp_path / "out", progress=False).exists()


def test_checksum_mismatch_leaves_nothing(server, tmp_path):
    root, url = server
    (root / "f.csv").write_bytes(b"tampered")
    dest = tmp_path / "out"
    with pytest.raises(DownloadError, match="checksum mismatch"):
        fetch(Remote(f"{url}/f.csv", sha256(b"original")), dest, progress=False)
    assert list(dest.iterdir()) == []  # no partial or wrong file left behind


def test_missing_file_is_a_download_error(server, tmp_path):
    _, url = server
    with pytest.raises(DownloadError, match="cannot download"):
        fetch(Remote(f"{url}/nope.zip", None), tmp_path, progress=False)


def test_load_dataset_downloads_unzips_and_caches(server, tmp_path, datasets_dir, monkeypatch):
    root, url = server
    blob = ml100k_zip(datasets_dir)
    (root / "ml-100k.zip").write_bytes(blob)
    info = registry.DATASETS["ml-100k"]
    local = registry.DatasetInfo(info.name, info.folder, info.marker, info.loader,
                                 (Remote(f"{url}/ml-100k.zip", sha256(blob), unzip=True, strip="ml-100k/"),),
                                 info.description)
    monkeypatch.setitem(registry.DATASETS, "ml-100k", local)
    monkeypatch.setenv("FUSEREC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("FUSEREC_DATA_DIR", raising=False)
    ds = registry.load_dataset("ml-100k")
    assert (len(ds), ds.n_users, ds.n_items) == (100_000, 943, 1_682)
    folder = tmp_path / "cache" / "datasets" / "ml-100k"
    assert sorted(p.name for p in folder.iterdir()) == ["u.data", "u.item", "u.user"]
    (root / "ml-100k.zip").unlink()  # second load: from the cache, no server needed
    assert len(registry.load_dataset("ml-100k")) == 100_000


def test_install_mismatch_leaves_no_folder(server, tmp_path):
    root, url = server
    (root / "a.zip").write_bytes(b"not what was published")
    target = tmp_path / "datasets" / "x"
    with pytest.raises(DownloadError):
        install([Remote(f"{url}/a.zip", sha256(b"published"), unzip=True)], target, progress=False)
    assert not target.exists()
    assert list((tmp_path / "datasets").iterdir()) == []


def test_locate_without_download_names_the_places(tmp_path, monkeypatch):
    monkeypatch.setenv("FUSEREC_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("FUSEREC_DATA_DIR", raising=False)
    with pytest.raises(FileNotFoundError, match="ml-1m"):
        registry.locate("ml-1m", tmp_path / "nowhere", download=False)
    with pytest.raises(KeyError, match="known:"):
        registry.locate("imaginary")


def test_registry_checksums_are_well_formed():
    for info in registry.DATASETS.values():
        for remote in info.remotes:
            assert remote.url.startswith("https://")
            algo, _, digest = (remote.checksum or "sha256:" + "0" * 64).partition(":")
            assert (algo, len(digest)) in (("sha256", 64), ("md5", 32))
            int(digest, 16)
