from wetest.waiting import describe
from wetest.waiting.history import History


def obj(rv, phase, **status):
    return {
        "apiVersion": "kubernaut.ai/v1alpha1",
        "kind": "WorkflowExecution",
        "metadata": {
            "name": "w",
            "namespace": "ns",
            "resourceVersion": rv,
            "managedFields": [{"manager": "noise"}],
            "finalizers": ["f"],
        },
        "spec": {"targetResource": "noise"},
        "status": {"phase": phase, **status},
    }


def test_excerpt_keeps_metadata_essentials_and_status_only():
    text = describe.as_yaml(obj("9", "Running", startTime="2026-01-01T00:00:00Z"))
    assert "resourceVersion: '9'" in text
    assert "phase: Running" in text
    assert "startTime" in text
    assert "finalizers" in text
    assert "managedFields" not in text
    assert "targetResource" not in text


def test_absent_and_plain_states():
    assert describe.as_yaml(None) == describe.ABSENT
    assert describe.summary(None) == describe.ABSENT
    assert describe.summary([1, 2]) == "[1, 2]"
    assert describe.summary([obj("1", "Running")]) == "1 items: w (Running)"


def test_summary_line_of_an_object():
    failed = obj(
        "3",
        "Failed",
        failureDetails={"reason": "TaskFailed"},
        conditions=[{"type": "TektonPipelineComplete", "status": "False", "reason": "TaskFailed"}],
    )
    line = describe.summary(failed)
    assert line.startswith("rv=3 phase=Failed")
    assert "TektonPipelineComplete=False/TaskFailed" in line
    assert "failureDetails.reason=TaskFailed" in line


def test_report_has_headline_last_state_and_folded_history():
    history = History(started=0.0)
    for at in (0.0, 0.1, 0.2):
        history.add(obj("1", "Pending"), at=at)
    history.add(obj("2", "Running"), at=0.5)
    text = describe.report("Timed out.", "probe-x", history)
    lines = text.splitlines()
    assert lines[0] == "Timed out."
    assert "Observed 4 times, 2 distinct states." in text
    assert "Last observed state (at +0.500s):" in text
    history_at = lines.index("History of distinct states (seconds since the wait began):")
    first, second = lines[history_at + 1 :]
    assert first.startswith("  +0.000s  rv=1 phase=Pending")
    assert first.endswith("(seen 3 times, until +0.200s)")
    assert second.startswith("  +0.500s  rv=2 phase=Running")
