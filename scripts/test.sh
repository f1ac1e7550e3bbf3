#!/usr/bin/env bash
# `make test` and CI's passes: the suite in parallel (pytest-xdist), the part without a browser first, then the
# browser journeys (marked e2e), each timed; the durations are printed at the end. Arguments go to pytest.
set -uo pipefail
cd "$(dirname "$0")/.."
run() {
  .venv/bin/python -m pytest -n auto --dist loadfile "$@"
  local code=$?
  [ "$code" -eq 5 ] && code=0  # no test selected (e.g. -k matching only one part)
  return "$code"
}
start=$(date +%s)
run -m "not e2e" "$@"; first=$?
middle=$(date +%s)
run -m e2e "$@"; second=$?
end=$(date +%s)
echo "Durées : hors navigateur $((middle - start)) s, parcours navigateur $((end - middle)) s, total $((end - start)) s"
[ "$first" -eq 0 ] && [ "$second" -eq 0 ]
