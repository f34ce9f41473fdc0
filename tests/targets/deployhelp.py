"""Deployments made 'available' without a kubelet (helpers of the target tests).

envtest runs no scheduler, kubelet or deployment controller, so nothing ever writes a
Deployment's status; the tests write it themselves through the status subresource, which is
exactly what ``deployed:`` reads.
"""

from __future__ import annotations

from typing import Any

from kubernetes import client


def deployment(name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    labels = labels or {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c", "image": "example.invalid/ctl:dev"}]},
            },
        },
    }


def set_available(kube: client.ApiClient, namespace: str, name: str, available: int) -> None:
    """Write the status a deployment controller would write (status subresource)."""
    apps = client.AppsV1Api(kube)
    current = apps.read_namespaced_deployment(name, namespace)
    current.status = client.V1DeploymentStatus(
        replicas=1,
        ready_replicas=available,
        available_replicas=available,
        conditions=[
            client.V1DeploymentCondition(
                type="Available",
                status="True" if available else "False",
                reason="MinimumReplicasAvailable" if available else "MinimumReplicasUnavailable",
            )
        ],
    )
    apps.replace_namespaced_deployment_status(name, namespace, current)
