"""kube-controller-manager with only the controllers wetest's tests need.

Namespace deletion must really finish and ownerReference dependents must be collected, or the
deletion suites would test an API server nothing else runs on; so the namespace,
garbage-collector and serviceaccount controllers run, and nothing else (no scheduler work).
"""

from __future__ import annotations

from pathlib import Path

from wetest.stack import ports, processes

CONTROLLERS = "garbage-collector-controller,namespace-controller,serviceaccount-controller"


def start(
    binary: Path, work_dir: Path, kubeconfig: Path, cert_dir: Path
) -> processes.ManagedProcess:
    """Start KCM against the admin kubeconfig; readiness is observed through its effects."""
    port = ports.reserve()
    argv = [
        str(binary),
        f"--kubeconfig={kubeconfig}",
        f"--authentication-kubeconfig={kubeconfig}",
        f"--authorization-kubeconfig={kubeconfig}",
        "--bind-address=127.0.0.1",
        f"--secure-port={port}",
        "--leader-elect=false",
        f"--controllers={CONTROLLERS}",
        "--use-service-account-credentials=false",
        f"--service-account-private-key-file={cert_dir / 'sa.key'}",
        f"--root-ca-file={cert_dir / 'serving-ca.crt'}",
        "--concurrent-gc-syncs=5",
        "--concurrent-namespace-syncs=5",
        "--v=0",
    ]
    return processes.ManagedProcess(
        "kube-controller-manager",
        argv,
        work_dir / "kube-controller-manager.log",
        env=processes.go_environment(),
    ).start()
