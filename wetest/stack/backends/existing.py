"""A cluster the user already has: a kubeconfig; CRDs installed if missing; nothing started.

The kubeconfig comes from ``--wetest-kubeconfig`` / ``WETEST_KUBECONFIG`` / ``KUBECONFIG``.
Stopping does nothing: wetest never tears down what it did not start.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kubernetes import client
from kubernetes.client.rest import ApiException

from wetest import bundled, progress
from wetest.config.settings import Settings
from wetest.errors import DependencyMissing
from wetest.kube import applying, clients
from wetest.kube.errors import NotFound, from_api_exception
from wetest.stack import apiaudit
from wetest.stack.endpoints import Endpoints
from wetest.stack.tekton import crds as tekton_crds

FIX = (
    "set --wetest-kubeconfig or KUBECONFIG to a reachable cluster, or use --wetest-backend envtest"
)


class ExistingBackend:
    """Attach to the cluster of a kubeconfig."""

    name = "existing"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.kubeconfig = Path(settings.kubeconfig or Path.home() / ".kube" / "config")

    def start(self) -> Endpoints:
        api = clients.api_client(self.kubeconfig)
        try:
            host = api.configuration.host
            client.VersionApi(api).get_code()
        except Exception as exc:
            raise DependencyMissing(
                f"The cluster of kubeconfig {self.kubeconfig}", [str(self.kubeconfig)], FIX
            ) from exc
        with progress.step("Installing missing CRDs"):
            applying.install(api, self.missing_crds(api))
            applying.ensure_namespace(api, self.settings.execution_namespace)
        return Endpoints(
            backend=self.name,
            kubeconfig=str(self.kubeconfig),
            apiserver=host,
            execution_namespace=self.settings.execution_namespace,
            api_call_evidence=apiaudit.UNAVAILABLE_EXISTING,
        )

    def missing_crds(self, api: client.ApiClient) -> list[dict[str, Any]]:
        ext = client.ApiextensionsV1Api(api)
        s = self.settings
        wanted = [
            *applying.load_documents(sorted(bundled.crd_dir().glob("*.yaml"))),
            *tekton_crds.crd_documents(s.tekton_version, s.cache_dir),
        ]
        out = []
        for crd in wanted:
            try:
                ext.read_custom_resource_definition(crd["metadata"]["name"])
            except ApiException as exc:
                if not isinstance(from_api_exception(exc), NotFound):
                    raise from_api_exception(exc, "Reading a CRD") from exc
                out.append(crd)
        return out

    def stop(self) -> None:
        """Nothing to stop: the cluster is the user's."""

    def export_logs(self, into: Path) -> list[Path]:
        return []


def create(settings: Settings) -> ExistingBackend:
    """Factory used by the assembly."""
    return ExistingBackend(settings)
