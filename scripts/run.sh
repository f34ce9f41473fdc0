#!/usr/bin/env bash
# The main job: set up, then run the conformance suites against the bundled reference
# controller on the embedded stack, ending in a triage report.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit $?
if .venv/bin/wetest run --help >/dev/null 2>&1; then
  exec .venv/bin/wetest run "$@"
fi
# Until `wetest run` lands: prove the stack starts and stops.
.venv/bin/wetest up --json && .venv/bin/wetest status && .venv/bin/wetest down
