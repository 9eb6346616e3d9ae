"""Errors that name what went wrong and where: file, line, field, and what was expected."""

from __future__ import annotations

from pathlib import Path


class FuserecError(Exception):
    """Base class of every error this package raises on purpose."""


class DataError(FuserecError, ValueError):
    """Bad input data: the message names the file, the line and the field, and what was expected.

    ``line`` is 1-based and counts the header line, so it matches what an editor shows.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
        expected: str | None = None,
    ) -> None:
        self.file = str(file) if file is not None else None
        self.line = line
        self.field = field
        self.expected = expected
        self.reason = message
        where = []
        if self.file is not None:
            where.append(self.file if line is None else f"{self.file}, line {line}")
        elif line is not None:
            where.append(f"line {line}")
        if field is not None:
            where.append(f"field '{field}'")
        text = (": ".join(where) + ": " if where else "") + message
        if expected:
            text += f" (expected {expected})"
        super().__init__(text)


class DownloadError(FuserecError):
    """A dataset could not be fetched or did not match its published checksum."""


class UsageError(FuserecError, ValueError):
    """An argument or setting outside what a function accepts (an unknown split, a negative
    ``k``); the message names it and what is allowed."""


class UnknownIdError(FuserecError, KeyError):
    """A user or item id the data or the model does not know; the message names it."""

    def __str__(self) -> str:  # a KeyError's str() would quote the message
        return str(self.args[0]) if self.args else ""


class NotFittedError(FuserecError, AttributeError):
    """A model was asked to predict before ``fit``."""


class ParamError(FuserecError, ValueError):
    """A model parameter of the wrong type or out of range, or one the model does not have: the
    message names the model, the parameter and what was expected."""


class ConfigError(FuserecError, ValueError):
    """A run configuration that cannot be used: the message names the file, the key and what was expected."""


class ArtifactError(FuserecError):
    """A model artifact that cannot be loaded: a file changed, truncated or missing (named in the message),
    or one written by an incompatible version."""


class FoldInError(FuserecError, NotImplementedError):
    """A model asked to score histories it was not trained on, which it cannot do without a refit
    (its ``can_fold_in`` is False); the message names the model, or the part of it, that cannot."""


class MissingExtraError(FuserecError, ImportError):
    """A feature needs an optional dependency that is not installed.

    The message names the feature, the missing module and the extra that installs it
    (``pip install 'fuserec[rerank]'``), so the fix is one command.
    """

    def __init__(self, what: str, modules: list[str], extras: list[str]) -> None:
        self.what = what
        self.modules = modules
        self.extras = extras
        missing = ", ".join(map(repr, modules))
        verb = "is" if len(modules) == 1 else "are"
        super().__init__(f"{what} needs {missing}, which {verb} not installed: "
                         f"pip install 'fuserec[{','.join(extras)}]'")


class MemoryBudgetError(FuserecError, MemoryError):
    """A stage would need more memory than it may use and has no lighter path; the message names
    the model, the size, the estimate and the setting to change."""
