#!/usr/bin/env bash
# The main job: set up, then run the conformance suites against the bundled reference
# controller on the embedded stack, ending in a triage report.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit $?
exec .venv/bin/wetest run "$@"
