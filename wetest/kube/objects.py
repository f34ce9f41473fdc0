"""Typed access to namespaced objects: get, create, patch, replace status, delete, list.

One generic REST path builder serves custom objects (WorkflowExecution, PipelineRun) and the
core objects suites need (namespaces, events, configmaps), so every request goes through one
place that maps client errors to ``wetest.kube.errors`` (by the Status reason). Bodies are
plain dicts: the ``Any`` of the kubernetes client stops here. This module must not wait or
watch (see ``watching``).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wetest.kube.errors import NotFound, ResourceConflict, Unreachable, from_response

if TYPE_CHECKING:  # only annotations: importing the client costs 0.3-2 s, paid by `import wetest`
    from kubernetes import client

Body = dict[str, Any]
MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
CONFLICT_RETRIES = 10

WE_GROUP, WE_VERSION, WE_PLURAL = "kubernaut.ai", "v1alpha1", "workflowexecutions"
PR_GROUP, PR_VERSION, PR_PLURAL = "tekton.dev", "v1", "pipelineruns"


@dataclass(frozen=True)
class ObjectRef:
    """Where an object lives; ``group`` is "" for core objects, ``namespace`` "" if cluster-wide.

    A ref with an empty ``name`` names the collection (for list and watch).
    """

    group: str
    version: str
    plural: str
    namespace: str = ""
    name: str = ""

    @classmethod
    def workflow_execution(cls, namespace: str, name: str = "") -> ObjectRef:
        return cls(WE_GROUP, WE_VERSION, WE_PLURAL, namespace, name)

    @classmethod
    def pipeline_run(cls, namespace: str, name: str = "") -> ObjectRef:
        return cls(PR_GROUP, PR_VERSION, PR_PLURAL, namespace, name)

    @classmethod
    def core(cls, plural: str, namespace: str = "", name: str = "") -> ObjectRef:
        """Core (group "") objects: namespaces, events, configmaps."""
        return cls("", "v1", plural, namespace, name)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def named(self, name: str) -> ObjectRef:
        return dataclasses.replace(self, name=name)

    def collection(self) -> ObjectRef:
        return dataclasses.replace(self, name="")

    def path(self, subresource: str = "") -> str:
        """Return the REST path, e.g. /apis/kubernaut.ai/v1alpha1/namespaces/ns/<plural>/x."""
        parts = ["/apis", self.group, self.version] if self.group else ["/api", self.version]
        if self.namespace:
            parts += ["namespaces", self.namespace]
        parts += [self.plural, self.name, subresource]
        return "/".join(p for p in parts if p)

    def __str__(self) -> str:
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.plural}.{self.group or 'core'} {where or '(collection)'}"


@dataclass(frozen=True)
class Probe:
    """What an ``eventually`` watches: one object, or the objects of a collection ref.

    With a named ref the observed state is the object (None while absent); with a collection
    ref it is the list of items matching ``label_selector``.
    """

    api: client.ApiClient
    ref: ObjectRef
    label_selector: str = ""

    def __str__(self) -> str:
        selector = f" with labels {self.label_selector}" if self.label_selector else ""
        return f"{self.ref}{selector}"


REQUEST_TIMEOUT = (5.0, 20.0)
"""(connect, read) seconds for a request that names none: never wait forever.

kube-apiserver answers in milliseconds; one that has lost etcd accepts the connection and
holds it, and a test in flight then hung without end. The client retries an idempotent
request that timed out (urllib3's default, three times), so a GET gives up after about 80 s:
slow, but the test ends and says why. Streams (watches) pass their own.
"""


def request(
    api: client.ApiClient,
    method: str,
    path: str,
    *,
    query: Iterable[tuple[str, str]] = (),
    body: object = None,
    content_type: str = "application/json",
    timeout: float | tuple[float, float] | None = None,
) -> Any:
    """Send one request; return the raw response (for streaming) or raise a wetest error.

    ``timeout`` defaults to :data:`REQUEST_TIMEOUT`; a request not answered within it raises
    :class:`Unreachable`.
    """
    # here, not at the top: the client has loaded urllib3 (and ssl) already, `import wetest` not
    import urllib3

    headers = {"Accept": "application/json", "Content-Type": content_type}
    method, url, headers, data, _ = api.param_serialize(
        method=method,
        resource_path=path,
        query_params=list(query),
        header_params=headers,
        body=body,
        auth_settings=["BearerToken"],
    )
    try:
        response: Any = api.call_api(
            method,
            url,
            header_params=headers,
            body=data,
            _request_timeout=REQUEST_TIMEOUT if timeout is None else timeout,
        )
    except urllib3.exceptions.HTTPError as exc:
        raise Unreachable(
            f"The API server could not be reached for {method} {path}: {exc}.", 0, "Unreachable"
        ) from exc
    if response.status >= 400:
        raise from_response(response.status, response.read(), f"{method} {path}")
    return response


def call(api: client.ApiClient, method: str, path: str, **kwargs: Any) -> Body:
    """Send one request and decode the JSON answer."""
    decoded: Body = json.loads(request(api, method, path, **kwargs).read() or b"{}")
    return decoded


def get(api: client.ApiClient, ref: ObjectRef) -> Body:
    """Read one object; raise NotFound if it does not exist."""
    return call(api, "GET", ref.path())


def get_or_none(api: client.ApiClient, ref: ObjectRef) -> Body | None:
    """Read one object, or None if it does not exist."""
    try:
        return get(api, ref)
    except NotFound:
        return None


DRY_RUN = (("dryRun", "All"),)


def create(api: client.ApiClient, ref: ObjectRef, body: Body, *, dry_run: bool = False) -> Body:
    """Create an object in ref's collection; apiVersion, kind-less metadata are filled in.

    ``dry_run`` asks admission (policies, webhooks, validation) without storing anything.
    """
    body = {"apiVersion": ref.api_version, **body}
    metadata = {**body.get("metadata", {})}
    if ref.namespace:
        metadata.setdefault("namespace", ref.namespace)
    if ref.name:
        metadata.setdefault("name", ref.name)
    query = DRY_RUN if dry_run else ()
    return call(
        api, "POST", ref.collection().path(), query=query, body={**body, "metadata": metadata}
    )


def patch(
    api: client.ApiClient,
    ref: ObjectRef,
    body: object,
    *,
    subresource: str = "",
    content_type: str = MERGE_PATCH,
) -> Body:
    """Merge-patch (default) or JSON-patch an object or its status subresource."""
    return call(api, "PATCH", ref.path(subresource), body=body, content_type=content_type)


def patch_status(api: client.ApiClient, ref: ObjectRef, status: Body) -> Body:
    """Merge-patch ``.status``; no resourceVersion, so it never conflicts (and never guards)."""
    return patch(api, ref, {"status": status}, subresource="status")


def replace(api: client.ApiClient, ref: ObjectRef, body: Body) -> Body:
    """PUT the whole object; the body's resourceVersion makes it conflict if stale."""
    return call(api, "PUT", ref.path(), body=body)


def replace_status(
    api: client.ApiClient, ref: ObjectRef, body: Body, *, dry_run: bool = False
) -> Body:
    """PUT the status subresource; raises ResourceConflict if body's resourceVersion is stale."""
    return call(api, "PUT", ref.path("status"), query=DRY_RUN if dry_run else (), body=body)


def delete(
    api: client.ApiClient,
    ref: ObjectRef,
    *,
    missing_ok: bool = False,
    propagation: str = "Background",
) -> Body | None:
    """Delete an object (finalizers may keep it visible); with missing_ok, NotFound is None."""
    options = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": propagation}
    try:
        return call(api, "DELETE", ref.path(), body=options)
    except NotFound:
        if missing_ok:
            return None
        raise


def list_objects(
    api: client.ApiClient, ref: ObjectRef, *, label_selector: str = "", field_selector: str = ""
) -> Body:
    """List a collection; the answer keeps ``metadata.resourceVersion`` for watching."""
    query = [("labelSelector", label_selector), ("fieldSelector", field_selector)]
    return call(api, "GET", ref.collection().path(), query=[q for q in query if q[1]])


def items(api: client.ApiClient, ref: ObjectRef, *, label_selector: str = "") -> list[Body]:
    """Return the items of a collection, without the list envelope."""
    found: list[Body] = list_objects(api, ref, label_selector=label_selector)["items"]
    return found


def update_status_with_retry(
    api: client.ApiClient,
    ref: ObjectRef,
    mutate: Callable[[Body], None],
    retries: int = CONFLICT_RETRIES,
) -> Body:
    """Read, mutate, PUT status; on a resourceVersion conflict read again (WE-STAT-005).

    ``mutate`` changes the object in place (usually ``obj["status"]``); it is called once per
    attempt with a fresh copy, so it must not depend on having run before.
    """
    for attempt in range(retries + 1):
        current = get(api, ref)
        current.setdefault("status", {})
        mutate(current)
        try:
            return replace_status(api, ref, current)
        except ResourceConflict:
            if attempt == retries:
                raise
    raise AssertionError("unreachable")  # pragma: no cover
