#!/usr/bin/env bash
# Set up everything on a fresh machine: system packages, the .venv, the control-plane binaries.
# Idempotent: a second run only checks. Used by `make test` and `make run`.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "setup: $*" >&2; }

need_pkg=()
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then
  need_pkg+=(postgresql)
fi
# Chromium renders triage.html in the report's own test (Debian's package, headless).
command -v chromium >/dev/null || need_pkg+=(chromium)
if [ ${#need_pkg[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  say "installing ${need_pkg[*]} with apt-get"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkg[@]}" >/dev/null
fi
if ! command -v go >/dev/null && [ ! -x /usr/local/go/bin/go ]; then
  say "Go >= 1.26 is required to build kube-apiserver and etcd. Install it: sudo apt-get install -y golang-go (or from go.dev)"
  exit 3
fi
export PATH="$PATH:/usr/local/go/bin"

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.wetest-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  say "installing wetest and its dependencies into .venv"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e '.[dev]'
  touch "$stamp"
fi
say "building or locating etcd, kube-apiserver and kube-controller-manager"
.venv/bin/wetest assets install >/dev/null
