"""watching.py against a real API server: events, deadlines, stop, 410 re-list, selectors."""

import threading
import time

import pytest

from wetest.kube import objects, watching
from wetest.kube.errors import KubeAPIError
from wetest.kube.objects import ObjectRef, Probe


def make(api, ref, labels=None):
    return objects.create(
        api, ref, {"kind": "WorkflowExecution", "metadata": {"labels": labels or {}}}
    )


def test_named_watch_sees_modify_and_delete(kube_api, namespace):
    ref = ObjectRef.workflow_execution(namespace, "w1")
    created = make(kube_api, ref)
    make(kube_api, ref.named("other"))  # must be filtered out by the name field selector
    objects.patch_status(kube_api, ref, {"phase": "Running"})
    seen = []
    for kind, obj in watching.events(
        kube_api,
        ref,
        deadline=time.monotonic() + 5,
        resource_version=created["metadata"]["resourceVersion"],
    ):
        seen.append((kind, obj["metadata"]["name"], (obj.get("status") or {}).get("phase")))
        if kind == "MODIFIED":
            objects.delete(kube_api, ref)
        if kind == "DELETED":
            break
    assert seen == [("MODIFIED", "w1", "Running"), ("DELETED", "w1", "Running")]


def test_watch_with_no_events_returns_promptly_at_the_deadline(kube_api, namespace):
    ref = ObjectRef.workflow_execution(namespace, "quiet")
    listing = watching.list_for_watch(kube_api, ref)
    start = time.monotonic()
    assert (
        list(
            watching.events(
                kube_api,
                ref,
                deadline=start + 0.4,
                resource_version=listing["metadata"]["resourceVersion"],
            )
        )
        == []
    )
    # far below the server's own watch timeout (SERVER_TIMEOUT), with room for a loaded CI machine
    assert 0.4 <= time.monotonic() - start < 0.4 + 2.0


def test_stop_event_ends_an_endless_watch(kube_api, namespace):
    ref = ObjectRef.workflow_execution(namespace, "stoppable")
    listing = watching.list_for_watch(kube_api, ref)
    stop = threading.Event()
    timer = threading.Timer(0.3, stop.set)
    timer.start()
    start = time.monotonic()
    assert (
        list(
            watching.events(
                kube_api, ref, stop=stop, resource_version=listing["metadata"]["resourceVersion"]
            )
        )
        == []
    )
    assert time.monotonic() - start < 0.3 + watching.STOP_SLICE + 2.0  # not SERVER_TIMEOUT
    timer.join()


def test_gone_resource_version_relists_and_keeps_watching(kube_api, namespace):
    ref = ObjectRef.workflow_execution(namespace, "w-gone")
    make(kube_api, ref)
    stream = watching.events(kube_api, ref, resource_version="1", deadline=time.monotonic() + 5)
    kind, obj = next(stream)
    assert (kind, obj["metadata"]["name"]) == ("ADDED", "w-gone")  # synthesised by the re-list
    objects.patch_status(kube_api, ref, {"phase": "Running"})
    kind, obj = next(stream)
    assert (kind, obj["status"]["phase"]) == ("MODIFIED", "Running")
    stream.close()


def test_label_selected_collection_states(kube_api, namespace):
    ref = ObjectRef.workflow_execution(namespace)
    probe = Probe(kube_api, ref, label_selector="team=a")
    states = watching.states(probe, deadline=time.monotonic() + 5)
    assert next(states) == []
    make(kube_api, ref.named("b-ignored"), {"team": "b"})
    make(kube_api, ref.named("a-1"), {"team": "a"})
    assert [o["metadata"]["name"] for o in next(states)] == ["a-1"]
    objects.delete(kube_api, ref.named("a-1"))
    assert next(states) == []
    states.close()


def test_named_states_start_absent_then_follow_the_object(kube_api, namespace):
    ref = ObjectRef.workflow_execution(namespace, "later")
    states = watching.states(Probe(kube_api, ref), deadline=time.monotonic() + 5)
    assert next(states) is None
    make(kube_api, ref)
    assert next(states)["metadata"]["name"] == "later"
    objects.delete(kube_api, ref)
    assert next(states) is None
    states.close()


def test_a_watch_whose_time_runs_out_while_connecting_just_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The last connection of a window gets the time left as read timeout (ms, under load).

    A read timeout before the response headers is then the end of the window, not an
    unreachable API server (a consistently() near its end failed that way).
    """
    stop = threading.Event()

    def late(*args: object, **kwargs: object) -> None:
        stop.set()  # the window ends while the server has not answered yet
        raise KubeAPIError("The API server could not be reached: read timed out.", 0)

    monkeypatch.setattr(watching.objects, "request", late)
    ref = objects.ObjectRef.workflow_execution("ns", "we")
    assert list(watching.events(None, ref, resource_version="1", stop=stop)) == []  # type: ignore[arg-type]


def test_an_unreachable_server_is_retried_then_fails_the_watch_at_its_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A restarting API server is retried (issue 16); one still down at the deadline fails."""
    attempts = []

    def down(*args: object, **kwargs: object) -> None:
        attempts.append(time.monotonic())
        raise KubeAPIError("The API server could not be reached: refused.", 0)

    monkeypatch.setattr(watching.objects, "request", down)
    ref = objects.ObjectRef.workflow_execution("ns", "we")
    deadline = time.monotonic() + 1.0
    with pytest.raises(KubeAPIError, match="could not be reached"):
        list(watching.events(None, ref, resource_version="1", deadline=deadline))  # type: ignore[arg-type]
    assert len(attempts) > 1
