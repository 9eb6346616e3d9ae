"""The web page at /ui, driven end to end in headless Chromium: a user's list with what placed each
item, feedback that changes it, search by free text, and a new item that is recommended at once.

Set ``FUSEREC_UI_SCREENSHOT=path.png`` to keep a screenshot of the page (the docs' picture)."""

from __future__ import annotations

import os
import shutil
import signal

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("sentence_transformers")
sync_api = pytest.importorskip("playwright.sync_api")

from fuserec.artifacts.trained import lookup  # noqa: E402
from fuserec.serving.service import Service  # noqa: E402
from fuserec.serving.settings import ServeSettings  # noqa: E402
from tests.serving.helpers import free_port, start_server  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def page_url(artifact, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(artifact, model, symlinks=True)
    port = free_port()
    proc = start_server(model, port, log=tmp_path / "server.log")
    yield f"http://127.0.0.1:{port}"
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)


def _reader(artifact, tmp_path) -> tuple[str, str, list[str]]:
    """A user with a history, and a text that reads like the first items of it."""
    probe = Service(artifact, db=str(tmp_path / "probe.sqlite"), watch=False, settings=ServeSettings(encoder="none"))
    live = probe.live
    user = str(live.trained.users()[5])
    u = lookup(live.model.users_, user)
    history = live.model.seen_.indices[live.model.seen_.indptr[u]:live.model.seen_.indptr[u + 1]]
    text = ". ".join(live.catalogue.texts[i] for i in history[:3])
    titles = [live.catalogue.titles[i] for i in history]
    probe.close()
    return user, text, titles


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make test installs it)")
def test_the_page_shows_explains_takes_feedback_searches_and_adds_items(page_url, artifact, tmp_path):
    user, text, history_titles = _reader(artifact, tmp_path)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{page_url}/ui")
        page.fill("#user", user)
        page.click("#show")
        recs = page.locator("#recs li")
        recs.nth(9).wait_for()
        assert recs.count() == 10
        assert page.locator("#recs .why").count() >= 5                   # what placed each item
        reason = page.locator("#recs .why").first.inner_text()
        assert reason.startswith("Because you liked ") and any(t in reason for t in history_titles), reason
        assert "itemknn" in page.locator("#version").inner_text()

        first = recs.nth(0).get_attribute("data-item")
        title = recs.nth(0).locator("span").first.inner_text().strip()
        recs.nth(0).locator("button.like").click()
        page.locator(f'#history li[data-item="{first}"]', has_text=f"like {title}").wait_for()
        page.wait_for_function("(item) => ![...document.querySelectorAll('#recs li')]"
                               ".some((li) => li.dataset.item === item)", arg=first)

        page.fill("#query", text[:200])
        page.click("#search-form button")
        page.locator("#hits li").nth(4).wait_for()

        page.fill("#new-id", "ui-new-film")
        page.fill("#new-title", "A Film Added From The Page")
        page.fill("#new-text", text)
        page.click("#item-form button")
        page.locator("#added", has_text="added A Film Added From The Page").wait_for()
        page.locator('#recs li[data-item="ui-new-film"]').wait_for()
        new_reason = page.locator('#recs li[data-item="ui-new-film"] .why').inner_text()
        assert new_reason.startswith("New, and reads like ") and any(t in new_reason for t in [*history_titles, title])
        assert page.locator("#status").inner_text() == ""
        if os.environ.get("FUSEREC_UI_SCREENSHOT"):
            page.screenshot(path=os.environ["FUSEREC_UI_SCREENSHOT"], full_page=True)
        browser.close()
    assert not errors
