#!/usr/bin/env bash
# RecTools 0.19 (SASRecModel) for benchmarks/sequential_peers.py, in its own venv: RecTools pins
# numpy<2 and attrs<24, which the project's venv cannot take. Builds benchmarks/.venv-rectools from
# benchmarks/requirements-rectools.txt with the CPU build of torch 2.13.0, and refuses a CUDA build.
# Benchmark extra only, never a package dependency. Usage: bash benchmarks/install_rectools.sh [PYTHON]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PY=${1:-python3.11}
VENV="$HERE/.venv-rectools"
if "$VENV/bin/python" -c "import rectools, torch" 2>/dev/null; then exit 0; fi
"$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -r "$HERE/requirements-rectools.txt"
"$VENV/bin/python" - <<'PYEOF'
import importlib.metadata as md
import rectools
import torch

cuda = sorted(d.metadata["Name"] for d in md.distributions() if d.metadata["Name"].lower().startswith("nvidia-"))
if torch.version.cuda is not None or cuda:
    raise SystemExit(f"a CUDA build of torch was installed ({torch.__version__}, {cuda}); install the CPU wheel "
                     "torch==2.13.0+cpu (e.g. --extra-index-url https://download.pytorch.org/whl/cpu) and rerun")
print(f"rectools {rectools.__version__}, torch {torch.__version__} in {__import__('sys').prefix}")
PYEOF
