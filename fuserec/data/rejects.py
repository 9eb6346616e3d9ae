"""The rows a Parquet read drops, appended batch by batch to a CSV file that appears whole or not at all."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

log = logging.getLogger("fuserec.data")


class RejectsFile:
    """Rows dropped as invalid or as a suspected bot's, appended to a CSV beside the target, then renamed."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.partial = None if path is None else path.with_name(f".{path.name}.partial")
        self.n = 0

    def add(self, batch: Any, kept: np.ndarray, bot: np.ndarray) -> None:
        """The batch's rows not ``kept``, with their row numbers and the first check each failed
        (``suspected_bot`` for a good row of a suspected bot)."""
        if self.partial is None or kept.all():
            return
        out = ~kept
        reason = np.select([m for _, m, _, _ in batch.checks], [k for k, _, _, _ in batch.checks], "")
        reason = np.where(bot & (reason == ""), "suspected_bot", reason)
        frame = pd.DataFrame({
            "user": batch.users.dictionary.take(batch.users.indices.filter(pa.array(out))).to_numpy(
                zero_copy_only=False),
            "item": batch.items.dictionary.take(batch.items.indices.filter(pa.array(out))).to_numpy(
                zero_copy_only=False),
            "line": batch.first_row + 1 + np.flatnonzero(out),
            **{role: values[out] for role, values in batch.numbers.items()},
            "reason": reason[out],
        })
        if self.n == 0:
            self.partial.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(self.partial, mode="w" if self.n == 0 else "a", header=self.n == 0, index=False)
        self.n += len(frame)

    def close(self, report: dict[str, Any]) -> None:
        if self.partial is None or self.path is None or self.n == 0:
            return
        self.partial.replace(self.path)
        report["rejected_rows_file"] = str(self.path)
        log.warning("%d rejected rows written to %s", self.n, self.path)
