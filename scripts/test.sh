#!/usr/bin/env bash
# The project's own checks: lint, types, import contracts, then the tests (real stack included).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit $?
# The real Tekton tier (Tekton's controller, webhook, resolvers, a registry, KWOK) is built
# here and only here (`make run` never builds it), in the background while lint and types
# run; its test (tests/stack/test_tekton_real_tier.py) waits on the build's lock. Cold: about
# 20 min on 2 loaded cores, 8-10 on quiet ones; cached: a second.
real_log="${TMPDIR:-/tmp}/wetest-real-tekton-build.log"
PATH="$PATH:/usr/local/go/bin" .venv/bin/wetest assets install --tekton real >"$real_log" 2>&1 &
real_build=$!
trap '[ -n "$real_build" ] && kill "$real_build" 2>/dev/null; true' EXIT  # lint failed early
set -e
.venv/bin/ruff check wetest tests bench suites
.venv/bin/ruff format --check wetest tests bench suites
.venv/bin/mypy
.venv/bin/lint-imports
set +e
# Four xdist workers, whole files per worker: most tests wait on real processes (stacks, runs),
# so on 2 CPUs this takes about 6 minutes instead of 9 one after the other; the mutant
# self-test is the longest file (about 2 minutes) and starts first with --dist loadfile.
.venv/bin/pytest tests -n "${WETEST_TEST_WORKERS:-4}" --dist loadfile "$@"
rc=$?
if ! wait "$real_build"; then
  echo "building the real Tekton tier failed; see $real_log" >&2
  [ $rc -eq 0 ] && rc=1
fi
real_build=""
if [ $rc -eq 5 ]; then
  echo "pytest collected no tests (exit 5); treating as a failure of the test command" >&2
  exit 1
fi
exit $rc
