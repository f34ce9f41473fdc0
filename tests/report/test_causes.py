"""Failures are grouped by cause: the recorded cause, the error class, then message text."""

from __future__ import annotations

import pytest

from wetest.errors import TriageCause
from wetest.report import actions, causes, results


def failed(
    error_class: str | None, cause: str | None = None, message: str = ""
) -> results.TestResult:
    return results.TestResult(
        nodeid="t.py::t", outcome="failed", error_class=error_class, cause=cause,
        message=message or None,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("error_class", "expected"),
    [
        ("wetest.errors.DependencyMissing", TriageCause.MISSING_INFRASTRUCTURE),
        ("wetest.errors.StartupFailed", TriageCause.MISSING_INFRASTRUCTURE),
        ("wetest.errors.PortInUse", TriageCause.MISSING_INFRASTRUCTURE),
        ("wetest.errors.DependencyDied", TriageCause.MISSING_INFRASTRUCTURE),
        ("wetest.errors.AuditServiceError", TriageCause.MISSING_INFRASTRUCTURE),
        ("wetest.errors.ResourceConflict", TriageCause.CONFLICT),
        ("wetest.errors.WaitTimeout", TriageCause.TIMEOUT),
        ("wetest.errors.ControllerCrashed", TriageCause.CONTROLLER_CRASH),
        ("wetest.errors.ConfigError", TriageCause.CONFIGURATION),
        ("wetest.errors.TerminalStateReached", TriageCause.ASSERTION),
        ("AssertionError", TriageCause.ASSERTION),
        ("builtins.KeyError", TriageCause.UNKNOWN),
        (None, TriageCause.UNKNOWN),
    ],
)
def test_error_class_decides_when_no_cause_was_recorded(
    error_class: str | None, expected: TriageCause
) -> None:
    assert causes.classify(failed(error_class)) is expected


def test_recorded_cause_wins_over_the_class() -> None:
    result = failed("builtins.RuntimeError", cause="controller crash")
    assert causes.classify(result) is TriageCause.CONTROLLER_CRASH


@pytest.mark.parametrize(
    "message",
    [
        "audit event workflow.started duplicate: seen 2 times",
        "expected exactly once audit delivery of workflow.completed, got 0",
        "audit events lost while DataStorage was down: 3",
    ],
)
def test_audit_loss_or_duplication_is_read_from_assertion_text(message: str) -> None:
    assert causes.classify(failed("AssertionError", "assertion", message)) is TriageCause.AUDIT


def test_a_409_from_a_foreign_exception_is_a_conflict() -> None:
    result = failed(
        "kubernetes.client.exceptions.ApiException", None, "the object has been modified"
    )
    assert causes.classify(result) is TriageCause.CONFLICT


def test_an_assertion_about_audit_fields_stays_an_assertion() -> None:
    result = failed("AssertionError", None, "audit event_category was 'x'")
    assert causes.classify(result) is TriageCause.ASSERTION


def test_groups_put_root_causes_first_and_skip_passed_tests() -> None:
    passed = results.TestResult(nodeid="ok.py::t", outcome="passed")
    items = [failed("AssertionError"), passed, failed("wetest.errors.DependencyMissing")]
    groups = causes.group(items)
    assert [g.cause for g in groups] == [TriageCause.MISSING_INFRASTRUCTURE, TriageCause.ASSERTION]


def test_unknown_group_names_the_error_types_in_its_action() -> None:
    group = causes.group([failed("builtins.KeyError"), failed("builtins.OSError")])[0]
    assert group.error_types == ("KeyError", "OSError")
    assert actions.next_action(group).text.endswith("Error types: KeyError, OSError.")


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("Data Storage REQUIRED but not available. Run: wetest up", "wetest up"),
        (
            "etcd was not found. Looked in PATH. Run: wetest assets install.",
            "wetest assets install",
        ),
        (
            "Something.\nRun: `wetest up --components datastorage`\nmore",
            "wetest up --components datastorage",
        ),
        ("no command here", ""),
    ],
)
def test_run_command_is_extracted_from_the_message(text: str, command: str) -> None:
    assert actions.run_command(text) == command


def test_infrastructure_without_a_command_points_at_doctor() -> None:
    group = causes.group([failed("wetest.errors.StartupFailed", message="etcd exited.")])[0]
    assert actions.next_action(group).command == "wetest doctor"
