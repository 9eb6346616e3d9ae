"""What the service tests share: the sample's artifact, and both stores (`tests.events.fixtures`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.events.fixtures import postgres_url, store_target  # noqa: F401


@pytest.fixture(scope="session")
def artifact(tmp_path_factory) -> Path:
    """An item-kNN artifact trained on the MovieTweetings sample that ships with fuserec."""
    from fuserec.artifacts.trained import save
    from fuserec.data import load_dataset
    from fuserec.registry import build_model

    data = load_dataset("movietweetings-100k")
    out = tmp_path_factory.mktemp("artifact") / "knn"
    save(out, build_model("itemknn").fit(data), data)
    return out
