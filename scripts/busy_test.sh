#!/usr/bin/env bash
# Run a command beside two CPU-bound processes, as on a busy machine, and say how long it took.
#   bash scripts/busy_test.sh [--times N] COMMAND...
# e.g. bash scripts/busy_test.sh --times 3 .venv/bin/python -m pytest tests/serving tests/events
# Stops at the first failing run (its exit status is the script's); the burners always stop.
set -uo pipefail
times=1
if [[ "${1:-}" == "--times" ]]; then times="$2"; shift 2; fi
[[ $# -gt 0 ]] || { echo "usage: $0 [--times N] COMMAND..." >&2; exit 2; }
PY="${PYTHON:-python3}"
burners=()
for _ in 1 2; do "$PY" -c "while True: pass" & burners+=($!); done
trap 'kill "${burners[@]}" 2>/dev/null; wait "${burners[@]}" 2>/dev/null' EXIT
for run in $(seq 1 "$times"); do
  start=$(date +%s)
  "$@"
  status=$?
  echo "busy run $run/$times: exit $status in $(( $(date +%s) - start )) s (beside 2 CPU-bound processes)"
  [[ $status -eq 0 ]] || exit $status
done
