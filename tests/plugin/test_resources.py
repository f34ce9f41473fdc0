"""The suite helpers of ``we_create`` and ``admission.denying`` against a real API server.

No controller and no Tekton stand-in run here: the tests check what the helpers write (the
scenario parameter, Tekton's final condition) and that a deny policy is enforced and lifted.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from kubernetes import client

from wetest import eventually
from wetest import expectations as ex
from wetest.kube import admission, objects
from wetest.plugin.resources import Creator


@pytest.fixture
def creator(kube_api: client.ApiClient, namespace: str) -> Creator:
    return Creator(kube_api, namespace, "we-1", execution_namespace=namespace)


def pipelinerun(creator: Creator, name: str = "pr-1") -> dict[str, Any]:
    """A PipelineRun as the stand-in leaves a run-forever one: started, Unknown/Running."""
    ref = creator.pipelinerun_ref(name)
    created = objects.create(
        creator.api, ref, {"kind": "PipelineRun", "spec": {"pipelineRef": {"name": "x"}}}
    )
    status = {
        "startTime": "2026-01-01T00:00:00Z",
        "conditions": [{"type": "Succeeded", "status": "Unknown", "reason": "Running"}],
    }
    objects.patch_status(creator.api, ref, status)
    return created


def test_scenario_is_the_stand_in_parameter_next_to_the_others(creator):
    we = creator(scenario="fail reason=oom after=1s", parameters={"REPLICAS": "2"})
    assert we["spec"]["parameters"] == {
        "REPLICAS": "2",
        "WETEST_SCENARIO": "fail reason=oom after=1s",
    }
    body = {**we, "metadata": {"name": "we-2", "namespace": we["metadata"]["namespace"]}}
    assert creator(body=body, scenario="run-forever")["spec"]["parameters"] == {
        "REPLICAS": "2",
        "WETEST_SCENARIO": "run-forever",
    }


def test_an_unparsable_scenario_is_refused_before_anything_is_created(creator):
    with pytest.raises(ValueError, match=r"reason=oops.*Write a scenario as one line") as raised:
        creator(scenario="fail reason=oops")
    assert str(raised.value).endswith("(docs/tekton-scenarios.md).")
    assert creator.created == []


def test_finish_writes_tektons_final_condition_for_the_scenario(creator):
    pr = pipelinerun(creator)
    assert creator.ref(pr) == creator.pipelinerun_ref("pr-1")

    written = creator.finish(pr, "fail reason=oom tasks=2")

    [condition] = written["status"]["conditions"]
    assert (condition["type"], condition["status"], condition["reason"]) == (
        "Succeeded",
        "False",
        "Failed",
    )
    assert condition["message"] == "Tasks Completed: 2 (Failed: 1, Cancelled 0), Skipped: 0"
    assert written["status"]["startTime"] == "2026-01-01T00:00:00Z"


def test_finish_takes_a_reason_message_and_status_changes(creator):
    pr = pipelinerun(creator)

    written = creator.finish(
        pr,
        "succeed",
        reason="Completed",
        message="PipelineRun completed successfully",
        status={"completionTime": "2026-01-01T00:01:05Z"},
        drop=("startTime",),
    )

    [condition] = written["status"]["conditions"]
    assert (condition["status"], condition["reason"], condition["message"]) == (
        "True",
        "Completed",
        "PipelineRun completed successfully",
    )
    assert written["status"]["completionTime"] == "2026-01-01T00:01:05Z"
    assert "startTime" not in written["status"]
    with pytest.raises(ValueError, match="does not finish a PipelineRun"):
        creator.finish(pr, "run-forever")


def test_denying_refuses_the_matched_write_until_lifted(kube_api, creator, namespace):
    rule = admission.rule("tekton.dev", "v1", "pipelineruns", "CREATE")
    expression = f"object.metadata.namespace != '{namespace}'"
    body = {"apiVersion": "tekton.dev/v1", "kind": "PipelineRun", "metadata": {"name": "p"}}
    path = creator.pipelinerun_ref().path()
    name, message = f"wetest-t-{namespace}", "refused by the wetest helper test"
    with admission.denying(kube_api, name, rule, expression, message) as denial:
        refused = ex.satisfies(bool, "the create is refused")
        eventually(lambda: denial.refuses("POST", path, body), refused, timeout=15)
        denial.lift()
        allowed = ex.satisfies(lambda r: not r, "the create is allowed")
        eventually(lambda: denial.refuses("POST", path, body), allowed, timeout=15)
    assert denial.lifted


def test_running_returns_the_running_we_and_its_started_pipelinerun(creator):
    """No controller runs here: the test plays it (WE Running, then the PipelineRun started)."""
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(creator.running, "we-r", timeout=30)
        ref = objects.ObjectRef.workflow_execution(creator.namespace, "we-r")
        eventually(objects.Probe(creator.api, ref), ex.exists(), timeout=10)
        assert objects.get(creator.api, ref)["spec"]["parameters"] == {
            "WETEST_SCENARIO": "run-forever"
        }
        running = {"phase": "Running", "pipelineRunRef": {"name": "pr-r"}}
        objects.patch_status(creator.api, ref, running)
        pipelinerun(creator, "pr-r")
        we, pr = waiting.result(timeout=30)
    assert we["status"]["phase"] == "Running"
    assert (pr["metadata"]["name"], pr["status"]["conditions"][0]["reason"]) == ("pr-r", "Running")
