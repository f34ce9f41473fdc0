"""events.about against a real API server: both Events APIs, filtered by object and reason."""

from wetest.kube import events, objects
from wetest.kube.objects import ObjectRef


def post_core(api, namespace: str, name: str, about: str, reason: str) -> None:
    objects.create(
        api,
        ObjectRef.core("events", namespace, name),
        {
            "kind": "Event",
            "type": "Normal",
            "reason": reason,
            "message": f"{reason} on {about}",
            "source": {"component": "old-style-controller"},
            "involvedObject": {"kind": "WorkflowExecution", "name": about, "namespace": namespace},
        },
    )


def test_events_about_one_object_and_reason_from_either_api(kube_api, namespace):
    post_core(kube_api, namespace, "ev-a", "we-a", "LockReleased")
    post_core(kube_api, namespace, "ev-b", "we-a", "WorkflowCompleted")
    post_core(kube_api, namespace, "ev-c", "we-b", "LockReleased")
    objects.call(  # what controller-runtime's new recorder posts
        kube_api,
        "POST",
        f"/apis/events.k8s.io/v1/namespaces/{namespace}/events",
        body={
            "metadata": {"name": "ev-d"},
            "eventTime": "2026-12-07T00:00:00.000000Z",
            "type": "Warning",
            "reason": "LockReleased",
            "action": "Released",
            "note": "released by the new API",
            "reportingController": "workflowexecution-controller",
            "reportingInstance": "workflowexecution-controller-1",
            "regarding": {"kind": "WorkflowExecution", "name": "we-a", "namespace": namespace},
        },
    )

    found = events.about(kube_api, namespace, "we-a", "LockReleased")

    assert sorted((e.type, e.message, e.component) for e in found) == [
        ("Normal", "LockReleased on we-a", "old-style-controller"),
        ("Warning", "released by the new API", "workflowexecution-controller"),
    ]
    assert {e.reason for e in events.about(kube_api, namespace, "we-a")} == {
        "LockReleased",
        "WorkflowCompleted",
    }
    assert events.about(kube_api, namespace, "we-c") == []
