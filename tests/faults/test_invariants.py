"""The invariants after a fault run, as pure verdicts over what was observed."""

from __future__ import annotations

from typing import Any

from wetest.errors import TriageCause
from wetest.faults import invariants

COMPLETED = [
    {"type": "TektonPipelineCreated", "status": "True"},
    {"type": "TektonPipelineRunning", "status": "True"},
    {"type": "TektonPipelineComplete", "status": "True"},
    {"type": "AuditRecorded", "status": "True"},
]


def we(name: str, phase: str, conditions: list[dict[str, str]] | None = None) -> dict[str, Any]:
    status = {"phase": phase, "startTime": "t", "conditions": conditions or []}
    return {"metadata": {"name": name}, "status": status}


def test_a_clean_lifecycle_breaks_nothing() -> None:
    tally = invariants.tally(
        [we("a", "Completed", COMPLETED)], {"a": ["workflow.completed", "workflow.started"]}
    )
    assert (tally.finished, tally.violations) == (1, [])


def test_losses_duplicates_and_lost_conditions_are_counted_and_named() -> None:
    tally = invariants.tally(
        [
            we("dup", "Completed", COMPLETED),
            we("lost", "Completed", COMPLETED),
            we("cond", "Completed", COMPLETED[:3]),
            we("stuck", "Running"),
        ],
        {
            "dup": ["workflow.completed", "workflow.started", "workflow.started"],
            "lost": ["workflow.started"],
            "cond": ["workflow.completed", "workflow.started"],
        },
    )
    assert (tally.lifecycles, tally.finished) == (4, 3)
    assert (tally.events_duplicated, tally.events_lost, tally.conditions_lost) == (1, 1, 1)
    assert sorted((v.invariant, v.we) for v in tally.violations) == [
        ("audit", "dup"),
        ("audit", "lost"),
        ("conditions", "cond"),
        ("terminal", "stuck"),
    ]
    assert "AuditRecorded=any" in str(next(v for v in tally.violations if v.we == "cond"))


def test_a_failed_lifecycle_needs_its_failure_conditions_and_event() -> None:
    failed = [
        {"type": "TektonPipelineCreated", "status": "True"},
        {"type": "TektonPipelineComplete", "status": "False"},
        {"type": "AuditRecorded", "status": "True"},
    ]
    tally = invariants.tally(
        [we("f", "Failed", failed)], {"f": ["workflow.completed", "workflow.started"]}
    )
    assert [v.detail for v in tally.violations] == [
        "phase Failed: expected one workflow.failed, got workflow.completed x1, workflow.started x1"
    ]


def test_a_second_outcome_of_the_other_kind_counts_as_a_duplicate() -> None:
    tally = invariants.tally(
        [we("a", "Completed", COMPLETED)],
        {"a": ["workflow.completed", "workflow.failed", "workflow.started"]},
    )
    assert (tally.events_duplicated, tally.events_lost, len(tally.violations)) == (1, 0, 1)


def test_a_lost_started_event_counts_only_for_a_we_that_ran() -> None:
    assert invariants.audit_violations("a", "Completed", ["workflow.completed"])
    assert not invariants.audit_violations("p", "Failed", ["workflow.failed"], ran=False)


def test_a_violation_fails_with_every_line_and_an_audit_cause() -> None:
    violations = invariants.audit_violations("a", "Completed", ["workflow.started"] * 2)
    error = invariants.InvariantViolated(violations, [{"kind": "conflicts"}])
    assert error.cause is TriageCause.AUDIT
    assert "after the faults conflicts" in str(error)
    assert "2 workflow.started events (audit, WE-AUD-021)" in str(error)
