"""Old import paths that keep working for one release, with a ``DeprecationWarning``."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Mapping
from typing import Any


def moved(old: str, new: str | Mapping[str, str], stacklevel: int = 2) -> Callable[[str], Any]:
    """A module-level ``__getattr__`` for module ``old`` that forwards attribute lookups.

    Parameters
    ----------
    old : str
        The module whose names moved (its ``__name__``).
    new : str or mapping of str to str
        The module every name moved to, or, per name, the module it moved to. Names not in the
        mapping raise ``AttributeError`` as usual.
    stacklevel : int, default 2
        Passed to ``warnings.warn``; 3 when the returned function is called from another
        ``__getattr__``, so that the warning names the caller's line.

    Returns
    -------
    callable
        To assign to the old module's ``__getattr__``. The new module is imported only on first
        use, so the old module does not import upward.
    """

    def __getattr__(name: str) -> Any:
        target = new if isinstance(new, str) else new.get(name)
        if target is None or name.startswith("__"):
            raise AttributeError(f"module {old!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(target), name)
        warnings.warn(f"{old}.{name} moved to {target}.{name}; the old path will be removed in the next release",
                      DeprecationWarning, stacklevel=stacklevel)
        return value

    return __getattr__
