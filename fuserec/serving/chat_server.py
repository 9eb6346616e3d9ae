"""A small OpenAI-compatible chat endpoint around a local GGUF model (``fuserec serve llm``).

It answers ``POST /v1/chat/completions`` and ``GET /v1/models`` in the shape OpenAI's clients
read, so anything that talks to vLLM, Ollama or OpenAI can talk to a model on this machine, and
the explanation wording can be tested against a real HTTP server with no network. Greedy only:
``temperature`` is accepted and ignored. One request runs at a time (one llama.cpp context).
"""

from __future__ import annotations

import time
import uuid
from typing import Any, Literal

from fastapi import FastAPI, HTTPException
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from fuserec.semantic.chat import ChatError, ChatModel

MAX_MESSAGES = 64
MAX_CHARS = 32_000


class Message(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "user", "assistant"]
    content: str = Field(max_length=MAX_CHARS)


class CompletionRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    model: str = "default"
    messages: list[Message] = Field(min_length=1, max_length=MAX_MESSAGES)
    max_tokens: int = Field(default=128, ge=1, le=1024)
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    stop: str | list[str] | None = None


def chat_app(model: ChatModel, name: str = "local", timeout: float = 60.0) -> FastAPI:
    """The application serving ``model`` under the model name ``name``."""
    app = FastAPI(title="fuserec chat", version="1", docs_url="/docs")

    @app.get("/v1/models")
    def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": name, "object": "model", "owned_by": "fuserec"}]}

    @app.post("/v1/chat/completions")
    async def complete(body: CompletionRequest) -> dict[str, Any]:
        stop = [body.stop] if isinstance(body.stop, str) else body.stop
        messages = [m.model_dump() for m in body.messages]
        try:
            text = await run_in_threadpool(model.complete, messages, max_tokens=body.max_tokens, timeout=timeout,
                                           stop=stop)
        except ChatError as exc:
            raise HTTPException(status_code=503, detail=str(exc)) from None
        return {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": int(time.time()),
                "model": name, "choices": [{"index": 0, "finish_reason": "stop",
                                            "message": {"role": "assistant", "content": text}}],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}}

    @app.get("/healthz")
    def health() -> dict[str, str]:
        return {"status": "ok", "model": model.id}

    return app
