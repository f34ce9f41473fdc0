"""Fail fast before the kind path does anything: the executables and a Docker daemon that answers.

Runs before any cluster, download or image pull, and finishes in well under 5 s: a PATH lookup
for ``docker``, ``kind`` and ``kubectl``, then one ``docker info`` with a short timeout. Every
problem found is reported in one :class:`DependencyMissing` with the command that fixes it; the
kind backend never skips and never installs anything itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass

from wetest.errors import DependencyMissing

KIND_VERSION = "v0.32.0"
KUBECTL_VERSION = "v1.36.3"
DAEMON_TIMEOUT = 3.0

INSTALL = {
    "docker": "sudo apt-get install -y docker.io && sudo systemctl start docker "
    "(or see https://docs.docker.com/engine/install/)",
    "kind": f"go install sigs.k8s.io/kind@{KIND_VERSION}",
    "kubectl": f"curl -fLO https://dl.k8s.io/release/{KUBECTL_VERSION}/bin/linux/amd64/kubectl "
    "&& sudo install kubectl /usr/local/bin/kubectl",
}
START_DAEMON = "sudo systemctl start docker (or start Docker Desktop), then check: docker info"


@dataclass(frozen=True)
class Problem:
    """One missing dependency: what, where we looked, and its fix."""

    what: str
    looked: str
    fix: str


def missing_executables() -> list[Problem]:
    """docker, kind and kubectl, looked up on PATH in that order."""
    path = os.environ.get("PATH", "")
    return [
        Problem(name, f"PATH ({path or 'empty'})", INSTALL[name])
        for name in ("docker", "kind", "kubectl")
        if shutil.which(name) is None
    ]


def daemon_problem(timeout: float = DAEMON_TIMEOUT) -> Problem | None:
    """Ask the Docker daemon for its version; None when it answers within the timeout."""
    argv = ["docker", "info", "--format", "{{.ServerVersion}}"]
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Problem(
            "a Docker daemon that answers",
            f"`docker info` (no answer within {timeout:.0f}s)",
            START_DAEMON,
        )
    if done.returncode == 0 and done.stdout.strip():
        return None
    said = " ".join((done.stderr or done.stdout).split())[:300] or "no output"
    return Problem(
        "a Docker daemon that answers",
        f"`docker info` (exit {done.returncode}: {said})",
        START_DAEMON,
    )


def check() -> None:
    """Raise DependencyMissing naming every missing piece and its fix, or return quietly."""
    problems = missing_executables()
    if not any(p.what == "docker" for p in problems):
        daemon = daemon_problem()
        problems += [daemon] if daemon else []
    if problems:
        raise DependencyMissing(
            " and ".join(p.what for p in problems) + " (needed by --wetest-backend kind)",
            [p.looked for p in problems],
            "; ".join(p.fix for p in problems),
        )
