"""Shared code of the recording stand-ins for ``kind``, ``kubectl`` and ``docker``.

Each stand-in appends its argv as one JSON line to ``$WETEST_STANDIN_LOG`` and answers like the
real tool: exit codes, the stdout wetest parses, error text on stderr. State (clusters, poll
counters) lives in ``$WETEST_STANDIN_STATE``. Failure modes are chosen with
``$WETEST_STANDIN_FAIL``, a comma-separated list of:

- ``daemon-down``: ``docker info`` cannot connect to the daemon;
- ``daemon-hangs``: ``docker info`` never answers;
- ``kind-create``: ``kind create cluster`` fails;
- ``kind-load``: ``kind load docker-image`` finds no such image;
- ``tekton-apply``: ``kubectl apply`` of the Tekton release fails;
- ``crds-never``: ``kubectl wait --for=condition=Established`` times out;
- ``webhook-never``: the webhook Deployment never becomes available;
- ``admission-never``: the dry-run TaskRun is always refused by the webhook.

``$WETEST_STANDIN_WEBHOOK_AFTER`` and ``$WETEST_STANDIN_ADMISSION_AFTER`` (default 0) say how
many polls answer "not ready" before the webhook is available or admission works.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters:
- name: kind-{name}
  cluster:
    server: https://127.0.0.1:40123
    certificate-authority-data: AAAA
contexts:
- name: kind-{name}
  context: {{cluster: kind-{name}, user: kind-{name}}}
current-context: kind-{name}
users:
- name: kind-{name}
  user: {{token: standin}}
"""


def record(tool: str) -> list[str]:
    """Append this call to the log; return argv without the program name."""
    argv = sys.argv[1:]
    entry: dict[str, object] = {"tool": tool, "argv": argv}
    if "-" in argv and "-f" in argv:
        entry["stdin"] = sys.stdin.read()
    with Path(os.environ["WETEST_STANDIN_LOG"]).open("a") as log:
        log.write(json.dumps(entry) + "\n")
    return argv


def failing(mode: str) -> bool:
    return mode in os.environ.get("WETEST_STANDIN_FAIL", "").split(",")


def state() -> Path:
    folder = Path(os.environ["WETEST_STANDIN_STATE"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def count(name: str) -> int:
    """Increment and return a named call counter (1 on the first call)."""
    path = state() / f"{name}.count"
    value = int(path.read_text()) + 1 if path.exists() else 1
    path.write_text(str(value))
    return value


def after(name: str) -> int:
    return int(os.environ.get(f"WETEST_STANDIN_{name.upper()}_AFTER", "0"))


def flag(argv: list[str], name: str) -> str:
    """The value of ``--name value`` or ``--name=value`` in argv, or ''."""
    for i, arg in enumerate(argv):
        if arg == name and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return ""


def fail(message: str, code: int = 1) -> None:
    print(message, file=sys.stderr)
    sys.exit(code)
