"""Each analyzer on a small hand-built evidence folder: what it names, counts and proves.

Every test builds only the files its analyzer reads, which also checks that missing evidence
never breaks an analyzer (a folder without api-calls.jsonl is the existing backend's case).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from evidence_builders import NS, PR, WE, Folder, call, pipelinerun, stack, we

from wetest.report.analysis import causes, diagnose
from wetest.report.analysis.audit import audit_delivery
from wetest.report.analysis.controller import (
    admission_denied,
    controller_crashed,
    controller_not_reconciling,
)
from wetest.report.analysis.environment import (
    configuration,
    datastorage_unavailable,
    infrastructure_missing,
    run_interrupted,
    stack_component_died,
)
from wetest.report.analysis.writes import multiple_status_writes, resource_version_conflict
from wetest.report.results import RunInfo

CONFLICT_LOG = (
    "2026-12-06 10:00:02,100 INFO wetest.reference.controller.manager conflict on "
    f'{NS}/{WE} (409 Conflict: {{"kind":"Status","apiVersion":"v1","status":"Failure",'
    f'"message":"Operation cannot be fulfilled on workflowexecutions.kubernaut.ai \\"{WE}\\": '
    'the object has been modified","reason":"Conflict","code":409}); re-queued for a fresh read'
)
OTHER_TEST_LOG = CONFLICT_LOG.replace(WE, "we-t12").replace(NS, "wetest-t12")


@pytest.fixture
def folder(tmp_path: Path) -> Folder:
    return Folder(tmp_path)


def test_double_write_from_api_calls_names_stat_002_and_what_was_lost(folder: Folder) -> None:
    folder.add("we.yaml", we("Running")).add("pipelinerun.yaml", pipelinerun())
    t1, t2, t3 = "2026-12-06T10:00:02.1Z", "2026-12-06T10:00:03Z", "2026-12-06T10:00:03.1Z"
    folder.add("api-calls.jsonl", [
        call("get", sub=""), call("update", 200), call("update", 409, t=t1),
        call("get", sub="", t=t2), call("update", 409, t=t3),
    ])  # fmt: skip
    found = resource_version_conflict(folder.evidence())
    assert found is not None
    assert found.cause == causes.RESOURCE_VERSION_CONFLICT
    assert "wrote status twice in one reconcile (WE-STAT-002)" in found.headline
    assert found.clauses == ("WE-STAT-002", "WE-STAT-004", "WE-COND-040")
    assert found.counts == {
        "409 Conflict on workflowexecutions/status": 2,
        "never committed: AuditRecorded": 1,
        "second status write in one reconcile": 1,
    }
    assert found.next_action.startswith("Merge the transition and the AuditRecorded condition")
    assert any("-> 409 Conflict" in line for line in found.lines)


def test_conflict_from_the_controller_log_alone_keeps_only_this_tests_lines(
    folder: Folder,
) -> None:
    folder.add("we.yaml", we("Running"))
    folder.add("controller.log", "\n".join([OTHER_TEST_LOG, CONFLICT_LOG, CONFLICT_LOG]) + "\n")
    found = resource_version_conflict(folder.evidence())
    assert found is not None
    assert "(WE-STAT-002)" in found.headline
    assert found.counts["409 Conflict on workflowexecutions/status"] == 2
    assert all("we-t12" not in line for line in found.lines)
    assert found.lines[0].endswith(
        f'(409 Conflict: Operation cannot be fulfilled on workflowexecutions.kubernaut.ai "{WE}":'
        " the object has been modified); re-queued for a fresh read"
    )


def test_a_conflict_that_was_re_applied_is_not_a_root_cause(folder: Folder) -> None:
    folder.add("we.yaml", we("Completed", ("AuditRecorded",)))
    folder.add("api-calls.jsonl", [
        call("update", 409), call("get", sub="", t="2026-12-06T10:00:03Z"),
        call("update", 200, t="2026-12-06T10:00:03.1Z"),
    ])  # fmt: skip
    assert resource_version_conflict(folder.evidence()) is None


def test_a_conflict_the_test_provoked_is_its_premise(folder: Folder) -> None:
    folder.add("we.yaml", we("Completed"))
    t1, t2 = "2026-12-06T10:00:02.1Z", "2026-12-06T10:00:02.2Z"
    folder.add("api-calls.jsonl", [
        call("get", sub=""), call("patch", 200, actor="harness", sub="", t=t1),
        call("update", 409, t=t2),
    ])  # fmt: skip
    assert resource_version_conflict(folder.evidence()) is None


def test_a_conflict_after_churn_that_followed_the_controllers_own_write_is_the_premise(
    folder: Folder,
) -> None:
    """The no-audit-recorded mutant under churn, with API calls: the controller wrote from
    its watch (no read), the test patched the WE, and the next write met a 409. The
    controller's earlier write is not what made it stale: the test's patch is."""
    folder.add("we.yaml", we("Completed"))
    at = [f"2026-12-06T10:00:0{s}Z" for s in ("1.1", "1.5", "2.0", "3.1")]  # writes 1.6 s apart
    churned = [
        call("get", sub="", t=at[0]), call("update", 200, t=at[1]),
        call("patch", 200, actor="harness", sub="", t=at[2]), call("update", 409, t=at[3]),
    ]  # fmt: skip
    folder.add("api-calls.jsonl", churned)
    assert resource_version_conflict(folder.evidence()) is None
    folder.add("api-calls.jsonl", [*churned[:2], churned[3]])  # no patch: its own stale write
    found = resource_version_conflict(folder.evidence())
    assert found is not None
    assert found.counts["second status write in one reconcile"] == 1
    patched = call("patch", 200, actor="harness", sub="", t="2026-12-06T10:00:01.55Z")
    soon = call("update", 409, t="2026-12-06T10:00:01.6Z")  # 0.1 s after its own write
    folder.add("api-calls.jsonl", [*churned[:2], patched, soon])  # double-status-write, churn
    found = resource_version_conflict(folder.evidence())
    assert found is not None
    assert found.counts["second status write in one reconcile"] == 1


def test_log_only_conflicts_the_we_moved_past_are_tolerated(folder: Folder) -> None:
    """The no-audit-recorded mutant under churn: 409s at Running, Completed 2 s later."""
    done = we("Completed")
    done["status"]["completionTime"] = "2026-12-06T10:00:04Z"
    folder.add("we.yaml", done).add("controller.log", CONFLICT_LOG + "\n")
    assert resource_version_conflict(folder.evidence()) is None
    late = CONFLICT_LOG.replace("10:00:02,100", "10:00:04,050")
    folder.add("controller.log", CONFLICT_LOG + "\n" + late + "\n")
    found = resource_version_conflict(folder.evidence())
    assert found is not None
    assert found.counts["second status write in one reconcile"] == 2


def test_conflict_not_re_applied_names_stat_001(folder: Folder) -> None:
    folder.add("we.yaml", we("Running", ("AuditRecorded",))).add(
        "pipelinerun.yaml", pipelinerun("True")
    )
    folder.add("api-calls.jsonl", [call("get", sub=""), call("update", 409)])
    found = resource_version_conflict(folder.evidence())
    assert found is not None
    assert "(WE-STAT-001)" in found.headline
    assert found.counts["never committed: phase Completed"] == 1


def test_multiple_successful_status_writes_in_one_reconcile(folder: Folder) -> None:
    folder.add("we.yaml", we("Running", ("AuditRecorded",)))
    folder.add("api-calls.jsonl", [
        call("get", sub=""), call("update", 200), call("update", 200, t="2026-12-06T10:00:02.2Z"),
    ])  # fmt: skip
    # Bursts alone prove nothing (two reconciles may write within a second): only a failing
    # test that judges WE-STAT-002 is explained by them.
    assert multiple_status_writes(folder.evidence()) is None
    folder.fields |= {"clauses": ("WE-STAT-002",)}
    found = multiple_status_writes(folder.evidence())
    assert found is not None
    assert found.clauses == ("WE-STAT-002",)
    assert found.counts == {"reconciles with >1 status write": 1, "status writes in them": 2}


def test_datastorage_unavailable_from_stack_json_and_the_controller_log(folder: Folder) -> None:
    folder.add("stack.json", stack(ds_reachable=False))
    folder.log("controller", [
        "2026-12-06 10:00:05,000 WARNING wetest.reference.controller.audit DataStorage "
        "unavailable (connection refused); events stay spooled",
        "2026-12-06 11:00:05,000 WARNING x DataStorage unavailable (outside the test)",
    ])  # fmt: skip
    found = datastorage_unavailable(folder.evidence())
    assert found is not None
    assert found.kind is causes.Kind.ENVIRONMENT
    assert found.counts == {
        "DataStorage unreachable at collection": 1,
        "controller log lines: DataStorage errors": 1,
    }


def test_datastorage_unavailable_from_the_harness_error(folder: Folder) -> None:
    folder.fields |= {
        "error_class": "wetest.errors.DependencyMissing", "outcome": "error", "when": "setup",
        "message": "Data Storage REQUIRED but not available at http://localhost:18100. "
        "Run: wetest up",
    }  # fmt: skip
    found = datastorage_unavailable(folder.evidence())
    assert found is not None
    assert found.command == "wetest up"
    assert infrastructure_missing(folder.evidence()) is not None  # shadowed by the order


def test_infrastructure_missing_and_configuration(folder: Folder) -> None:
    folder.fields |= {
        "error_class": "wetest.errors.DependencyMissing",
        "message": "The etcd binary was not found. Run: wetest assets install",
    }
    found = infrastructure_missing(folder.evidence())
    assert found is not None
    assert found.command == "wetest assets install"
    assert configuration(folder.evidence()) is None
    folder.fields |= {"error_class": "wetest.errors.ConfigError", "message": "bad backend"}
    assert configuration(folder.evidence()) is not None


def test_stack_component_died(folder: Folder) -> None:
    folder.add("stack.json", stack(dead={"kube-apiserver": -9}))
    found = stack_component_died(folder.evidence())
    assert found is not None
    assert found.headline.startswith("kube-apiserver died or was stopped mid-run")
    assert "stack.json: kube-apiserver exited with code -9" in found.lines


def test_run_interrupted_only_for_tests_that_ended_after_the_signal(folder: Folder) -> None:
    folder.info = RunInfo(interrupted={"signal": "SIGTERM", "at": "2026-12-06T10:00:10+00:00"})
    found = run_interrupted(folder.evidence())
    assert found is not None
    assert found.kind is causes.Kind.INTERRUPTED
    assert "SIGTERM" in found.headline
    folder.fields["stop"] = "2026-12-06T10:00:05+00:00"
    assert run_interrupted(folder.evidence()) is None


def test_controller_crashed_from_stack_json(folder: Folder) -> None:
    folder.add("stack.json", stack(controller_exit=1))
    found = controller_crashed(folder.evidence())
    assert found is not None
    assert found.severity is causes.Severity.CRITICAL
    assert "exit code: 1" in found.lines
    assert "RuntimeError: boom" in found.lines


def test_a_refused_scrape_of_a_dead_controller_is_its_crash_not_a_dead_stack(
    folder: Folder,
) -> None:
    """The metrics test's ConnectError names the controller's endpoint: the crash explains it."""
    folder.add("stack.json", stack(controller_exit=-9))
    folder.fields |= {
        "error_class": "httpx.ConnectError",
        "message": "[Errno 111] Connection refused",
    }
    assert diagnose(folder.evidence()).cause == causes.CONTROLLER_CRASHED


def test_controller_crashed_from_the_harness_error(folder: Folder) -> None:
    folder.fields |= {"error_class": "wetest.errors.ControllerCrashed",
                      "message": "The controller under test (x) exited with code 137."}  # fmt: skip
    found = controller_crashed(folder.evidence())
    assert found is not None
    assert "exit code: 137" in found.lines


def test_controller_not_reconciling_from_api_calls(folder: Folder) -> None:
    folder.add("we.yaml", we("Running"))
    folder.add("api-calls.jsonl", [call("create", 201, actor="harness", sub="")])
    found = controller_not_reconciling(folder.evidence())
    assert found is not None
    assert found.counts == {"controller API calls on the WE": 0, "harness calls on the WE": 1}


def test_controller_not_reconciling_from_a_we_without_status(folder: Folder) -> None:
    folder.add("we.yaml", we("Running"))
    assert controller_not_reconciling(folder.evidence()) is None
    folder.add("we.yaml", {**we(""), "status": {}})
    folder.log("controller", ["2026-12-06 09:59:00,000 INFO workflowexecution.manager started"])
    found = controller_not_reconciling(folder.evidence())
    assert found is not None
    assert found.counts == {"WEs without any status": 1}
    assert found.lines[-1].startswith("logs/controller.log: last line before the test started:")


def test_admission_denied(folder: Folder) -> None:
    folder.add("we.yaml", we("Pending"))
    folder.add("api-calls.jsonl", [
        call("update", 403, message="admission webhook \"deny.kubernaut.ai\" denied the request"),
        call("create", 422, sub="", resource="pipelineruns", name=PR,
             message="ValidatingAdmissionPolicy 'team-labels' with binding 'x' denied request"),
        call("create", 422, sub="", resource="pipelineruns", name=PR,
             message='PipelineRun.tekton.dev "x" is invalid: metadata.labels: Invalid value'),
    ])  # fmt: skip
    found = admission_denied(folder.evidence())
    assert found is not None
    # the schema's own 422 (an invalid object) is the controller's deviation, not a denial
    assert found.counts == {"403 Forbidden": 1, "422 Invalid": 1, "controller log denials": 0}


def test_a_schema_refusal_alone_is_not_an_admission_denial(folder: Folder) -> None:
    folder.add("we.yaml", we("Pending"))
    invalid = 'PipelineRun.tekton.dev "x" is invalid: metadata.labels: Invalid value: "a b"'
    folder.add("api-calls.jsonl", [call("create", 422, sub="", resource="pipelineruns",
                                        name=PR, message=invalid)])  # fmt: skip
    assert admission_denied(folder.evidence()) is None


def test_a_denial_the_suite_injects_is_not_a_root_cause(folder: Folder) -> None:
    folder.add("we.yaml", we("Running"))
    injected = (
        f'workflowexecutions.kubernaut.ai "{WE}" is forbidden: ValidatingAdmissionPolicy '
        f"'wetest-hold-{WE}' with binding 'wetest-hold-{WE}' denied request"
    )
    folder.add("api-calls.jsonl", [call("update", 422, message=injected)])
    folder.add("controller.log", f"2026-12-06 10:00:02,000 ERROR 422 Invalid: {WE} {injected}\n")
    assert admission_denied(folder.evidence()) is None


def test_audit_delivery_counts_duplicates_and_losses(folder: Folder) -> None:
    completed_we = we("Completed", ("AuditRecorded",))
    completed_we["status"]["completionTime"] = "2026-12-06T10:00:04Z"  # 16 s before the stop
    folder.add("we.yaml", completed_we)
    started = {"event_type": "workflow.started", "correlation_id": f"corr-{WE}", "namespace": NS}
    folder.add("audit.json", [started, started, started])
    assert audit_delivery(folder.evidence()) is not None
    completed = {
        "event_type": "workflow.completed",
        "correlation_id": f"corr-{WE}",
        "namespace": NS,
    }
    folder.add("audit.json", [started, completed, completed, completed])
    assert audit_delivery(folder.evidence()).counts == {"duplicated events": 2, "lost events": 0}
    folder.add("audit.json", [started, started, started])
    found = audit_delivery(folder.evidence())
    assert found is not None
    assert found.cause == causes.AUDIT_DELIVERY
    assert found.counts == {"duplicated events": 2, "lost events": 1}
    assert f"corr-{WE} workflow.started: 3 events (expected 1)" in found.lines
    assert f"corr-{WE} workflow.completed: no event in DataStorage" in found.lines


def test_contract_deviation_uses_clause_results(folder: Folder) -> None:
    from wetest.report.results import ClauseResult

    folder.fields |= {
        "error_class": "builtins.AssertionError", "clauses": ("WE-LOCK-001", "WE-AUD-001"),
        "longrepr": "E   AssertionError: expected workflow.started\nE   assert 0 == 1",
        "clause_results": {"WE-LOCK-001": ClauseResult("passed"),
                           "WE-AUD-001": ClauseResult("failed", "expected workflow.started")},
    }  # fmt: skip
    found = diagnose(folder.evidence())
    assert found.cause == causes.CONTRACT_DEVIATION
    assert found.clauses == ("WE-AUD-001",)
    assert found.headline.startswith("the controller deviates from WE-AUD-001")
    assert found.lines[:2] == ("AssertionError: expected workflow.started", "assert 0 == 1")
    assert found.mechanical == "assertion (AssertionError) in call"


def test_failed_soft_checks_are_a_contract_deviation_on_their_clause(folder: Folder) -> None:
    """wetest.checks' SoftChecksFailed is an assertion about named clauses, never "unknown"."""
    from wetest.report.results import ClauseResult

    folder.fields |= {
        "error_class": "wetest.checks.SoftChecksFailed", "clauses": ("WE-STAT-001", "WE-COND-040"),
        "message": "1 soft check(s) failed: WE-COND-040: Timed out waiting for AuditRecorded",
        "clause_results": {"WE-STAT-001": ClauseResult("passed"),
                           "WE-COND-040": ClauseResult("failed", "Timed out")},
    }  # fmt: skip
    found = diagnose(folder.evidence())
    assert found.cause == causes.CONTRACT_DEVIATION
    assert found.clauses == ("WE-COND-040",)


def test_audit_loss_needs_the_delivery_window_to_have_passed(folder: Folder) -> None:
    """An event not yet delivered 2 s after its transition is in flight (WE-AUD-023: 10 s)."""
    young = we("Completed", ("AuditRecorded",))
    young["status"]["completionTime"] = "2026-12-06T10:00:18Z"  # the test stopped at 10:00:20
    folder.add("we.yaml", young)
    started = {"event_type": "workflow.started", "correlation_id": f"corr-{WE}", "namespace": NS}
    folder.add("audit.json", [started])
    assert audit_delivery(folder.evidence()) is None


def test_suite_defect_and_unknown(folder: Folder) -> None:
    folder.fields |= {"error_class": "builtins.KeyError", "message": "'no_such_fixture_key'"}
    assert diagnose(folder.evidence()).cause == causes.SUITE_DEFECT
    # a contract field the controller did not write is the controller's deviation
    folder.fields |= {"error_class": "builtins.KeyError", "message": "'completionTime'"}
    assert diagnose(folder.evidence()).cause == causes.CONTRACT_DEVIATION
    folder.fields |= {"error_class": "some.lib.Weird", "message": "odd"}
    found = diagnose(folder.evidence())
    assert found.cause == causes.UNKNOWN
    assert "(Weird)" in found.headline


def test_the_order_puts_the_environment_before_the_symptoms(folder: Folder) -> None:
    folder.add("we.yaml", we("Running")).add("controller.log", CONFLICT_LOG + "\n")
    folder.add("stack.json", stack(ds_reachable=False))
    assert diagnose(folder.evidence()).cause == causes.DATASTORAGE_UNAVAILABLE
    folder.info = RunInfo(interrupted={"signal": "SIGINT", "at": ""})
    assert diagnose(folder.evidence()).cause == causes.RUN_INTERRUPTED


def test_an_empty_folder_is_never_an_error(folder: Folder) -> None:
    folder.fields |= {"error_class": None, "message": None}
    assert diagnose(folder.evidence()).cause == causes.UNKNOWN


def test_cause_names_are_the_shared_list() -> None:
    assert set(causes.CAUSES) >= {
        "resource-version conflict", "multiple status writes per transition",
        "DataStorage unavailable", "stack component died", "run interrupted",
        "controller crashed", "controller not reconciling", "admission denied", "audit delivery",
        "contract deviation", "infrastructure missing", "configuration", "unknown",
    }  # fmt: skip


def test_without_clause_results_the_clause_the_message_names_comes_first(folder: Folder) -> None:
    folder.fields |= {
        "clauses": ("WE-AUD-021", "WE-COND-040", "WE-STAT-001"),
        "message": "Timed out after 10.03s waiting for condition AuditRecorded (status=True, "
        "reason=AuditSucceeded) on workflowexecutions.kubernaut.ai we-test-exactly-once/x.",
    }
    found = diagnose(folder.evidence())
    assert found.cause == causes.CONTRACT_DEVIATION
    assert found.clauses[0] == "WE-COND-040"


def test_a_key_error_inside_an_assert_is_a_contract_deviation(folder: Folder) -> None:
    folder.fields |= {
        "error_class": "builtins.KeyError", "message": "'finalizers'",
        "clauses": ("WE-FIN-001",),
        "longrepr": '>       assert FINALIZER in get(ref)["metadata"]["finalizers"]\n'
        "E       KeyError: 'finalizers'",
    }  # fmt: skip
    found = diagnose(folder.evidence())
    assert found.cause == causes.CONTRACT_DEVIATION
    assert found.lines[0] == "KeyError: 'finalizers'"
    assert found.mechanical == "error (KeyError) in call"


def test_a_wait_on_a_we_the_controller_never_touched_is_a_controller_that_stopped(
    folder: Folder,
) -> None:
    """Earlier WEs of the test were reconciled; the one the wait timed out on never was."""
    late = f"{WE}-after"
    folder.add("we.yaml", [we("Completed"), {**we("", name=late), "status": {}}])
    folder.add("api-calls.jsonl", [call("update", 200), call("create", 201, actor="harness",
                                                             sub="", name=late)])  # fmt: skip
    folder.add(
        "wait-history.txt",
        f"Timed out after 90.00s (timeout 90.00s) waiting for a terminal phase on "
        f"workflowexecutions.kubernaut.ai {NS}/{late}.\nProbe: ...\n",
    )
    found = controller_not_reconciling(folder.evidence())
    assert found is not None
    assert found.headline.startswith("the controller stopped reconciling")
    assert found.counts == {"WEs never reconciled": 1, "WEs reconciled before": 1}
    folder.add("wait-history.txt", f"Timed out ... on workflowexecutions.kubernaut.ai {NS}/{WE}.")
    assert controller_not_reconciling(folder.evidence()) is None  # that one was reconciled


def test_a_we_left_running_after_its_run_ended_beside_unseen_wes_is_a_controller_that_stopped(
    folder: Folder,
) -> None:
    """The watch-gives-up shape with a short API-server restart: the waited WE is Running,
    its PipelineRun finished during the outage, and the WEs created after it got nothing."""
    late = f"{WE}-after"
    folder.add("we.yaml", [we("Running"), {**we("", name=late), "status": {}}])
    folder.add("pipelinerun.yaml", pipelinerun("True"))
    folder.add("api-calls.jsonl", [call("update", 200), call("create", 201, actor="harness",
                                                             sub="", name=late)])  # fmt: skip
    folder.add("wait-history.txt", f"Timed out ... on workflowexecutions.kubernaut.ai {NS}/{WE}.")
    found = controller_not_reconciling(folder.evidence())
    assert found is not None
    assert found.cause == causes.CONTROLLER_NOT_RECONCILING
    assert found.lines[0].startswith(f"{WE}: waited on, left Running though its PipelineRun")
    assert found.lines[1] == f"{late}: no status, no controller API call"
    folder.add("api-calls.jsonl", [call("update", 200), call("update", 200, name=late)])
    assert controller_not_reconciling(folder.evidence()) is None  # it still reconciles new WEs
    folder.add("api-calls.jsonl", [call("update", 200)])
    folder.add("pipelinerun.yaml", pipelinerun("Unknown"))
    assert controller_not_reconciling(folder.evidence()) is None  # the run has not ended


def test_events_under_another_correlation_id_are_a_wrong_id_not_a_loss(folder: Folder) -> None:
    """WE-AUD-002: found by resource or target under another id, or refused for the id."""
    done = we("Completed", ("AuditRecorded",))
    done["status"]["completionTime"] = "2026-12-06T10:00:04Z"  # long overdue: "lost" otherwise
    folder.add("we.yaml", done)
    misfiled = {"event_type": "workflow.started", "correlation_id": f"rr-{WE}",
                "resource_id": WE, "namespace": NS}  # fmt: skip
    by_target = {"event_type": "workflow.completed", "correlation_id": f"rr-{WE}",
                 "event_data": {"target_resource": f"{NS}/deployment/app"}}  # fmt: skip
    folder.add("audit.json", [misfiled, by_target])
    found = audit_delivery(folder.evidence())
    assert found is not None
    assert found.cause == causes.CONTRACT_DEVIATION
    assert found.clauses == ("WE-AUD-002",)
    assert found.counts == {"events under another correlation id, or refused for it": 2}

    refused = we("Completed")
    refused["status"]["completionTime"] = "2026-12-06T10:00:04Z"
    refused["status"]["conditions"] = [{"type": "AuditRecorded", "status": "False",
        "reason": "AuditFailed", "message": "Failed to record audit event: invalid audit "
        "event: correlation_id is required"}]  # fmt: skip
    folder.add("we.yaml", refused).add("audit.json", [])
    found = audit_delivery(folder.evidence())
    assert found is not None
    assert found.cause == causes.CONTRACT_DEVIATION
    assert "correlation_id is required" in found.lines[0]

    folder.add("we.yaml", done).add("audit.json", [{**misfiled, "resource_id": "other-we"}])
    assert audit_delivery(folder.evidence()).cause == causes.AUDIT_DELIVERY  # not about this WE


def test_stopped_instances_of_isolated_tests_are_not_a_dead_stack(folder: Folder) -> None:
    """Each isolated test's private processes stop when it ends; other tests see them dead."""
    folder.add("we.yaml", we("Running"))
    folder.add("stack.json", stack(dead={"isolated-1/controller": -9, "kube-apiserver-iso-0": 0}))
    assert stack_component_died(folder.evidence()) is None
    folder.add("stack.json", stack(dead={"isolated-1/controller": -9, "etcd": 1}))
    found = stack_component_died(folder.evidence())
    assert found is not None
    assert found.headline.startswith("etcd died")
