"""API keys with a read or a write scope, kept only as hashes.

``fuserec serve keys add --scope write`` prints a key once; the file keeps its id, scope and the
sha256 of its secret. A key is 32 random bytes, so a plain hash cannot be reversed by guessing
(unlike a password, it needs no slow hash). A write key may also read.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import time
from pathlib import Path
from typing import Literal

from fuserec.errors import ConfigError, UnknownIdError, UsageError

Scope = Literal["read", "write"]
SCOPES: tuple[Scope, ...] = ("read", "write")
PREFIX = "frk"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class KeyRing:
    """The keys a service accepts, read from (and written to) one JSON file.

    Parameters
    ----------
    path : str or Path
        The key file; absent means no keys (an open service).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._keys: dict[str, dict[str, str]] = {}
        if self.path.is_file():
            try:
                self._keys = {k["id"]: k for k in json.loads(self.path.read_text(encoding="utf-8"))["keys"]}
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise ConfigError(f"{self.path}: not a key file ({exc})") from None

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, scope: Scope, note: str = "") -> str:
        """Create a key with ``scope`` and save the file; returns the key (shown only now)."""
        if scope not in SCOPES:
            raise UsageError(f"scope must be one of {', '.join(SCOPES)}, not {scope!r}")
        key_id, secret = secrets.token_hex(4), secrets.token_urlsafe(32)
        self._keys[key_id] = {"id": key_id, "scope": scope, "sha256": _digest(secret), "note": note,
                              "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        self._save()
        return f"{PREFIX}_{key_id}_{secret}"

    def remove(self, key_id: str) -> None:
        """Revoke the key with id ``key_id`` (the part after ``frk_``)."""
        if self._keys.pop(key_id, None) is None:
            raise UnknownIdError(f"no key with id {key_id!r} in {self.path}")
        self._save()

    def listing(self) -> list[dict[str, str]]:
        """Id, scope, note and creation time of each key (never the hash)."""
        return [{k: v for k, v in key.items() if k != "sha256"} for key in self._keys.values()]

    def scope_of(self, key: str | None) -> Scope | None:
        """The scope ``key`` grants, or None for a missing or unknown key."""
        if not key:
            return None
        prefix, _, rest = key.partition("_")
        key_id, _, secret = rest.partition("_")
        known = self._keys.get(key_id)
        if prefix != PREFIX or known is None or not hmac.compare_digest(known["sha256"], _digest(secret)):
            return None
        return known["scope"]  # type: ignore[return-value]

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"keys": list(self._keys.values())}, indent=2) + "\n", encoding="utf-8")
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)
