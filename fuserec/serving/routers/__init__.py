"""The HTTP routes, one module per resource; each handler calls one `Service` method."""

from typing import Any

from fuserec.serving.routers import admin, events, items, operations, recommendations, search

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "The body is not JSON"},
    401: {"description": "An API key is needed"},
    403: {"description": "The key's scope does not allow this"},
    413: {"description": "The body is larger than the configured limit"},
}
"""The answers every ``/v1`` route may give before it runs (documented in the OpenAPI schema)."""

__all__ = ["ERRORS", "admin", "events", "items", "operations", "recommendations", "search"]
