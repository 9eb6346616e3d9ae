"""The web page at ``/ui``: one static HTML file whose script calls the ``/v1`` API.

Nothing is built or downloaded: the page is plain HTML, CSS and JavaScript shipped in the package.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import HTMLResponse


def router() -> APIRouter:
    """The route serving the page."""
    page = files("fuserec.serving").joinpath("static/ui.html").read_text(encoding="utf-8")
    ui = APIRouter()

    @ui.get("/ui", response_class=HTMLResponse, include_in_schema=False)
    def show() -> HTMLResponse:
        """The page: pick a user, see their history and list, search, add an item, send feedback."""
        return HTMLResponse(page)

    return ui
