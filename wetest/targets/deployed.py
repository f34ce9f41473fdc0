"""``deployed:<namespace>/<deployment>``: a controller that already runs in the cluster.

wetest neither starts nor stops it; ``start`` only checks, through the API server, that the
Deployment exists and becomes available, so a run against a missing or crash-looping
controller fails in seconds with the ``kubectl`` command to look further instead of timing
out test by test. Logs come from the API (the Deployment's Pods), since there is no local file.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from wetest.errors import ConfigError, ControllerCrashed, DependencyMissing
from wetest.kube import clients
from wetest.stack.endpoints import ControllerInfo, Endpoints

READY_TIMEOUT = 60.0
POLL_INTERVAL = 0.5


def parse(spec: str) -> tuple[str, str]:
    """``<namespace>/<deployment>`` → (namespace, name); anything else is a ConfigError."""
    namespace, _, name = spec.partition("/")
    if not namespace or not name or "/" in name:
        raise ConfigError(
            f"'deployed:{spec}' is not a valid target. Use deployed:<namespace>/<deployment>, "
            "for example deployed:kubernaut-system/workflowexecution-controller."
        )
    return namespace, name


class DeployedTarget:
    """Check and observe a controller Deployment that someone else installed and owns."""

    proc = None  # no local process: the supervisor's kill/restart commands do nothing

    def __init__(self, namespace: str, deployment: str, ready_timeout: float = READY_TIMEOUT):
        self.namespace, self.deployment = namespace, deployment
        self.name = f"deployed:{namespace}/{deployment}"
        self.ready_timeout = ready_timeout
        self.info = ControllerInfo(target=self.name)
        self._api: client.ApiClient | None = None

    @property
    def describe_command(self) -> str:
        return f"kubectl -n {self.namespace} describe deployment {self.deployment}"

    def start(self, endpoints: Endpoints, log_dir: Path) -> ControllerInfo:
        """Wait until the Deployment is available; raise with the evidence if it never is."""
        self._api = clients.api_client(endpoints.kubeconfig)
        deadline = time.monotonic() + self.ready_timeout
        deployment = self._read(missing_ok=False)
        while not _available(deployment):
            if time.monotonic() >= deadline:
                raise ControllerCrashed(
                    f"The controller Deployment {self.namespace}/{self.deployment} did not "
                    f"become available within {self.ready_timeout:.0f}s "
                    f"({_summary(deployment)}). Log tail:\n{self.log_tail()}\n"
                    f"Fix the controller (see: {self.describe_command}), then re-run."
                )
            time.sleep(POLL_INTERVAL)
            deployment = self._read(missing_ok=False)
        return self.info

    def alive(self) -> bool:
        """True while the Deployment has at least one available replica."""
        return self._api is not None and _available(self._read(missing_ok=True))

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of each Pod of the Deployment, read through the API."""
        if self._api is None:
            return ""
        deployment = self._read(missing_ok=True)
        if not deployment:
            return f"(Deployment {self.namespace}/{self.deployment} not found)"
        labels = ((deployment.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        selector = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
        core = client.CoreV1Api(self._api)
        try:
            pods = core.list_namespaced_pod(self.namespace, label_selector=selector).items
        except ApiException as exc:
            return f"(could not list the controller's Pods: {exc.status} {exc.reason})"
        if not pods:
            return f"(no Pods match {selector or 'the selector'} in {self.namespace})"
        return "\n".join(self._pod_log(core, pod.metadata.name, lines) for pod in pods)

    def stop(self) -> None:
        """Nothing to stop: the Deployment belongs to whoever installed it."""
        self._api = None

    def _pod_log(self, core: client.CoreV1Api, pod: str, lines: int) -> str:
        try:
            text = core.read_namespaced_pod_log(pod, self.namespace, tail_lines=lines) or ""
        except ApiException as exc:
            text = f"(no log: {exc.status} {exc.reason})"
        return f"--- pod {pod} ---\n{text or '(empty log)'}"

    def _read(self, missing_ok: bool) -> dict[str, Any]:
        apps = client.AppsV1Api(self._api)
        try:
            response = apps.read_namespaced_deployment(
                self.deployment, self.namespace, _preload_content=False
            )
            found: dict[str, Any] = json.loads(response.data)
        except ApiException as exc:
            if exc.status == 404 and missing_ok:
                return {}
            if exc.status == 404:
                raise DependencyMissing(
                    f"The controller Deployment {self.namespace}/{self.deployment}",
                    [f"namespace {self.namespace} of the stack's API server"],
                    f"kubectl -n {self.namespace} get deployments (deploy your controller "
                    "there, or fix the name in --wetest-target deployed:<namespace>/<name>)",
                ) from exc
            raise ControllerCrashed(
                f"Reading the controller Deployment {self.namespace}/{self.deployment} failed "
                f"with {exc.status} {exc.reason}. Fix the API access (see: "
                f"{self.describe_command}), then re-run."
            ) from exc
        return found


def _available(deployment: dict[str, Any]) -> bool:
    return int((deployment.get("status") or {}).get("availableReplicas") or 0) >= 1


def _summary(deployment: dict[str, Any]) -> str:
    status = deployment.get("status") or {}
    wanted = (deployment.get("spec") or {}).get("replicas", 1)
    parts = [f"{status.get('availableReplicas') or 0}/{wanted} available"]
    for cond in status.get("conditions") or []:
        parts.append(f"{cond.get('type')}={cond.get('status')} ({cond.get('reason', '')})")
    return ", ".join(parts)
