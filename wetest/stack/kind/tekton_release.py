"""Install a real Tekton release on a real cluster with kubectl, and wait until it admits runs.

Readiness is three waits, as Tekton's own CI does it: the CRDs are Established, the controller
and webhook Deployments are available, and then — because a ready webhook Pod is not yet a
working admission path (caBundle injection, Endpoints) — a server-side dry-run create of a
tiny TaskRun is retried until it succeeds. Every timeout says what was last observed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from wetest import progress
from wetest.errors import StartupFailed
from wetest.stack.kind.commands import Kubectl, poll

NAMESPACE = "tekton-pipelines"
DEPLOYMENTS = ("tekton-pipelines-controller", "tekton-pipelines-webhook")
CRDS = (
    "tasks.tekton.dev",
    "taskruns.tekton.dev",
    "pipelines.tekton.dev",
    "pipelineruns.tekton.dev",
)
PROBE_TASKRUN = """\
apiVersion: tekton.dev/v1
kind: TaskRun
metadata:
  name: wetest-admission-probe
  namespace: default
spec:
  taskSpec:
    steps:
    - name: probe
      image: busybox
      script: "true"
"""


@dataclass(frozen=True)
class Waits:
    """Budgets in seconds; ``interval`` is the poll period (tests set it to 0)."""

    crds: float = 120.0
    deployments: float = 240.0
    admission: float = 90.0
    interval: float = 1.0

    def scaled(self, factor: float) -> Waits:
        """Every budget times --wetest-timeout-scale; the interval stays."""
        return replace(
            self,
            crds=self.crds * factor,
            deployments=self.deployments * factor,
            admission=self.admission * factor,
        )


def install(kubectl: Kubectl, manifest: Path, waits: Waits) -> None:
    """Apply the release manifest, then wait for CRDs, Deployments and admission, in order."""
    with progress.step(f"applying Tekton release {manifest}"):
        kubectl.check(
            "apply",
            "-f",
            str(manifest),
            timeout=kubectl.timeout * 3,
            fix=f"Check the manifest, then run: {' '.join(kubectl.argv('apply', '-f'))} {manifest}",
        )
    with progress.step("waiting for Tekton CRDs, Deployments and admission"):
        wait_crds(kubectl, CRDS, waits.crds)
        wait_deployments(kubectl, waits)
        wait_admission(kubectl, waits)


def wait_crds(kubectl: Kubectl, names: tuple[str, ...], timeout: float) -> None:
    """``kubectl wait --for=condition=Established``; on failure show each CRD's conditions."""
    result = kubectl.run(
        "wait",
        "--for=condition=Established",
        f"--timeout={timeout:.0f}s",
        *(f"crd/{n}" for n in names),
        timeout=timeout + 30,
    )
    if not result.ok:
        raise StartupFailed(
            f"The CRDs {', '.join(names)} were not Established within "
            f"{timeout:.0f}s. kubectl said:\n{result.said()}\nLast observed: "
            f"{crd_conditions(kubectl, names)}. Run: "
            f"{' '.join(kubectl.argv('get', 'crd', *names, '-o', 'yaml'))}"
        )


def crd_conditions(kubectl: Kubectl, names: tuple[str, ...]) -> str:
    """One line per CRD: its name and condition statuses, or what kubectl said instead."""
    result = kubectl.run("get", "crd", *names, "-o", "json")
    if not result.ok:
        return result.said(3)
    return "; ".join(f"{i['metadata']['name']}: {_conditions(i)}" for i in _items(result.stdout))


def wait_deployments(kubectl: Kubectl, waits: Waits) -> None:
    """Poll the Deployments until each has all replicas available at its current generation."""
    done, seen = poll(lambda: deployments_available(kubectl), waits.deployments, waits.interval)
    if not done:
        raise StartupFailed(
            f"Tekton's Deployments in {NAMESPACE} were not available within "
            f"{waits.deployments:.0f}s. Last observed: {seen}. Run: "
            f"{' '.join(kubectl.argv('-n', NAMESPACE, 'describe', 'deployment', *DEPLOYMENTS))}"
            " to see why, or raise --wetest-timeout-scale on a slow machine."
        )


def deployments_available(kubectl: Kubectl) -> tuple[bool, str]:
    """(all available, one status line per Deployment) from ``kubectl get deployment -o json``."""
    result = kubectl.run("-n", NAMESPACE, "get", "deployment", *DEPLOYMENTS, "-o", "json")
    if not result.ok:
        return False, f"kubectl get deployment failed: {result.said(3)}"
    items = _items(result.stdout)
    states = [_deployment_state(i) for i in items]
    ready = len(items) == len(DEPLOYMENTS) and all(ok for ok, _ in states)
    return ready, "; ".join(line for _, line in states) or "no Deployments yet"


def wait_admission(kubectl: Kubectl, waits: Waits) -> None:
    """Retry a server-side dry-run create of a tiny TaskRun until the webhook admits it."""

    def attempt() -> tuple[bool, str]:
        result = kubectl.run("create", "--dry-run=server", "-f", "-", stdin=PROBE_TASKRUN)
        return result.ok, result.said(3)

    done, seen = poll(attempt, waits.admission, waits.interval)
    if not done:
        raise StartupFailed(
            f"Tekton's admission webhook did not accept a dry-run TaskRun within "
            f"{waits.admission:.0f}s. Last answer: {seen}. Run: "
            f"{' '.join(kubectl.argv('-n', NAMESPACE, 'logs', 'deployment/' + DEPLOYMENTS[1]))}"
        )


def _items(stdout: str) -> list[dict[str, Any]]:
    data = json.loads(stdout or "{}")
    items = data.get("items", [data] if data.get("metadata") else [])
    return [i for i in items if isinstance(i, dict)]


def _conditions(obj: dict[str, Any]) -> str:
    conditions = obj.get("status", {}).get("conditions") or []
    return (
        ", ".join(
            f"{c.get('type')}={c.get('status')}"
            + (f" ({c.get('reason')}: {c.get('message')})" if c.get("status") != "True" else "")
            for c in conditions
        )
        or "no conditions"
    )


def _deployment_state(obj: dict[str, Any]) -> tuple[bool, str]:
    want = int(obj.get("spec", {}).get("replicas", 1))
    status = obj.get("status", {})
    have = int(status.get("availableReplicas", 0))
    current = status.get("observedGeneration", 0) >= obj.get("metadata", {}).get("generation", 0)
    line = f"{obj['metadata']['name']}: {have}/{want} available, {_conditions(obj)}"
    return have >= want and current, line
