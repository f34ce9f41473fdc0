from wetest.waiting import expectations as ex


def we(phase=None, conditions=(), finalizers=(), failure=None):
    status = {"phase": phase, "conditions": list(conditions)}
    if failure:
        status["failureDetails"] = failure
    return {
        "metadata": {
            "name": "w",
            "namespace": "ns",
            "resourceVersion": "7",
            "finalizers": list(finalizers),
        },
        "status": status,
    }


def test_has_phase_matches_and_empty_phase_is_pending():
    assert ex.has_phase("Running").match(we("Running"))
    assert ex.has_phase("Pending").match(we(None))
    assert not ex.has_phase("Running").match(None)
    assert not ex.has_phase("Running").match("Running")


def test_has_phase_terminal_on_failed_shows_failure_details():
    failed = we("Failed", failure={"reason": "TaskFailed", "message": "step 2 exited 1"})
    reason = ex.has_phase("Completed").terminal(failed)
    assert reason is not None
    assert "Failed" in reason
    assert "TaskFailed" in reason
    assert "step 2 exited 1" in reason
    assert ex.has_phase("Completed").terminal(we("Running")) is None
    assert ex.has_phase("Running").terminal(None) is None


def test_has_condition_filters():
    cond = {
        "type": "TektonPipelineCreated",
        "status": "True",
        "reason": "PipelineCreated",
        "message": "PipelineRun pr created in ns namespace",
    }
    state = we("Running", [cond])
    assert ex.has_condition("TektonPipelineCreated").match(state)
    assert ex.has_condition("TektonPipelineCreated", "True", "PipelineCreated", "created in").match(
        state
    )
    assert not ex.has_condition("TektonPipelineCreated", "False").match(state)
    assert not ex.has_condition("TektonPipelineCreated", message_contains="nope").match(state)
    assert not ex.has_condition("AuditRecorded").match(state)
    assert "status=True" in str(ex.has_condition("X", status="True"))


def test_finalizer_deleted_exists():
    assert ex.has_finalizer("kubernaut.ai/cleanup").match(we(finalizers=["kubernaut.ai/cleanup"]))
    assert not ex.has_finalizer("x").match(we())
    assert ex.is_deleted().match(None)
    assert not ex.is_deleted().match(we())
    assert ex.exists().match(we())


def test_has_field_value_predicate_and_presence():
    state = {"status": {"pipelineRunRef": {"name": "pr-1"}, "items": [1, 2]}}
    assert ex.has_field("status.pipelineRunRef.name", "pr-1").match(state)
    assert not ex.has_field("status.pipelineRunRef.name", "pr-2").match(state)
    assert ex.has_field("status.items.1", predicate=lambda v: v == 2).match(state)
    assert ex.has_field("status.pipelineRunRef").match(state)
    assert not ex.has_field("status.missing").match(state)
    assert not ex.has_field("status.items.5").match(state)


def test_counts_and_satisfies():
    assert ex.count_is(2).match([1, 2])
    assert not ex.count_is(2).match("ab")
    assert ex.at_least(1).match([1, 2])
    assert not ex.at_least(1).match(None)
    assert ex.satisfies(lambda s: s == 3, "three").match(3)
    assert str(ex.satisfies(lambda s: True, "anything")) == "anything"


def test_composition_and_or_terminal():
    running = ex.has_phase("Running")
    done = ex.has_phase("Completed")
    created = ex.has_condition("TektonPipelineCreated")
    both = done & created
    either = done | ex.has_phase("Failed")
    assert str(both) == "(phase is Completed and condition TektonPipelineCreated)"
    assert either.match(we("Failed"))
    assert not both.match(we("Completed"))
    assert both.terminal(we("Failed")) is not None
    assert either.terminal(we("Failed")) is None
    assert (done | running).terminal(we("Failed")) is not None
