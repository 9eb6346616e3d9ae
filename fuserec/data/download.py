"""Fetch a public dataset from its official address into a cache folder, verified by checksum.

Downloads go to a temporary file beside the target, are hashed while they stream, and are only
moved into place (and unpacked) when the checksum matches, so an interrupted or tampered download
never leaves a half-written dataset behind.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from fuserec.errors import DownloadError, UsageError

CHUNK = 1 << 16


def cache_dir() -> Path:
    """``$FUSEREC_CACHE_DIR``, else ``~/.cache/fuserec``."""
    return Path(os.environ.get("FUSEREC_CACHE_DIR") or Path.home() / ".cache" / "fuserec")


@dataclass(frozen=True)
class Remote:
    """One file at an official address. ``checksum`` is ``"sha256:<hex>"`` or ``"md5:<hex>"``;
    None where no checksum is published (trust on first use: the hash is printed and recorded)."""

    url: str
    checksum: str | None
    filename: str = ""
    unzip: bool = False  # unpack a zip into the dataset folder
    strip: str = ""  # leading folder inside the zip to drop
    members: tuple[str, ...] = field(default_factory=tuple)  # files to keep from a zip (all if empty)

    @property
    def name(self) -> str:
        return self.filename or self.url.rsplit("/", 1)[-1]


def _hasher(checksum: str | None):
    algo = (checksum or "sha256:").split(":", 1)[0]
    if algo not in ("sha256", "md5"):
        raise UsageError(f"checksum must start with 'sha256:' or 'md5:', not {checksum!r}")
    return algo, hashlib.new(algo)


def fetch(remote: Remote, dest_dir: Path, *, progress: bool = True, timeout: float = 60.0) -> Path:
    """Download ``remote`` into ``dest_dir`` (verified), returning the file's path."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / remote.name
    algo, h = _hasher(remote.checksum)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{remote.name}.", suffix=".part", dir=dest_dir)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                response = urllib.request.urlopen(remote.url, timeout=timeout)  # noqa: S310 (official URLs)
            except OSError as exc:
                raise DownloadError(f"cannot download {remote.url}: {exc}") from None
            with response:
                total = int(response.headers.get("Content-Length") or 0) or None
                with Progress(TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(),
                              TransferSpeedColumn(), disable=not progress, transient=True) as bar:
                    task = bar.add_task(f"downloading {remote.name}", total=total)
                    while chunk := response.read(CHUNK):
                        out.write(chunk)
                        h.update(chunk)
                        bar.advance(task, len(chunk))
        digest = h.hexdigest()
        if remote.checksum is not None:
            expected = remote.checksum.split(":", 1)[1].lower()
            if digest != expected:
                raise DownloadError(
                    f"checksum mismatch for {remote.url}: got {algo} {digest}, expected {expected}; "
                    "the file was discarded (a changed upstream file or a broken transfer)"
                )
        else:
            print(f"note: {remote.name} has no published checksum; its {algo} is {digest}")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def install(remotes: list[Remote], folder: Path, *, progress: bool = True) -> Path:
    """Fetch every remote into ``folder`` (built in a temporary folder, renamed when complete)."""
    if folder.exists():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        for remote in remotes:
            path = fetch(remote, work, progress=progress)
            if remote.unzip:
                _unzip(path, work, remote)
                path.unlink()
        os.replace(work, folder)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return folder


def _unzip(path: Path, dest: Path, remote: Remote) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                name = info.filename
                if remote.strip and name.startswith(remote.strip):
                    name = name[len(remote.strip):]
                if not name or name.endswith("/") or (remote.members and name not in remote.members):
                    continue
                target = (dest / name).resolve()
                if dest.resolve() not in target.parents:
                    raise DownloadError(f"{path.name}: member {info.filename!r} escapes the folder")
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out)
    except zipfile.BadZipFile as exc:
        raise DownloadError(f"{path.name} is not a valid zip file: {exc}") from None
