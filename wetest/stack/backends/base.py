"""The one interface every cluster backend implements (e2e-framework's cluster provider).

A backend gives a kubeconfig for a cluster that serves the WorkflowExecution and Tekton CRDs;
it knows nothing of DataStorage or the controller, which the assembly adds on top.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from wetest.stack.endpoints import Endpoints


class ClusterBackend(Protocol):
    """Start a cluster, report its endpoints, stop what it started, export logs on failure."""

    name: str

    def start(self) -> Endpoints:
        """Bring the cluster up with CRDs installed and Established; fail fast with the fix."""
        ...

    def stop(self) -> None:
        """Stop everything this backend started (nothing, for existing clusters)."""
        ...

    def export_logs(self, into: Path) -> list[Path]:
        """Copy component logs into a directory for evidence; return the files written."""
        ...
