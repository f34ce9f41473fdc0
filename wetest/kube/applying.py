"""Apply CRDs and wait until they are Established and discoverable (envtest's crd.go).

Both checks matter: ``Established`` says the API server serves the resource; discovery listing
every served version's plural is what clients' REST mappers (and kubectl) rely on.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from wetest.errors import StartupFailed
from wetest.kube import objects
from wetest.kube.errors import AlreadyExists, KubeAPIError, ResourceConflict
from wetest.kube.objects import ObjectRef

if TYPE_CHECKING:
    from kubernetes import client


def load_documents(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """Read every YAML document of kind CustomResourceDefinition from the files."""
    docs: list[dict[str, Any]] = []
    for path in paths:
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                docs.append(doc)
    return docs


CRDS = ObjectRef("apiextensions.k8s.io", "v1", "customresourcedefinitions")
"""Plain requests through ``objects``, not the client's typed APIs: importing
``client.CoreV1Api`` alone costs 0.37 CPU-s, paid by every supervisor that starts a stack."""


def apply_crd(api: client.ApiClient, crd: dict[str, Any]) -> None:
    """Create the CRD, or replace it (with conflict retry) when it exists."""
    name = crd["metadata"]["name"]
    try:
        objects.create(api, CRDS, crd)
        return
    except AlreadyExists:
        pass
    for _ in range(5):
        current = objects.get(api, CRDS.named(name))
        crd["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        try:
            objects.replace(api, CRDS.named(name), crd)
            return
        except ResourceConflict:
            continue


def _established(api: client.ApiClient, name: str) -> bool:
    crd = objects.get(api, CRDS.named(name))
    conditions = (crd.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions)


def _discoverable(api: client.ApiClient, crd: dict[str, Any]) -> bool:
    group, plural = crd["spec"]["group"], crd["spec"]["names"]["plural"]
    for version in (v["name"] for v in crd["spec"]["versions"] if v.get("served", True)):
        found = objects.call(api, "GET", f"/apis/{group}/{version}")
        if plural not in {r.get("name") for r in found.get("resources") or []}:
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
    except KubeAPIError:
        return False


def install(api: client.ApiClient, crds: list[dict[str, Any]], timeout: float = 15.0) -> None:
    """Apply all CRDs first, then wait for all of them (parallel establishment)."""
    for crd in crds:
        apply_crd(api, crd)
    wait_ready(api, crds, timeout)


def ensure_namespace(api: client.ApiClient, name: str) -> None:
    """Create a namespace if it does not exist yet."""
    with contextlib.suppress(AlreadyExists):
        objects.create(api, ObjectRef.core("namespaces"), {"metadata": {"name": name}})
