"""Plugin waits span an API-server restart: transient failures are retried until the deadline.

The API server is faked at the ``objects`` seam (no cluster): a refused connection is a
``KubeAPIError`` with status 0, which is what ``objects.request`` raises for one.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from kubernetes import client

from wetest.kube import watching
from wetest.kube.errors import KubeAPIError, NotFound
from wetest.kube.objects import ObjectRef, Probe

REF = ObjectRef.workflow_execution("ns", "w1")
OBJ = {"metadata": {"name": "w1", "namespace": "ns", "resourceVersion": "7"}}


def refused() -> KubeAPIError:
    return KubeAPIError("The API server could not be reached.", 0, "Unreachable")


def test_the_first_list_is_retried_while_the_server_is_down(monkeypatch: Any) -> None:
    calls: list[float] = []

    def listing(*_: Any, **__: Any) -> dict[str, Any]:
        calls.append(time.monotonic())
        if len(calls) < 3:
            raise refused()
        return {"items": [OBJ], "metadata": {"resourceVersion": "7"}}

    monkeypatch.setattr(watching, "list_for_watch", listing)
    monkeypatch.setattr(watching, "_connection", lambda *_: iter(()))
    states = watching.states(Probe(client.ApiClient(), REF), deadline=time.monotonic() + 10)
    assert next(states) == OBJ
    assert len(calls) == 3


def test_a_down_server_past_the_deadline_raises_the_last_error(monkeypatch: Any) -> None:
    def listing(*_: Any, **__: Any) -> dict[str, Any]:
        raise refused()

    monkeypatch.setattr(watching, "list_for_watch", listing)
    states = watching.states(Probe(client.ApiClient(), REF), deadline=time.monotonic() + 0.5)
    with pytest.raises(KubeAPIError, match="could not be reached"):
        next(states)


def test_a_permanent_error_is_not_retried(monkeypatch: Any) -> None:
    calls = []

    def listing(*_: Any, **__: Any) -> dict[str, Any]:
        calls.append(1)
        raise NotFound("workflowexecutions is not served.", 404, "NotFound")

    monkeypatch.setattr(watching, "list_for_watch", listing)
    with pytest.raises(NotFound):
        next(watching.states(Probe(client.ApiClient(), REF), deadline=time.monotonic() + 5))
    assert calls == [1]


def test_a_watch_connection_refused_mid_wait_resumes_and_sees_the_change(
    monkeypatch: Any,
) -> None:
    attempts: list[str] = []
    changed = {**OBJ, "metadata": {**OBJ["metadata"], "resourceVersion": "9"}, "status": {}}

    def connection(api: Any, ref: Any, selector: str, cursor: Any, limits: Any) -> Any:
        attempts.append(cursor.resource_version)
        if len(attempts) < 3:
            raise refused()
        cursor.remember("MODIFIED", changed)
        yield "MODIFIED", changed

    monkeypatch.setattr(watching, "_connection", connection)
    events = watching.events(
        client.ApiClient(), REF, resource_version="7", deadline=time.monotonic() + 10
    )
    assert next(events) == ("MODIFIED", changed)
    assert attempts == ["7", "7", "7"]
