"""Versioned model artifacts on disk: written whole or not at all, verified before they are read.

Layout of ``DIR`` (what ``fuserec train --out DIR`` writes)::

    DIR/<version>/manifest.json          versions, encoder, data fingerprint, metrics, sha256 of every file
    DIR/<version>/manifest.json.sha256   the manifest's own sha256
    DIR/<version>/model/...              the fitted model as data (``fuserec.artifacts.codec``)
    DIR/<version>/items.parquet          item ids, titles, texts and categories, in the model's index order
    DIR/<version>/users.parquet          user ids, in the model's index order
    DIR/<version>/fallback.npz           the ranking for users the model has never seen
    DIR/<version>/vectors.npz            the encoder's item vectors (models that read text)
    DIR/<version>/config.json            the resolved run configuration
    DIR/current -> <version>             the version to serve

A version is written into a hidden folder, flushed to disk, renamed into place, and only then is
``current`` switched, by renaming a new symbolic link over the old one. A crash at any point
leaves the previous version whole and ``current`` pointing at it.

The manifest guards integrity, not authenticity: it catches a changed, truncated or missing
file, not a forger who rewrites the files and the manifest together. Load artifacts from
sources you trust; what loading can do is limited to data (no pickle is read).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fuserec._version import __version__
from fuserec.errors import ArtifactError

FORMAT = "fuserec-artifact"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MANIFEST_SUM = "manifest.json.sha256"
CURRENT = "current"
DEPENDENCIES = ("numpy", "scipy", "pandas", "pyarrow", "scikit-learn", "lightgbm", "implicit", "torch",
                "sentence-transformers", "pydantic")


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def dependency_versions() -> dict[str, str | None]:
    """Installed versions of the packages a model's files depend on (None where absent)."""
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {}
    for name in DEPENDENCIES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def new_version() -> str:
    """A version name that sorts by time: ``20261201T221500Z-1a2b3c``."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + uuid.uuid4().hex[:6]


def _fsync_tree(folder: Path) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())
    for path in [folder, *sorted(p for p in folder.rglob("*") if p.is_dir())]:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_version(out: str | Path, fill: Callable[[Path], dict[str, Any]], version: str | None = None) -> Path:
    """Write one artifact version under ``out`` and point ``out/current`` at it.

    Parameters
    ----------
    out : path
        The artifact folder (created if needed).
    fill : callable
        Called with an empty folder; writes the version's files there and returns the manifest's
        other fields (metrics, fingerprint, ...). Every file it leaves is listed with its sha256.
    version : str, optional
        The version's name (default: UTC time and a random suffix).

    Returns
    -------
    Path
        The new version's folder.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    version = version or new_version()
    final = out / version
    if final.exists():
        raise ArtifactError(f"{final} already exists")
    tmp = out / f".tmp-{version}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        fields = fill(tmp)
        files = {str(p.relative_to(tmp)): {"sha256": sha256_file(p), "bytes": p.stat().st_size}
                 for p in sorted(tmp.rglob("*")) if p.is_file()}
        manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "version": version,
                    "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "fuserec": __version__, "python": platform.python_version(),
                    "dependencies": dependency_versions(), **fields, "files": files}
        body = json.dumps(manifest, indent=2, ensure_ascii=False, default=str).encode("utf-8") + b"\n"
        (tmp / MANIFEST).write_bytes(body)
        (tmp / MANIFEST_SUM).write_text(hashlib.sha256(body).hexdigest() + "\n", encoding="ascii")
        _fsync_tree(tmp)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    set_current(out, version)
    return final


def set_current(out: str | Path, version: str) -> None:
    """Point ``out/current`` at ``version`` atomically (a new link renamed over the old one)."""
    out = Path(out)
    if not (out / version / MANIFEST).is_file():
        raise ArtifactError(f"{out / version} is not an artifact version (no {MANIFEST})")
    link = out / f".{CURRENT}-{uuid.uuid4().hex[:6]}"
    os.symlink(version, link)
    os.replace(link, out / CURRENT)
    fd = os.open(out, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def resolve(path: str | Path) -> Path:
    """The version folder of ``path``: itself when it holds a manifest, else ``path/current``.

    Raises
    ------
    ArtifactError
        When neither is an artifact version.
    """
    path = Path(path)
    if (path / MANIFEST).is_file() or (path / MANIFEST_SUM).is_file():
        return path
    if (path / CURRENT).exists():
        return (path / CURRENT).resolve()
    if not path.exists():
        raise ArtifactError(f"{path}: no such artifact folder")
    raise ArtifactError(f"{path}: not an artifact (no {MANIFEST}, no {CURRENT} link); write one with fuserec train")


def verify(folder: str | Path) -> dict[str, Any]:
    """Read and check a version's manifest and every file it lists; returns the manifest.

    Raises
    ------
    ArtifactError
        Naming the first file that is missing, truncated or changed, or a manifest that does not
        match its checksum or was written by an unknown format version.
    """
    folder = Path(folder)
    manifest_path, sum_path = folder / MANIFEST, folder / MANIFEST_SUM
    for path in (manifest_path, sum_path):
        if not path.is_file():
            raise ArtifactError(f"{path}: missing, refused (the artifact is incomplete)")
    body = manifest_path.read_bytes()
    expected = sum_path.read_text(encoding="ascii", errors="replace").strip()
    if hashlib.sha256(body).hexdigest() != expected:
        raise ArtifactError(f"{manifest_path}: changed, refused (its sha256 does not match {sum_path.name})")
    try:
        manifest = json.loads(body)
    except json.JSONDecodeError as exc:
        raise ArtifactError(f"{manifest_path}: not valid JSON ({exc}), refused") from None
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise ArtifactError(f"{manifest_path}: format {manifest.get('format')!r} version "
                            f"{manifest.get('format_version')!r}; this fuserec reads {FORMAT} {FORMAT_VERSION}")
    for name, info in manifest["files"].items():
        path = folder / name
        if not path.is_file():
            raise ArtifactError(f"{path}: missing, refused (listed in the manifest)")
        size = path.stat().st_size
        if size != info["bytes"]:
            raise ArtifactError(f"{path}: {size:,} bytes, the manifest says {info['bytes']:,}: truncated or changed, "
                                "refused")
        if sha256_file(path) != info["sha256"]:
            raise ArtifactError(f"{path}: changed, refused (its sha256 does not match the manifest)")
    return manifest


def versions(out: str | Path) -> list[str]:
    """The complete versions under ``out``, oldest first (hidden, half-written folders excluded)."""
    out = Path(out)
    return sorted(p.name for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")
                  and not p.is_symlink() and (p / MANIFEST).is_file()) if out.is_dir() else []
