"""objects.py against a real API server: CRUD, error mapping, conflict-retrying status writes."""

import pytest

from wetest.kube import objects
from wetest.kube.errors import AlreadyExists, Invalid, NotFound, ResourceConflict
from wetest.kube.objects import ObjectRef


def running_status():
    return {
        "phase": "Running",
        "startTime": "2026-01-01T00:00:00Z",
        "pipelineRunRef": {"name": "pr-1"},
    }


def test_create_get_list_patch_delete_round_trip(kube_api, namespace):
    ref = ObjectRef.workflow_execution(namespace, "we-1")
    created = objects.create(
        kube_api, ref, {"kind": "WorkflowExecution", "metadata": {"labels": {"app": "x"}}}
    )
    assert created["metadata"]["namespace"] == namespace
    patched = objects.patch(kube_api, ref, {"metadata": {"labels": {"extra": "1"}}})
    assert patched["metadata"]["labels"] == {"app": "x", "extra": "1"}
    assert objects.patch_status(kube_api, ref, running_status())["status"]["phase"] == "Running"
    assert objects.get(kube_api, ref)["status"]["pipelineRunRef"]["name"] == "pr-1"
    assert [
        o["metadata"]["name"] for o in objects.items(kube_api, ref, label_selector="app=x")
    ] == ["we-1"]
    objects.delete(kube_api, ref)
    assert objects.get_or_none(kube_api, ref) is None


def test_missing_object_is_not_found(kube_api, namespace):
    ref = ObjectRef.workflow_execution(namespace, "absent")
    with pytest.raises(NotFound) as caught:
        objects.get(kube_api, ref)
    assert caught.value.status == 404
    assert caught.value.reason == "NotFound"
    assert '"absent" not found' in str(caught.value)
    assert objects.delete(kube_api, ref, missing_ok=True) is None


def test_stale_status_write_is_a_conflict_with_the_api_message(kube_api, namespace):
    ref = ObjectRef.workflow_execution(namespace, "we-2")
    stale = objects.create(kube_api, ref, {"kind": "WorkflowExecution"})
    objects.patch_status(kube_api, ref, running_status())
    stale["status"] = {"phase": "Pending"}
    with pytest.raises(ResourceConflict) as caught:
        objects.replace_status(kube_api, ref, stale)
    assert caught.value.status == 409
    assert "the object has been modified" in str(caught.value)


def test_already_exists_and_invalid_are_mapped(kube_api, namespace):
    ref = ObjectRef.workflow_execution(namespace, "we-3")
    objects.create(kube_api, ref, {"kind": "WorkflowExecution"})
    with pytest.raises(AlreadyExists) as exists:  # a name clash, not a stale write
        objects.create(kube_api, ref, {"kind": "WorkflowExecution"})
    assert (exists.value.status, exists.value.reason) == (409, "AlreadyExists")
    with pytest.raises(Invalid) as invalid:
        objects.patch_status(kube_api, ref, {"phase": "Skipped"})
    assert (invalid.value.status, invalid.value.reason) == (422, "Invalid")
    assert 'Unsupported value: "Skipped"' in str(invalid.value)


def test_update_status_with_retry_survives_a_concurrent_writer(kube_api, namespace):
    ref = ObjectRef.workflow_execution(namespace, "we-4")
    objects.create(kube_api, ref, {"kind": "WorkflowExecution"})
    attempts = []

    def mutate(obj):
        attempts.append(obj["metadata"]["resourceVersion"])
        if len(attempts) == 1:  # the "controller" writes between our read and our write
            objects.patch_status(kube_api, ref, {"phase": "Pending"})
        obj["status"]["phase"] = "Running"

    written = objects.update_status_with_retry(kube_api, ref, mutate)
    assert written["status"]["phase"] == "Running"
    assert len(attempts) == 2
    assert attempts[0] != attempts[1]


def test_core_objects_configmaps_and_events(kube_api, namespace):
    ref = ObjectRef.core("configmaps", namespace, "cm")
    objects.create(kube_api, ref, {"kind": "ConfigMap", "data": {"k": "v"}})
    assert objects.get(kube_api, ref)["data"] == {"k": "v"}
    event = ObjectRef.core("events", namespace, "ev-1")
    objects.create(
        kube_api,
        event,
        {
            "kind": "Event",
            "reason": "Tested",
            "message": "hi",
            "involvedObject": {"kind": "ConfigMap", "name": "cm", "namespace": namespace},
        },
    )
    reasons = [e["reason"] for e in objects.items(kube_api, event.collection())]
    assert reasons == ["Tested"]
    assert ref.path() == f"/api/v1/namespaces/{namespace}/configmaps/cm"
    assert str(ref) == f"configmaps.core {namespace}/cm"


def test_a_request_the_server_never_answers_times_out(monkeypatch):
    """An API server that has lost etcd accepts a request and holds it: no wait is endless."""
    import socket
    import time

    from kubernetes import client

    from wetest.kube.errors import Unreachable

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # the kernel accepts the connections; nobody ever answers
    configuration = client.Configuration(host=f"http://127.0.0.1:{silent.getsockname()[1]}")
    monkeypatch.setattr(objects, "REQUEST_TIMEOUT", (1.0, 0.5))
    started = time.monotonic()
    try:
        with pytest.raises(Unreachable, match="timed out"):
            objects.get(client.ApiClient(configuration), ObjectRef.workflow_execution("ns", "x"))
    finally:
        silent.close()
    assert time.monotonic() - started < 5
