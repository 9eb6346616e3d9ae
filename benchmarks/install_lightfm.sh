#!/usr/bin/env bash
# LightFM 1.17 ships only a source archive whose setup.py fails on Python 3.11
# ('dict' object has no attribute '__LIGHTFM_SETUP__'). Fetch it, verify it, patch that one
# line, and build it into the given environment. Benchmark extra only, never a package dependency.
set -euo pipefail
PY=${1:-.venv/bin/python}
URL="https://files.pythonhosted.org/packages/1f/96/5ec230f5c27811534af0faaa8525f11c1000ee1c24c8a82c0546d0724aea/lightfm-1.17.tar.gz"
SHA256="2b77ada182ccd768a8d7643ab3cfcd8b6e855db09087f7cc7329bd63316697a8"
if "$PY" -c "import lightfm" 2>/dev/null; then exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$PY" - "$URL" "$work/lightfm.tar.gz" <<'PYEOF'
import sys, urllib.request
urllib.request.urlretrieve(sys.argv[1], sys.argv[2])
PYEOF
echo "$SHA256  $work/lightfm.tar.gz" | sha256sum -c --quiet
tar xzf "$work/lightfm.tar.gz" -C "$work"
sed -i 's/^__builtins__.__LIGHTFM_SETUP__ = True/import builtins; builtins.__LIGHTFM_SETUP__ = True/' "$work/lightfm-1.17/setup.py"
"$PY" -m pip install --quiet --no-build-isolation "$work/lightfm-1.17"
