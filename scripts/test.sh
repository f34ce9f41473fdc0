#!/usr/bin/env bash
# The project's own checks: lint, types, import contracts, then the tests (real stack included).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit $?
set -e
.venv/bin/ruff check wetest tests bench suites
.venv/bin/ruff format --check wetest tests bench suites
.venv/bin/mypy
.venv/bin/lint-imports
# The real Tekton tier (Tekton's controller, webhook, resolvers, a registry, KWOK) is built
# here and only here (`make run` never builds it), before the tests rather than beside them:
# a Go build on the same 2 cores would stretch the tests that bound a stop or a fail-fast.
# Cold: 8-10 min on quiet cores (about 20 on loaded ones); cached: a second.
PATH="$PATH:/usr/local/go/bin" .venv/bin/wetest assets install --tekton real
set +e
# Bytecode (and pytest's rewritten test modules) cached outside the tree, for the hundreds of
# Python processes the tests start (stacks, controllers, pytest runs): PYTHONDONTWRITEBYTECODE,
# set on this project's machines, made each of them compile wetest from source
# (wetest.stack.processes.python_environment does the same for `wetest run`).
if [ -n "${PYTHONDONTWRITEBYTECODE:-}" ] && [ -z "${PYTHONPYCACHEPREFIX:-}" ]; then
  unset PYTHONDONTWRITEBYTECODE
  export PYTHONPYCACHEPREFIX="${XDG_CACHE_HOME:-$HOME/.cache}/wetest/pycache"
fi
# Four xdist workers: most tests wait on real processes (stacks, runs), so four overlap on 2
# CPUs. --dist loadfile hands out whole files (module fixtures set up once), except the files
# whose tests each start their own stack or pytest (the mutant self-test's 14 runs, the plugin's
# process tests): those go out test by test, longest first (tests/conftest.py: SPREAD,
# LONG_FIRST), so no single file holds one worker while the others finish and idle.
.venv/bin/pytest tests -n "${WETEST_TEST_WORKERS:-4}" --dist loadfile "$@"
rc=$?
if [ $rc -eq 5 ]; then
  echo "pytest collected no tests (exit 5); treating as a failure of the test command" >&2
  exit 1
fi
exit $rc
