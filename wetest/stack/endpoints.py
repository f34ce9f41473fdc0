"""The endpoints of a running stack: what `wetest up --json` prints and what fixtures hand out.

This is the seam between provisioning and everything that uses a stack (the plugin, the CLI,
targets, xdist workers): a plain JSON-serialisable record, so it can cross process boundaries.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class ControllerInfo:
    """The controller under test as started by a target."""

    target: str = ""
    pid: int = 0
    metrics: str = ""
    health: str = ""
    log: str = ""


@dataclass
class ReplicaInfo:
    """A second kube-apiserver on the stack's etcd (``wetest.stack.replica``); pid 0: stopped.

    ``kubeconfigs`` has one file per identity of the stack (controller, harness, ...), each
    pointing at this server. A stopped replica keeps its record, so the evidence of a test
    that used it still finds its ``audit_log``.
    """

    name: str = ""
    url: str = ""
    pid: int = 0
    kubeconfigs: dict[str, str] = field(default_factory=dict)
    audit_log: str = ""
    log: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Endpoints:
    """Everything a client needs to reach the stack; empty strings mean 'not started'."""

    backend: str = ""
    kubeconfig: str = ""
    apiserver: str = ""
    etcd: str = ""
    datastorage: str = ""
    postgres: str = ""
    execution_namespace: str = "kubernaut-workflows"
    controller: ControllerInfo | None = None
    tekton: str = ""  # "stand-in" | "real" (the tier that runs PipelineRuns)
    registry: str = ""  # the real tier's loopback OCI registry, "127.0.0.1:<port>"
    pids: dict[str, int] = field(default_factory=dict)
    logs: dict[str, str] = field(default_factory=dict)
    # one kubeconfig per component identity (apiaudit.USERS): controller, harness, tekton, ...
    kubeconfigs: dict[str, str] = field(default_factory=dict)
    audit_log: str = ""  # kube-apiserver's audit log, when this stack records one
    api_call_evidence: str = ""  # "available" | "unavailable: <why>"
    # the namespaces the main controller ignores, for isolated instances; empty: no isolation
    isolation: list[str] = field(default_factory=list)
    # kube-apiserver replicas started on request, by name (supervisor: apiserver-replica start)
    replicas: dict[str, ReplicaInfo] = field(default_factory=dict)

    def kubeconfig_of(self, component: str) -> str:
        """The component's own kubeconfig, else the admin one (backends without identities)."""
        return self.kubeconfigs.get(component) or self.kubeconfig

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Endpoints:
        data = dict(data)
        ctl = data.pop("controller", None)
        replicas = {
            name: ReplicaInfo(**found) for name, found in (data.pop("replicas", None) or {}).items()
        }
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known, controller=ControllerInfo(**ctl) if ctl else None, replicas=replicas)

    @classmethod
    def load(cls, path: Path) -> Endpoints:
        return cls.from_dict(json.loads(path.read_text()))
