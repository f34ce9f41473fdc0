"""A second kube-apiserver on the stack's etcd: an HA replica that one test may restart alone.

Why: restarting *the* API server breaks every watch of every client at once (the harness, the
Tekton stand-in, every other test's controller), so the API-server-restart test had to run
alone. A replica serves the same cluster (same etcd, certificates, service-account keys and
issuer, the same flags), so a controller started against it sees the same objects; restarting
it breaks only that controller's watches, the fault the test is about, while the rest of the
run goes on against the first server. This is also how an HA control plane behaves.

The replica has its own port, work directory, log and audit log (the per-test evidence reads
that one too, see ``evidence.collect``), and one kubeconfig per identity of the stack,
pointing at it. Only the envtest backend has one: kind and existing clusters run their API
servers themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from wetest.errors import ConfigError
from wetest.stack import apiserver, certs, ports, processes
from wetest.stack.endpoints import ReplicaInfo

DEFAULT_NAME = "replica"
STOP_GRACE = 10.0
"""Seconds a replica's graceful shutdown may take on ``stop`` before it is killed."""
PRIORITY = -10
"""A replica's nice increment. Its start is on a run's critical path: the API-server restart
test, the longest of the suites, waits for it, and it starts as sixteen tests begin at once
(4-8 s to /readyz on two busy CPUs instead of 2). Favoured, it takes the CPU it needs first;
a restart keeps it. Where the user may not lower a priority, it runs as everything else."""
_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$")


def component(name: str = DEFAULT_NAME) -> str:
    """The replica's process name among the stack's components (``restart-component`` takes it)."""
    return f"kube-apiserver-{name}"


def check_name(name: str) -> str:
    """A replica name is a short DNS label: it names a process, a folder and its files."""
    if not _NAME.match(name):
        raise ConfigError(
            f"'{name}' is not a valid API-server replica name. Use 1-32 lowercase letters, "
            f"digits and '-' (e.g. '{DEFAULT_NAME}' or 'iso-3')."
        )
    return name


@dataclass
class ApiServerReplica:
    """One replica: started, restarted (same port) and stopped by its backend on request.

    ``kubeconfigs`` are the stack's own identity kubeconfigs (identity -> path); the replica
    writes copies that point at its URL. ``issuer`` is the first server's service-account
    issuer.
    """

    name: str
    binary: Path
    work_dir: Path
    etcd_url: str
    cert: certs.ControlPlaneCerts
    issuer: str
    kubeconfigs: dict[str, str]
    audit: bool = True
    proc: processes.ManagedProcess | None = field(default=None, init=False)
    port: int = field(default=0, init=False)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}" if self.port else ""

    def alive(self) -> bool:
        return self.proc is not None and self.proc.alive()

    def start(self, timeout: float = 60.0, wait: bool = True, favoured: bool = True) -> ReplicaInfo:
        """Start on a fresh port (a stopped replica's port may be taken by now); wait ready.

        ``wait=False``: return once spawned; the caller awaits /readyz (``supervision.replicas``).
        ``favoured=False``: at the usual priority until :meth:`favour` (it starts beside the
        first server, which everything waits for); its restarts are favoured either way.
        """
        if self.alive():
            return self.info()
        self.port = ports.reserve()
        self.proc = apiserver.launch(
            self.binary,
            self.work_dir,
            self.etcd_url,
            self.cert,
            self.port,
            name=component(self.name),
            issuer=self.issuer,
            timeout=timeout,
            audit=self.audit,
            wait=wait,
            priority=PRIORITY if favoured else 0,
        )
        self.proc.priority = PRIORITY
        self._write_kubeconfigs()
        return self.info()

    def favour(self) -> None:
        """Raise a replica started at the usual priority to :data:`PRIORITY`."""
        if self.proc is not None and self.proc.alive():
            processes.renice(self.proc.pid, PRIORITY)

    def stop(self, grace: float = STOP_GRACE) -> None:
        """TERM it and wait up to ``grace`` seconds for its shutdown, then KILL it."""
        if self.proc is not None:
            self.proc.stop(timeout=grace)

    def _write_kubeconfigs(self) -> None:
        for identity, path in self.kubeconfigs.items():
            doc = yaml.safe_load(Path(path).read_text())
            for cluster in doc.get("clusters") or []:
                cluster["cluster"]["server"] = self.url
            mine = self._kubeconfig(identity)
            mine.write_text(yaml.safe_dump(doc, sort_keys=False))
            mine.chmod(0o600)

    def _kubeconfig(self, identity: str) -> Path:
        return self.work_dir / f"kubeconfig-{identity}"

    def info(self) -> ReplicaInfo:
        """The record for stack.json; pid 0 once stopped (the audit log stays readable)."""
        alive = self.alive()
        return ReplicaInfo(
            name=self.name,
            url=self.url if alive else "",
            pid=self.proc.pid if alive and self.proc is not None else 0,
            kubeconfigs={i: str(self._kubeconfig(i)) for i in self.kubeconfigs} if alive else {},
            audit_log=str(apiserver.audit_log(self.work_dir)) if self.audit else "",
            log=str(self.proc.log_path) if self.proc is not None else "",
        )
