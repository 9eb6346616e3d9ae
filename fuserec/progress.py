"""Progress bars for long work: shown only when the work lasts over two seconds."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")
DELAY_SECONDS = 2.0


def progress(items: Iterable[T], description: str, total: int | None = None, enabled: bool = True) -> Iterator[T]:
    """Iterate with a bar that appears only if the loop runs longer than ``DELAY_SECONDS``.

    ``TQDM_DISABLE=1`` in the environment turns every bar off (tqdm reads it as the default,
    so ``disable`` is only passed when the caller turns a bar off).
    """
    off = {} if enabled else {"disable": True}
    return iter(tqdm(items, desc=description, total=total, delay=DELAY_SECONDS, leave=False, **off))


def counter(description: str, total: int | None = None, unit: str = "it", enabled: bool = True) -> tqdm:
    """A bar advanced by hand (``bar.update(n)``), for work counted in units other than loop steps,
    such as rows read in batches of varying size; shown, like `progress`, only past
    ``DELAY_SECONDS``. Use it as a context manager so that it closes."""
    off = {} if enabled else {"disable": True}
    return tqdm(desc=description, total=total, unit=unit, unit_scale=True, delay=DELAY_SECONDS, leave=False, **off)
