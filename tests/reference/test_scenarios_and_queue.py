from __future__ import annotations

import pytest

from wetest.reference.controller.queue import WorkQueue
from wetest.stack.tekton import scenarios, statuses


def test_scenario_parse() -> None:
    assert scenarios.parse("fail reason=oom after=1s tasks=2") == scenarios.Scenario(
        "fail", 1.0, 2, "oom"
    )
    assert scenarios.parse("run-forever").finishes is False
    with pytest.raises(ValueError, match="start with one of"):
        scenarios.parse("explode")
    with pytest.raises(ValueError, match="bad option"):
        scenarios.parse("fail reason=meteor")


def test_scenario_source_precedence() -> None:
    pr = {
        "metadata": {"annotations": {scenarios.ANNOTATION: "cancel"}},
        "spec": {"params": [{"name": "WETEST_SCENARIO", "value": "run-forever"}]},
    }
    assert scenarios.of(pr).verb == "cancel"
    pr["metadata"]["annotations"] = {}
    assert scenarios.of(pr).verb == "run-forever"
    assert scenarios.of({}).verb == "succeed"


def test_tekton_shapes() -> None:
    cond = statuses.condition("True", "Succeeded", "m", "T")[0]
    assert set(cond) == {"type", "status", "lastTransitionTime", "reason", "message"}
    assert statuses.pr_final("demo", "timeout", 1) == (
        "False",
        "PipelineRunTimeout",
        'PipelineRun "demo" failed to finish within "1h0m0s"',
    )
    assert statuses.pr_final("demo", "task", 2)[2] == (
        "Tasks Completed: 2 (Failed: 1, Cancelled 0), Skipped: 0"
    )
    tr = statuses.tr_done("demo-a", "T0", "T1", "oom")
    assert tr["conditions"][0]["message"] == '"step-build" exited with code 137: OOMKilled'
    assert tr["steps"][0]["terminated"]["exitCode"] == 137


def test_queue_dedupes_and_holds_items_in_process() -> None:
    q: WorkQueue[str] = WorkQueue()
    q.add("a")
    q.add("a")
    assert q.get(0.1) == "a"
    q.add("a")  # while processing: not handed out twice
    assert q.get(0.05) is None
    q.done("a")
    assert q.get(0.1) == "a"
    q.done("a")
    q.add_after("b", 0.05)
    assert q.get(1.0) == "b"
    q.shutdown()
