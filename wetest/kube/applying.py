"""Apply CRDs and wait until they are Established and discoverable (envtest's crd.go).

Both checks matter: ``Established`` says the API server serves the resource; discovery listing
every served version's plural is what clients' REST mappers (and kubectl) rely on.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client
from kubernetes.client.rest import ApiException

from wetest.errors import StartupFailed
from wetest.kube.errors import AlreadyExists, ResourceConflict, from_api_exception


def load_documents(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """Read every YAML document of kind CustomResourceDefinition from the files."""
    docs: list[dict[str, Any]] = []
    for path in paths:
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                docs.append(doc)
    return docs


def apply_crd(api: client.ApiClient, crd: dict[str, Any]) -> None:
    """Create the CRD, or replace it (with conflict retry) when it exists."""
    ext = client.ApiextensionsV1Api(api)
    name = crd["metadata"]["name"]
    try:
        ext.create_custom_resource_definition(crd)
        return
    except ApiException as exc:
        _unless(AlreadyExists, exc, f"Creating the CRD {name}")
    for _ in range(5):
        current = ext.read_custom_resource_definition(name)
        crd["metadata"]["resourceVersion"] = current.metadata.resource_version
        try:
            ext.replace_custom_resource_definition(name, crd)
            return
        except ApiException as exc:
            _unless(ResourceConflict, exc, f"Replacing the CRD {name}")


def _unless(expected: type[Exception], exc: ApiException, what: str) -> None:
    """Raise the tree's error for exc unless it is the expected (tolerated) one."""
    error = from_api_exception(exc, what)
    if not isinstance(error, expected):
        raise error from exc


def _established(api: client.ApiClient, name: str) -> bool:
    crd = client.ApiextensionsV1Api(api).read_custom_resource_definition(name)
    conditions = (crd.status.conditions if crd.status else None) or []
    return any(c.type == "Established" and c.status == "True" for c in conditions)


def _discoverable(api: client.ApiClient, crd: dict[str, Any]) -> bool:
    group, plural = crd["spec"]["group"], crd["spec"]["names"]["plural"]
    for version in (v["name"] for v in crd["spec"]["versions"] if v.get("served", True)):
        found = client.CustomObjectsApi(api).get_api_resources(group, version)
        if plural not in {r.name for r in (found.resources or [])}:
            return False
    return True


def wait_ready(api: client.ApiClient, crds: list[dict[str, Any]], timeout: float = 15.0) -> None:
    """Poll every 50 ms until each CRD is Established and discoverable."""
    pending = list(crds)
    deadline = time.monotonic() + timeout
    while pending:
        pending = [c for c in pending if not _ready(api, c)]
        if pending and time.monotonic() > deadline:
            names = ", ".join(c["metadata"]["name"] for c in pending)
            raise StartupFailed(
                f"The CRDs {names} were not Established and discoverable within "
                f"{timeout:.0f}s. Check the kube-apiserver log, then run: "
                "wetest doctor"
            )
        if pending:
            time.sleep(0.05)


def _ready(api: client.ApiClient, crd: dict[str, Any]) -> bool:
    try:
        return _established(api, crd["metadata"]["name"]) and _discoverable(api, crd)
    except ApiException:
        return False


def install(api: client.ApiClient, crds: list[dict[str, Any]], timeout: float = 15.0) -> None:
    """Apply all CRDs first, then wait for all of them (parallel establishment)."""
    for crd in crds:
        apply_crd(api, crd)
    wait_ready(api, crds, timeout)


def ensure_namespace(api: client.ApiClient, name: str) -> None:
    """Create a namespace if it does not exist yet."""
    try:
        client.CoreV1Api(api).create_namespace({"metadata": {"name": name}})
    except ApiException as exc:
        _unless(AlreadyExists, exc, f"Creating the namespace {name}")
