"""eventually/consistently on WorkflowExecutions in a real API server (watch-driven).

No controller runs: status writes come from timers in the test, standing in for one.
"""

import statistics
import threading
import time

import pytest

from wetest.errors import ConsistencyViolated, TerminalStateReached, WaitTimeout
from wetest.kube import objects
from wetest.kube.objects import ObjectRef, Probe
from wetest.waiting import expectations as ex
from wetest.waiting.eventually import consistently, eventually

FAILURE = {
    "reason": "TaskFailed",
    "message": "Tasks Completed: 1 (Failed: 1, Cancelled 0)",
    "failedTaskIndex": 0,
    "failedTaskName": "pr-1-build",
    "failedAt": "2026-01-01T00:00:09Z",
    "executionTimeBeforeFailure": "9s",
    "naturalLanguageSummary": "failed",
}


def create_we(api, namespace, name, status=None, finalizers=()):
    ref = ObjectRef.workflow_execution(namespace, name)
    objects.create(
        api, ref, {"kind": "WorkflowExecution", "metadata": {"finalizers": list(finalizers)}}
    )
    if status:
        objects.patch_status(api, ref, status)
    return ref


def later(seconds, action):
    """Run a write from another thread, as a controller would; joined by the caller."""
    timer = threading.Timer(seconds, action)
    timer.start()
    return timer


def test_reacts_to_a_status_write_within_milliseconds(kube_api, namespace):
    ref = create_we(kube_api, namespace, "fast", {"phase": "Running"})
    probe = Probe(kube_api, ref)
    latencies = []
    for i in range(1, 11):
        written = {}

        def write(i=i, written=written):
            written["at"] = time.monotonic()
            objects.patch_status(
                kube_api, ref, {"pipelineRunStatus": {"status": "Unknown", "totalTasks": i}}
            )

        timer = later(0.05, write)
        eventually(probe, ex.has_field("status.pipelineRunStatus.totalTasks", i), timeout=5)
        latencies.append(time.monotonic() - written["at"])
        timer.join()
    p50 = statistics.median(latencies)
    print(
        f"watch-driven eventually: status write -> return p50 {p50 * 1000:.1f} ms, "
        f"max {max(latencies) * 1000:.1f} ms over {len(latencies)} writes"
    )
    assert p50 < 0.1


def test_waiting_for_completed_stops_at_once_on_failed(kube_api, namespace):
    ref = create_we(kube_api, namespace, "doomed", {"phase": "Running"})
    written = {}

    def fail():
        written["at"] = time.monotonic()
        objects.patch_status(kube_api, ref, {"phase": "Failed", "failureDetails": FAILURE})

    timer = later(0.1, fail)
    with pytest.raises(TerminalStateReached) as caught:
        eventually(Probe(kube_api, ref), ex.has_phase("Completed"), timeout=30)
    reaction = time.monotonic() - written["at"]
    timer.join()
    print(f"terminal stop {reaction * 1000:.1f} ms after the Failed write")
    assert reaction < 2  # the wait's timeout is 30 s
    headline = str(caught.value).splitlines()[0]
    assert "the phase is Failed, which can never become Completed" in headline
    assert "reason='TaskFailed'" in headline
    assert "failedTaskName: pr-1-build" in str(caught.value)


def test_timeout_message_shows_last_state_and_history(kube_api, namespace):
    ref = create_we(kube_api, namespace, "slow", {"phase": "Pending"})
    timer = later(0.1, lambda: objects.patch_status(kube_api, ref, {"phase": "Running"}))
    with pytest.raises(WaitTimeout) as caught:
        eventually(
            Probe(kube_api, ref),
            ex.has_phase("Completed"),
            timeout=0.6,
            scale=1,
            description="the workflow to complete",
        )
    timer.join()
    text = str(caught.value)
    lines = text.splitlines()
    assert lines[0].startswith("Timed out after 0.6")
    assert "the workflow to complete (phase is Completed)" in lines[0]
    assert f"workflowexecutions.kubernaut.ai {namespace}/slow" in lines[0]
    for fragment in (
        "name: slow",
        f"namespace: {namespace}",
        "resourceVersion:",
        "phase: Running",
        "History of distinct states",
    ):
        assert fragment in text
    history = lines[lines.index("History of distinct states (seconds since the wait began):") :]
    assert "phase=Pending" in history[1]
    assert "phase=Running" in history[2]


def test_consistently_holds_then_catches_a_change(kube_api, namespace):
    ref = create_we(kube_api, namespace, "steady", {"phase": "Running"})
    probe = Probe(kube_api, ref)
    start = time.monotonic()
    assert (
        consistently(probe, ex.has_phase("Running"), duration=0.5, scale=1)["status"]["phase"]
        == "Running"
    )
    assert 0.5 <= time.monotonic() - start < 2.5
    timer = later(0.1, lambda: objects.patch_status(kube_api, ref, {"phase": "Pending"}))
    start = time.monotonic()
    with pytest.raises(ConsistencyViolated, match="Expected phase is Running to hold"):
        consistently(probe, ex.has_phase("Running"), duration=10, scale=1)
    assert time.monotonic() - start < 3  # the duration is 10 s
    timer.join()


def test_deletion_with_a_finalizer_and_creation(kube_api, namespace):
    ref = create_we(kube_api, namespace, "held", finalizers=["kubernaut.ai/test"])
    probe = Probe(kube_api, ref)
    objects.delete(kube_api, ref)
    eventually(
        probe,
        ex.has_field("metadata.deletionTimestamp") & ex.has_finalizer("kubernaut.ai/test"),
        timeout=5,
    )
    timer = later(0.1, lambda: objects.patch(kube_api, ref, {"metadata": {"finalizers": None}}))
    assert eventually(probe, ex.is_deleted(), timeout=5) is None
    timer.join()
    new = ObjectRef.workflow_execution(namespace, "born")
    timer = later(0.1, lambda: create_we(kube_api, namespace, "born"))
    assert eventually(Probe(kube_api, new), ex.exists(), timeout=5)["metadata"]["name"] == "born"
    timer.join()


def test_collection_probe_counts_labelled_objects(kube_api, namespace):
    probe = Probe(kube_api, ObjectRef.workflow_execution(namespace), label_selector="batch=1")

    def create_two():
        for name in ("b1", "b2"):
            objects.create(
                kube_api,
                ObjectRef.workflow_execution(namespace, name),
                {"kind": "WorkflowExecution", "metadata": {"labels": {"batch": "1"}}},
            )

    timer = later(0.1, create_two)
    found = eventually(probe, ex.count_is(2), timeout=5)
    timer.join()
    assert [o["metadata"]["name"] for o in found] == ["b1", "b2"]
