"""The objects the real Tekton tier installs: Tekton's own ConfigMaps, webhook wiring, accounts.

Tekton's namespaces and ConfigMaps are read from ``config/`` of the same module version as the
binaries (never copied into git; cached as JSON after the first read, like the CRDs). The
webhook's configurations are ours: Tekton's ``500-webhooks.yaml`` names a Service that nothing
routes to out of cluster, so ours call the loopback webhook by URL with our CA as caBundle.
knative's reconcilers keep trying to fill in a Service reference on them and give up with an
error each time (logged by the webhook, harmless): they never rewrite a URL configuration.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client

from wetest.kube import objects
from wetest.stack import certs
from wetest.stack.tekton import crds

NAMESPACE = "tekton-pipelines"
RESOLVERS_NAMESPACE = "tekton-pipelines-resolvers"
WEBHOOK_NAME = "webhook.pipeline.tekton.dev"
WEBHOOK_SERVICE = "tekton-pipelines-webhook"
WEBHOOK_SECRET = "webhook-certs"
FIELD_MANAGER = "wetest"

Doc = dict[str, Any]

# kind -> (group/version path prefix, plural, namespaced): what apply() can write
_KINDS: dict[str, tuple[str, str, bool]] = {
    "Namespace": ("/api/v1", "namespaces", False),
    "ConfigMap": ("/api/v1", "configmaps", True),
    "Secret": ("/api/v1", "secrets", True),
    "ServiceAccount": ("/api/v1", "serviceaccounts", True),
    "Node": ("/api/v1", "nodes", False),
    "MutatingWebhookConfiguration": (
        "/apis/admissionregistration.k8s.io/v1",
        "mutatingwebhookconfigurations",
        False,
    ),
    "ValidatingWebhookConfiguration": (
        "/apis/admissionregistration.k8s.io/v1",
        "validatingwebhookconfigurations",
        False,
    ),
    "MutatingAdmissionPolicy": (
        "/apis/admissionregistration.k8s.io/v1",
        "mutatingadmissionpolicies",
        False,
    ),
    "MutatingAdmissionPolicyBinding": (
        "/apis/admissionregistration.k8s.io/v1",
        "mutatingadmissionpolicybindings",
        False,
    ),
}

# (group, version, plural) of every type Tekton's webhook defaults and validates
# (cmd/webhook/main.go `types`), so admission happens as in a cluster
ADMITTED: tuple[tuple[str, str, str], ...] = (
    ("tekton.dev", "v1", "pipelineruns"),
    ("tekton.dev", "v1", "pipelines"),
    ("tekton.dev", "v1", "taskruns"),
    ("tekton.dev", "v1", "tasks"),
    ("tekton.dev", "v1alpha1", "stepactions"),
    ("tekton.dev", "v1alpha1", "verificationpolicies"),
    ("tekton.dev", "v1beta1", "customruns"),
    ("tekton.dev", "v1beta1", "pipelineruns"),
    ("tekton.dev", "v1beta1", "pipelines"),
    ("tekton.dev", "v1beta1", "stepactions"),
    ("tekton.dev", "v1beta1", "taskruns"),
    ("tekton.dev", "v1beta1", "tasks"),
    ("resolution.tekton.dev", "v1alpha1", "resolutionrequests"),
    ("resolution.tekton.dev", "v1beta1", "resolutionrequests"),
)


def path_of(doc: Doc) -> str:
    """The REST path of one object of a kind :data:`_KINDS` knows."""
    kind = doc["kind"]
    if kind not in _KINDS:
        raise ValueError(f"wetest cannot apply a {kind}; add it to manifests._KINDS.")
    prefix, plural, namespaced = _KINDS[kind]
    meta = doc["metadata"]
    where = f"/namespaces/{meta['namespace']}" if namespaced else ""
    return f"{prefix}{where}/{plural}/{meta['name']}"


def apply(api: client.ApiClient, docs: list[Doc]) -> None:
    """Server-side apply each document (create or update, idempotent), in order."""
    for doc in docs:
        objects.call(
            api,
            "PATCH",
            path_of(doc),
            query=[("fieldManager", FIELD_MANAGER), ("force", "true")],
            body=json.dumps(doc),
            content_type="application/apply-patch+yaml",
        )


def module_config(version: str, cache_dir: Path) -> list[Doc]:
    """Tekton's namespaces and ConfigMaps (controller's and resolvers'), from its module."""
    cached = cache_dir / "assets" / f"tekton-{version}" / "config.json"
    if cached.is_file():
        docs: list[Doc] = json.loads(cached.read_text())
        return docs
    config = crds.module_dir(version, cache_dir) / "config"
    files = [
        *sorted((config / "100-namespace").glob("*.yaml")),
        config / "resolvers" / "100-namespace.yaml",
        *sorted(config.glob("config-*.yaml")),
        *sorted((config / "resolvers").glob("*config*.yaml")),
    ]
    docs = []
    for path in files:
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind") in ("Namespace", "ConfigMap"):
                docs.append(doc)
    docs.sort(key=lambda d: d["kind"] != "Namespace")  # namespaces first
    cached.write_text(json.dumps(docs))
    return docs


def accounts(namespace: str, names: tuple[str, ...]) -> list[Doc]:
    """ServiceAccounts Tekton's pods run as: the API server refuses a pod naming a missing one."""
    return [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": n, "namespace": namespace},
        }
        for n in names
    ]


def webhook_hosts() -> tuple[str, ...]:
    """The serving certificate's names: loopback (how we call it) and the Service's DNS names."""
    svc = f"{WEBHOOK_SERVICE}.{NAMESPACE}"
    return ("127.0.0.1", "localhost", WEBHOOK_SERVICE, svc, f"{svc}.svc")


def webhook_secret(ca: certs.TinyCA) -> Doc:
    """The Secret knative's webhook serves TLS from, pre-filled with our certificate.

    knative's certificate reconciler only replaces a certificate expiring within a day; ours
    lives 168 h, so it is kept and the API server can verify the loopback address against it.
    """
    serving = ca.issue(WEBHOOK_SERVICE, hosts=webhook_hosts(), server=True)

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": WEBHOOK_SECRET, "namespace": NAMESPACE},
        "data": {
            "server-key.pem": b64(serving.key_pem),
            "server-cert.pem": b64(serving.cert_pem),
            "ca-cert.pem": b64(ca.pair.cert_pem),
        },
    }


def _rules(operations: list[str]) -> list[Doc]:
    return [
        {
            "apiGroups": [group],
            "apiVersions": [version],
            "operations": operations,
            "resources": [plural, f"{plural}/status"],
            "scope": "*",
        }
        for group, version, plural in ADMITTED
    ]


def webhook_configurations(port: int, ca_pem: bytes) -> list[Doc]:
    """Mutating (defaulting) and validating configurations calling the webhook by URL."""

    def hook(name: str, path: str, operations: list[str]) -> Doc:
        return {
            "name": name,
            "admissionReviewVersions": ["v1"],
            "clientConfig": {
                "url": f"https://127.0.0.1:{port}{path}",
                "caBundle": base64.b64encode(ca_pem).decode(),
            },
            "failurePolicy": "Fail",
            "sideEffects": "None",
            "timeoutSeconds": 10,
            "rules": _rules(operations),
        }

    validation = f"validation.{WEBHOOK_NAME}"
    return [
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "MutatingWebhookConfiguration",
            "metadata": {"name": WEBHOOK_NAME},
            "webhooks": [hook(WEBHOOK_NAME, "/defaulting", ["CREATE", "UPDATE"])],
        },
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingWebhookConfiguration",
            "metadata": {"name": validation},
            "webhooks": [hook(validation, "/resource-validation", ["CREATE", "UPDATE"])],
        },
    ]
