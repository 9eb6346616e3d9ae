"""Where tensor work runs: CUDA when torch sees a GPU, else the CPU."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def default_device() -> str:
    """``$FUSEREC_DEVICE`` if set, else ``"cuda"`` when torch sees a GPU, else ``"cpu"``.

    Importing torch costs about a second, so on a machine with no NVIDIA device node the answer
    is "cpu" without importing it (unless torch is already loaded).
    """
    forced = os.environ.get("FUSEREC_DEVICE")
    if forced:
        return forced
    if "torch" not in sys.modules and not Path("/dev/nvidiactl").exists():
        return "cpu"
    try:
        import torch
    except ImportError:  # the core install has no torch: nothing runs on the GPU then
        return "cpu"
    return "cuda" if torch.cuda.is_available() else "cpu"
