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
from wetest.kube.errors import ResourceConflict, from_api_exception

Body = dict[str, Any]


class Kube:
    """Typed-enough wrappers over CustomObjectsApi for the objects the controller touches."""

    def __init__(self, api_client: client.ApiClient, execution_namespace: str) -> None:
        self.custom = client.CustomObjectsApi(api_client)
        self.api_client = api_client
        self.execution_namespace = execution_namespace
        self.writes: Counter[str] = Counter()
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

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Body:
        try:
            result: Body = fn(*args, **kwargs)
        except ApiException as exc:
            raise from_api_exception(exc, _what(fn)) from exc
        return result

    def get_we(self, namespace: str, name: str) -> Body:
        return self._call(
            self.custom.get_namespaced_custom_object, r.GROUP, r.VERSION, namespace, r.PLURAL, name
        )

    def update_we(self, we: Body) -> Body:
        """PUT the object (metadata change, e.g. finalizers); 409 if it changed meanwhile."""
        meta = we["metadata"]
        return self._call_counted(
            "workflowexecutions/update",
            self.custom.replace_namespaced_custom_object,
            r.GROUP,
            r.VERSION,
            meta["namespace"],
            r.PLURAL,
            meta["name"],
            we,
        )

    def update_we_status(self, we: Body) -> Body:
        """PUT the status subresource with the read resourceVersion (optimistic concurrency)."""
        meta = we["metadata"]
        return self._call_counted(
            "workflowexecutions/status",
            self.custom.replace_namespaced_custom_object_status,
            r.GROUP,
            r.VERSION,
            meta["namespace"],
            r.PLURAL,
            meta["name"],
            we,
        )

    def patch_we(self, namespace: str, name: str, patch: Body) -> Body:
        """JSON merge patch of the object (a benign variant adds its finalizer this way)."""
        return self._call_counted(
            "workflowexecutions/update",
            self.custom.patch_namespaced_custom_object,
            r.GROUP,
            r.VERSION,
            namespace,
            r.PLURAL,
            name,
            patch,
        )

    def patch_we_status(self, namespace: str, name: str, patch: Body) -> Body:
        """JSON merge patch of the status subresource; a resourceVersion in it makes it 409-safe."""
        return self._call_counted(
            "workflowexecutions/status",
            self.custom.patch_namespaced_custom_object_status,
            r.GROUP,
            r.VERSION,
            namespace,
            r.PLURAL,
            name,
            patch,
        )

    def get_pr(self, name: str) -> Body:
        return self._call(
            self.custom.get_namespaced_custom_object,
            r.TEKTON_GROUP,
            r.TEKTON_VERSION,
            self.execution_namespace,
            r.PIPELINERUNS,
            name,
        )

    def create_pr(self, body: Body) -> Body:
        return self._call_counted(
            "pipelineruns/create",
            self.custom.create_namespaced_custom_object,
            r.TEKTON_GROUP,
            r.TEKTON_VERSION,
            self.execution_namespace,
            r.PIPELINERUNS,
            body,
        )

    def delete_pr(self, name: str, uid: str | None = None) -> None:
        """Delete (with a uid precondition when given); NotFound propagates to the caller."""
        options = client.V1DeleteOptions(preconditions=client.V1Preconditions(uid=uid))
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
