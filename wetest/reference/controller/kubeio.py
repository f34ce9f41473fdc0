"""The controller's API access: WorkflowExecutions, PipelineRuns and TaskRuns.

Errors are mapped to the shared tree of ``wetest.kube.errors`` (keyed on the Status reason),
so the reconciler branches on ``NotFound``, ``AlreadyExists`` and ``ResourceConflict`` exactly
as the harness does; every write is counted by resource and verb so that the benchmark and
the metrics can show API writes per WorkflowExecution.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from wetest.domain import resources as r
from wetest.kube.errors import NotFound, ResourceConflict, from_api_exception
from wetest.reference.controller.cache import ObjectCache

Body = dict[str, Any]


class Kube:
    """Typed-enough wrappers over CustomObjectsApi for the objects the controller touches.

    Given the watch-fed caches (``cache``), WorkflowExecutions and PipelineRuns are read from
    them, the API server only on a miss, and every write of one goes through to its cache;
    without them every read goes to the API server (the ``fresh-reads`` variant).
    """

    def __init__(
        self,
        api_client: client.ApiClient,
        execution_namespace: str,
        wes: ObjectCache | None = None,
        prs: ObjectCache | None = None,
    ) -> None:
        self.custom = client.CustomObjectsApi(api_client)
        self.api_client = api_client
        self.execution_namespace = execution_namespace
        self.wes, self.prs = wes, prs
        self.writes: Counter[str] = Counter()
        self.reads: Counter[str] = Counter()  # GETs that reached the API server, by resource
        self._lock = threading.Lock()

    def _count(self, key: str) -> None:
        with self._lock:
            self.writes[key] += 1

    def _call_counted(self, key: str, fn: Any, *args: Any, **kwargs: Any) -> Body:
        """A write: counted only when it commits; a 409 is counted apart as '<key>:conflict'."""
        try:
            result = self._call(fn, *args, **kwargs)
        except ResourceConflict:
            self._count(f"{key}:conflict")
            raise
        self._count(key)
        return result

    def _write_we(self, key: str, fn: Any, namespace: str, name: str, body: Body) -> Body:
        """Write a WorkflowExecution through its cache.

        The cache takes the written object, or forgets it on a 409 or 404, so that the retry
        reads what the API server holds.
        """
        try:
            written = self._call_counted(
                key, fn, r.GROUP, r.VERSION, namespace, r.PLURAL, name, body
            )
        except (ResourceConflict, NotFound):
            if self.wes is not None:
                self.wes.forget(namespace, name)
            raise
        if self.wes is not None:
            self.wes.upsert(written)
        return written

    def _read(
        self,
        cache: ObjectCache | None,
        group: str,
        version: str,
        namespace: str,
        plural: str,
        name: str,
    ) -> Body:
        """From the cache; on a miss from the API server.

        What a miss finds is not cached: an object the watch does not cover (a PipelineRun
        without the controller's label) would never be updated there.
        """
        cached = cache.get(namespace, name) if cache is not None else None
        if cached is not None:
            return cached
        with self._lock:
            self.reads[f"{plural}/get"] += 1
        return self._call(
            self.custom.get_namespaced_custom_object, group, version, namespace, plural, name
        )

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Body:
        try:
            result: Body = fn(*args, **kwargs)
        except ApiException as exc:
            raise from_api_exception(exc, _what(fn)) from exc
        return result

    def get_we(self, namespace: str, name: str) -> Body:
        return self._read(self.wes, r.GROUP, r.VERSION, namespace, r.PLURAL, name)

    def update_we(self, we: Body) -> Body:
        """PUT the object (metadata change, e.g. finalizers); 409 if it changed meanwhile."""
        meta = we["metadata"]
        return self._write_we(
            "workflowexecutions/update",
            self.custom.replace_namespaced_custom_object,
            meta["namespace"],
            meta["name"],
            we,
        )

    def update_we_status(self, we: Body) -> Body:
        """PUT the status subresource with the read resourceVersion (optimistic concurrency)."""
        meta = we["metadata"]
        return self._write_we(
            "workflowexecutions/status",
            self.custom.replace_namespaced_custom_object_status,
            meta["namespace"],
            meta["name"],
            we,
        )

    def patch_we(self, namespace: str, name: str, patch: Body) -> Body:
        """JSON merge patch of the object (a benign variant adds its finalizer this way)."""
        return self._write_we(
            "workflowexecutions/update",
            self.custom.patch_namespaced_custom_object,
            namespace,
            name,
            patch,
        )

    def patch_we_status(self, namespace: str, name: str, patch: Body) -> Body:
        """JSON merge patch of the status subresource; a resourceVersion in it makes it 409-safe."""
        return self._write_we(
            "workflowexecutions/status",
            self.custom.patch_namespaced_custom_object_status,
            namespace,
            name,
            patch,
        )

    def get_pr(self, name: str) -> Body:
        return self._read(
            self.prs,
            r.TEKTON_GROUP,
            r.TEKTON_VERSION,
            self.execution_namespace,
            r.PIPELINERUNS,
            name,
        )

    def create_pr(self, body: Body) -> Body:
        created = self._call_counted(
            "pipelineruns/create",
            self.custom.create_namespaced_custom_object,
            r.TEKTON_GROUP,
            r.TEKTON_VERSION,
            self.execution_namespace,
            r.PIPELINERUNS,
            body,
        )
        if self.prs is not None:
            self.prs.upsert(created)
        return created

    def delete_pr(self, name: str, uid: str | None = None) -> None:
        """Delete (with a uid precondition when given); NotFound propagates to the caller."""
        options = client.V1DeleteOptions(preconditions=client.V1Preconditions(uid=uid))
        if self.prs is not None:  # gone or going either way: read what the API server says
            self.prs.forget(self.execution_namespace, name)
        self._call_counted(
            "pipelineruns/delete",
            self.custom.delete_namespaced_custom_object,
            r.TEKTON_GROUP,
            r.TEKTON_VERSION,
            self.execution_namespace,
            r.PIPELINERUNS,
            name,
            body=options if uid else None,
        )

    def get_taskrun(self, name: str) -> Body:
        return self._call(
            self.custom.get_namespaced_custom_object,
            r.TEKTON_GROUP,
            r.TEKTON_VERSION,
            self.execution_namespace,
            r.TASKRUNS,
            name,
        )

    def pipelineruns_served(self) -> bool:
        """Tell whether ``tekton.dev/v1`` ``pipelineruns`` is served (WE-RUN-001)."""
        try:
            found = self.custom.get_api_resources(r.TEKTON_GROUP, r.TEKTON_VERSION)
        except ApiException:
            return False
        return any(res.name == r.PIPELINERUNS for res in found.resources or [])


def _what(fn: Any) -> str:
    """How a failed call reads in its error: "replace_namespaced_custom_object_status"."""
    return f"The API call {getattr(fn, '__name__', 'request')}"
