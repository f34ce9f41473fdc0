"""``image:<ref>`` (kind backend only): run your controller image as a Deployment in the cluster.

The image is loaded into the kind node (``kind load docker-image``), then installed in its own
namespace ``wetest-controller`` with a ServiceAccount bound to ``cluster-admin``: inside a Pod
the stack's admin kubeconfig (``WETEST_KUBECONFIG``) points at the host's loopback and is not
usable, so the controller uses its in-cluster config instead. It gets the other documented
variables (``WETEST_DATASTORAGE_URL`` rewritten to the host's address on the kind network,
``WETEST_EXECUTION_NAMESPACE``, ``WETEST_COOLDOWN``); from then on it is watched exactly like
a ``deployed:`` target, and ``stop`` removes everything ``start`` created.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from wetest.errors import ControllerCrashed
from wetest.kube import clients
from wetest.kube.errors import AlreadyExists, from_api_exception
from wetest.stack.endpoints import ControllerInfo, Endpoints
from wetest.targets.deployed import DeployedTarget

NAMESPACE = "wetest-controller"
NAME = "wetest-controller"
BINDING = "wetest-controller-cluster-admin"
LABELS = {"app.kubernetes.io/name": NAME, "app.kubernetes.io/managed-by": "wetest"}
Body = dict[str, Any]


class ImageLoader(Protocol):
    """What the target needs from the kind backend (``KindBackend`` satisfies it)."""

    def load_image(self, ref: str) -> None: ...

    def host_address(self) -> str: ...


def pod_datastorage_url(url: str, host: str) -> str:
    """The DataStorage URL as a Pod sees it: loopback hosts become the host's kind address."""
    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1", "0.0.0.0"):
        return url
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(parts._replace(netloc=netloc))


def manifests(ref: str, env: dict[str, str]) -> list[Body]:
    """Namespace, ServiceAccount, cluster-admin binding and Deployment for the image."""
    meta = {"name": NAME, "namespace": NAMESPACE, "labels": LABELS}
    container = {
        "name": "controller",
        "image": ref,
        "imagePullPolicy": "IfNotPresent",  # the image is only on the node, never in a registry
        "env": [{"name": k, "value": v} for k, v in sorted(env.items())],
    }
    return [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": NAMESPACE, "labels": LABELS},
        },
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": BINDING, "labels": LABELS},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "cluster-admin",
            },
            "subjects": [{"kind": "ServiceAccount", "name": NAME, "namespace": NAMESPACE}],
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": meta,
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app.kubernetes.io/name": NAME}},
                "template": {
                    "metadata": {"labels": LABELS},
                    "spec": {"serviceAccountName": NAME, "containers": [container]},
                },
            },
        },
    ]


def environment(endpoints: Endpoints, cooldown: str, host: str) -> dict[str, str]:
    """The documented variables, minus the kubeconfig (in-cluster config replaces it)."""
    return {
        "WETEST_DATASTORAGE_URL": pod_datastorage_url(endpoints.datastorage, host),
        "WETEST_EXECUTION_NAMESPACE": endpoints.execution_namespace,
        "WETEST_COOLDOWN": cooldown,
    }


class ImageTarget:
    """Load the image, install it as a Deployment, then behave like ``deployed:``."""

    proc = None  # no local process: the supervisor's kill/restart commands do nothing

    def __init__(self, ref: str, cooldown: str, loader: ImageLoader) -> None:
        self.ref, self.cooldown, self.loader = ref, cooldown, loader
        self.name = f"image:{ref}"
        self.deployed = DeployedTarget(NAMESPACE, NAME)
        self._api: client.ApiClient | None = None

    def start(self, endpoints: Endpoints, log_dir: Path) -> ControllerInfo:
        self.loader.load_image(self.ref)
        self._api = clients.api_client(endpoints.kubeconfig)
        env = environment(endpoints, self.cooldown, self.loader.host_address())
        install(self._api, manifests(self.ref, env))
        info = self.deployed.start(endpoints, log_dir)
        info.target = self.name
        return info

    def alive(self) -> bool:
        return self.deployed.alive()

    def log_tail(self, lines: int = 40) -> str:
        return self.deployed.log_tail(lines)

    def stop(self) -> None:
        if self._api is not None:
            uninstall(self._api)
        self.deployed.stop()
        self._api = None


def install(api: client.ApiClient, objects: list[Body]) -> None:
    """Create each object; replace a Deployment or binding left over from an earlier run."""
    core, rbac, apps = (
        client.CoreV1Api(api),
        client.RbacAuthorizationV1Api(api),
        client.AppsV1Api(api),
    )
    for body in objects:
        kind, name = body["kind"], body["metadata"]["name"]
        try:
            if kind == "Namespace":
                _create(core.create_namespace, None, body)
            elif kind == "ServiceAccount":
                _create(core.create_namespaced_service_account, None, NAMESPACE, body)
            elif kind == "ClusterRoleBinding":
                _create(rbac.create_cluster_role_binding, rbac.replace_cluster_role_binding, body)
            else:
                _create(
                    apps.create_namespaced_deployment,
                    apps.replace_namespaced_deployment,
                    NAMESPACE,
                    body,
                )
        except ApiException as exc:
            raise ControllerCrashed(
                f"Installing the controller image's {kind} {name} failed with {exc.status} "
                f"{exc.reason}: {(exc.body or '')[:300]}. Check that the kind cluster is "
                f"healthy (kubectl get {kind.lower()} -A), then re-run."
            ) from exc


def _create(create: Any, replace: Any, *args: Any) -> None:
    try:
        create(*args)
    except ApiException as exc:
        if not isinstance(from_api_exception(exc), AlreadyExists):
            raise
        if replace is not None:
            body = args[-1]
            replace(body["metadata"]["name"], *args)


def uninstall(api: client.ApiClient) -> None:
    """Delete the binding and the namespace (which takes the Deployment and its Pods along)."""
    for delete, name in (
        (client.RbacAuthorizationV1Api(api).delete_cluster_role_binding, BINDING),
        (client.CoreV1Api(api).delete_namespace, NAMESPACE),
    ):
        try:
            delete(name)
        except ApiException as exc:
            if exc.status != 404:
                raise
