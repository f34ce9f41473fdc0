"""kube-apiserver for the envtest backend, with the flag set of CONTROL-PLANE.md §4.1.

Readiness is ``/readyz`` (which also covers post-start hooks such as RBAC bootstrap and the CRD
informers), polled unauthenticated over TLS, then the ``default`` namespace, as envtest waits.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx

from wetest.stack import apiaudit, certs, ports, probing, processes


def flags(
    etcd_url: str,
    cert: certs.ControlPlaneCerts,
    port: int,
    audit: list[str] | None = None,
    issuer: str = "",
) -> list[str]:
    """Envtest defaults plus kwokctl's speed-ups; always --advertise-address (sandboxes).

    audit: the audit-log flags of ``apiaudit.apiserver_flags`` (none: no audit log). issuer:
    the service-account issuer (default: this server's own URL); a replica passes the first
    server's, so that a token either one issues is valid on both, as in an HA control plane.
    """
    return [
        *(audit or []),
        f"--etcd-servers={etcd_url}",
        f"--cert-dir={cert.dir}",
        f"--secure-port={port}",
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        f"--client-ca-file={cert.client_ca}",
        "--authorization-mode=RBAC",
        f"--service-account-issuer={issuer or issuer_of(port)}",
        f"--service-account-key-file={cert.sa_pub}",
        f"--service-account-signing-key-file={cert.sa_key}",
        "--service-cluster-ip-range=10.0.0.0/24",
        "--allow-privileged=true",
        "--endpoint-reconciler-type=none",
        "--enable-priority-and-fairness=false",
        "--max-requests-inflight=0",
        "--max-mutating-requests-inflight=0",
        "--profiling=false",
        "--v=0",
    ]


def issuer_of(port: int) -> str:
    """The service-account issuer of the server on this port (its own URL)."""
    return f"https://127.0.0.1:{port}/"


def audit_log(work_dir: Path) -> Path:
    """Where kube-apiserver writes its audit log (read by the per-test evidence)."""
    return work_dir / "audit.log"


def start(
    binary: Path,
    work_dir: Path,
    etcd_url: str,
    timeout: float = 60.0,
    audit: bool = True,
    extra: Sequence[str] = (),
    beside: Callable[[str, certs.ControlPlaneCerts], object] | None = None,
) -> tuple[processes.ManagedProcess, str, certs.ControlPlaneCerts]:
    """Write certificates, start kube-apiserver, wait for /readyz; return process, URL, certs.

    With audit, the policy goes into work_dir and the log to :func:`audit_log`. extra: more
    flags, after the usual ones (bench/apiserver_flags.py measures candidates this way).
    ``beside(url, certs)`` runs at each readiness poll from its launch until it is ready:
    what starts there starts while it does (an API-server replica, ``EnvtestBackend.ahead``,
    which may learn only then that one is wanted).
    """
    cert = certs.write_control_plane(work_dir / "certs")
    port = ports.reserve()
    url = f"https://127.0.0.1:{port}"
    proc = launch(
        binary, work_dir, etcd_url, cert, port, timeout=timeout, audit=audit, extra=extra,
        wait=beside is None,
    )  # fmt: skip
    if beside is not None:
        assert proc.ready_probe is not None  # launch(wait=False) leaves it
        probe, timeout = proc.ready_probe

        def ready() -> bool:
            beside(url, cert)
            return probe()

        proc.wait_ready(ready, timeout)
        proc.ready_probe = (probe, timeout)  # a restart awaits the server alone
    return proc, url, cert


def launch(
    binary: Path,
    work_dir: Path,
    etcd_url: str,
    cert: certs.ControlPlaneCerts,
    port: int,
    *,
    name: str = "kube-apiserver",
    issuer: str = "",
    timeout: float = 60.0,
    audit: bool = True,
    extra: Sequence[str] = (),
    wait: bool = True,
    priority: int = 0,
) -> processes.ManagedProcess:
    """Start one kube-apiserver with existing certificates on a given port; wait for /readyz.

    The one place that builds its command line: the stack's server and a replica
    (``wetest.stack.replica``) differ only in port, work directory (log, audit log) and name.
    ``wait=False`` returns at once (the caller awaits /readyz); a restart still waits.
    ``priority``: see ``processes.ManagedProcess.priority``.
    """
    url = f"https://127.0.0.1:{port}"
    audit_flags = (
        apiaudit.apiserver_flags(apiaudit.write_policy(work_dir), audit_log(work_dir))
        if audit
        else None
    )
    proc = processes.ManagedProcess(
        name,
        [str(binary), *flags(etcd_url, cert, port, audit_flags, issuer), *extra],
        work_dir / f"{name}.log",
        env=processes.go_environment(),
        priority=priority,
    ).start()
    context = probing.client_context(cert.serving_ca_pem, cert.admin.cert_pem, cert.admin.key_pem)

    def probe() -> bool:
        return _ready(url, context)

    if wait:
        proc.wait_ready(probe, timeout)
    else:
        proc.ready_probe = (probe, timeout)
    return proc


SERVED_GROUPS = ("/apis/kubernaut.ai/v1alpha1", "/apis/tekton.dev/v1")
"""API groups a started server must route: those of the CRDs (the WE and the PipelineRun)."""


def _ready(url: str, context: ssl.SSLContext) -> bool:
    return probing.answers_ok(f"{url}/readyz", timeout=2.0, verify=context) and routes_crds(
        url, context
    )


def routes_crds(url: str, context: ssl.SSLContext) -> bool:
    """Whether the server routes its CRDs' API groups (``context`` shows a client certificate).

    /readyz answers 200 before a (re)started server has installed the HTTP paths of the CRDs
    stored in etcd; until then a request for one answers 503 "the request has been made
    before all known HTTP paths have been installed", and a controller that creates a
    PipelineRun then fails its execution (WE-RUN-012). Once routed, a group answers 200, or
    404 where its CRDs are not installed yet (a fresh stack's first start).
    """
    for group in SERVED_GROUPS:
        try:
            answer = probing.get(f"{url}{group}", timeout=2.0, verify=context)
        except httpx.HTTPError:
            return False
        if answer.status_code not in (200, 404):
            return False
    return True
