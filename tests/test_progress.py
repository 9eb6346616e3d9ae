"""Progress bars: shown on long loops, off when asked (argument or TQDM_DISABLE)."""

from __future__ import annotations

import os
import subprocess
import sys

LOOP = "import time\nfrom fuserec.progress import progress\nfor _ in progress(range(2), 'slow loop'): time.sleep(1.3)\n"


def _stderr(env_extra: dict[str, str], code: str = LOOP) -> str:
    env = {k: v for k, v in os.environ.items() if k != "TQDM_DISABLE"} | env_extra
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stderr


def test_a_long_loop_shows_a_bar_unless_tqdm_disable_is_set():
    assert "slow loop" in _stderr({})
    assert _stderr({"TQDM_DISABLE": "1"}) == ""
    assert _stderr({}, LOOP.replace("'slow loop')", "'slow loop', enabled=False)")) == ""
