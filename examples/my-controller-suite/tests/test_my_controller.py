"""My controller, checked with wetest's fixtures, waits, markers and error tree."""

import pytest

from wetest import AlreadyExists, ObjectRef, Probe, consistently, eventually
from wetest import expectations as ex


@pytest.mark.we_wait(timeout=30)  # this test's waits default to 30 s (times timeout_scale)
def test_a_workflow_runs_to_completion(we_kube, we_create, we_settings, we_audit):
    we = we_create(parameters={"WETEST_SCENARIO": "succeed after=1s"})
    probe = Probe(we_kube, we_create.ref(we))

    running = eventually(probe, ex.has_phase("Running"))
    pipelinerun = running["status"]["pipelineRunRef"]["name"]
    pr_ref = ObjectRef.pipeline_run(we_settings.execution_namespace, pipelinerun)
    eventually(Probe(we_kube, pr_ref), ex.exists())

    done = eventually(probe, ex.has_phase("Completed") & ex.has_condition("AuditRecorded", "True"))
    assert done["status"]["completionTime"]
    consistently(probe, ex.has_phase("Completed"), duration=1)  # and it stays there

    events = eventually(we_audit.probe(we["metadata"]["name"]), ex.at_least(2))
    assert {e["event_type"] for e in events} >= {"workflow.started", "workflow.completed"}


def test_a_second_create_with_the_same_name_is_a_name_clash(we_create):
    we_create()
    with pytest.raises(AlreadyExists):  # 409 AlreadyExists, never a ResourceConflict
        we_create()
