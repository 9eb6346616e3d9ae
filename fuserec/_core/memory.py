"""How much memory a stage may use, and the check a model runs before a large allocation.

The budget is ``$FUSEREC_MEMORY_LIMIT`` (``"8GB"``, ``"512MB"``, bytes) when set, otherwise the
memory the machine has available now (``MemAvailable``, capped by a cgroup limit). A model that
can exceed it estimates its peak first and, past the budget, takes its lighter path and says so,
or stops with ``MemoryBudgetError`` before allocating anything.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from fuserec.errors import MemoryBudgetError, UsageError

ENV = "FUSEREC_MEMORY_LIMIT"
UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
         "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def parse_bytes(text: str | int | float) -> int:
    """``"8GB"``, ``"512 MiB"`` or a number of bytes, as bytes."""
    if isinstance(text, (int, float)):
        return int(text)
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)\s*", text)
    if match is None or match.group(2).upper() not in UNITS:
        raise UsageError(f"{ENV}: {text!r} is not a size (expected e.g. '8GB', '512MiB' or a number of bytes)")
    return int(float(match.group(1)) * UNITS[match.group(2).upper()])


def format_bytes(n: float) -> str:
    """``n`` bytes in the largest decimal unit that keeps a number ≥ 1 (``"14.4 GB"``)."""
    for unit in ("TB", "GB", "MB", "KB"):
        if n >= UNITS[unit]:
            return f"{n / UNITS[unit]:.1f} {unit}"
    return f"{int(n)} B"


def available_bytes() -> int:
    """Memory the machine has available now, within this process's cgroup limit when there is one."""
    free = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                free = int(line.split()[1]) * 1024
    except OSError:
        pass
    if free is None:  # not Linux: total physical memory
        free = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit.isdigit():
            free = min(free, int(limit))
    except OSError:
        pass
    return free


def memory_budget() -> int:
    """Bytes a stage may use: ``$FUSEREC_MEMORY_LIMIT``, else what is available now."""
    setting = os.environ.get(ENV)
    return parse_bytes(setting) if setting else available_bytes()


def budget_source() -> str:
    """Where the budget comes from, for messages."""
    return f"{ENV}={os.environ[ENV]}" if os.environ.get(ENV) else f"the memory available now (set {ENV} to change it)"


def fits(estimate: int) -> bool:
    """Whether ``estimate`` bytes fit the budget."""
    return estimate <= memory_budget()


def require(estimate: int, what: str, change: str) -> None:
    """Raise ``MemoryBudgetError`` when ``estimate`` bytes exceed the budget.

    ``what`` names the model and the size ("EASE dense weights for 200,000 items"); ``change``
    says which setting would avoid it ("form='sparse'").
    """
    budget = memory_budget()
    if estimate > budget:
        raise MemoryBudgetError(f"{what} would need about {format_bytes(estimate)}, over the "
                                f"{format_bytes(budget)} it may use ({budget_source()}); {change}")
