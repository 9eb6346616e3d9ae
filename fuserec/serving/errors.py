"""How the service answers errors: an unknown item 404, a store or encoder that is down 503, bad input 422."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from fuserec.events import StoreError
from fuserec.serving.similar import UnknownItemError


async def _unknown_item(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": exc.args[0]}, status_code=404)


async def _store_down(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=503)


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc.args[0] if exc.args else exc)}, status_code=503)


async def _invalid(request: Request, exc: Exception) -> JSONResponse:
    """422 naming each field: its location (``["query", "k"]``), what was wrong and the error type."""
    assert isinstance(exc, RequestValidationError)
    errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
              for e in exc.errors()]
    return JSONResponse({"detail": errors}, status_code=422)


def add_error_handlers(app: FastAPI) -> None:
    """Register the service's error answers on ``app``."""
    app.add_exception_handler(UnknownItemError, _unknown_item)
    app.add_exception_handler(StoreError, _store_down)
    app.add_exception_handler(LookupError, _unavailable)
    app.add_exception_handler(RequestValidationError, _invalid)
