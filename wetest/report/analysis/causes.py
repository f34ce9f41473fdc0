"""The names of root causes, the kinds and severities of problems, and one test's Finding.

The cause names are a shared interface: mutants declare ``expected_root_cause`` with one of
them and the accuracy bench compares it with the cause of the report's first group, so a name
never changes once published. ``Finding.to_json`` is the ``root_cause`` field of results.jsonl.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

RESOURCE_VERSION_CONFLICT = "resource-version conflict"
MULTIPLE_STATUS_WRITES = "multiple status writes per transition"
DATASTORAGE_UNAVAILABLE = "DataStorage unavailable"
STACK_COMPONENT_DIED = "stack component died"
RUN_INTERRUPTED = "run interrupted"
CONTROLLER_CRASHED = "controller crashed"
CONTROLLER_NOT_RECONCILING = "controller not reconciling"
ADMISSION_DENIED = "admission denied"
AUDIT_DELIVERY = "audit delivery"
CONTRACT_DEVIATION = "contract deviation"
INFRASTRUCTURE_MISSING = "infrastructure missing"
CONFIGURATION = "configuration"
SUITE_DEFECT = "suite defect"
UNKNOWN = "unknown"

CAUSES = (
    RUN_INTERRUPTED,
    INFRASTRUCTURE_MISSING,
    CONFIGURATION,
    DATASTORAGE_UNAVAILABLE,
    STACK_COMPONENT_DIED,
    CONTROLLER_CRASHED,
    CONTROLLER_NOT_RECONCILING,
    ADMISSION_DENIED,
    RESOURCE_VERSION_CONFLICT,
    MULTIPLE_STATUS_WRITES,
    AUDIT_DELIVERY,
    CONTRACT_DEVIATION,
    SUITE_DEFECT,
    UNKNOWN,
)
"""Every cause, most explanatory first: the order in which groups are reported."""


class Kind(enum.StrEnum):
    """What sort of problem a cause is, which decides who acts on it."""

    CONTROLLER_DEFECT = "controller-defect"
    ENVIRONMENT = "environment"
    SUITE_DEFECT = "suite-defect"
    INTERRUPTED = "interrupted"
    UNKNOWN = "unknown"


KIND_TEXT = {
    Kind.CONTROLLER_DEFECT: "controller defect against a clause",
    Kind.ENVIRONMENT: "environment/infrastructure (expected, not a code defect)",
    Kind.SUITE_DEFECT: "suspected suite defect",
    Kind.INTERRUPTED: "run interrupted (not a verdict on the controller)",
    Kind.UNKNOWN: "unexplained",
}


class Severity(enum.StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


SEVERITY_RANK = {Severity.CRITICAL: 0, Severity.HIGH: 1, Severity.MEDIUM: 2, Severity.LOW: 3}


@dataclass(frozen=True)
class Finding:
    """Why one test failed: the cause, the clauses it breaks, the proof, and what to do next.

    ``headline`` must not carry per-test numbers: tests whose findings share cause and headline
    form one group, and the counts are summed there. ``mechanical`` is how the test itself
    failed (wait timeout, assertion, error in setup), kept visible as a detail.
    """

    cause: str
    kind: Kind
    severity: Severity
    headline: str
    next_action: str
    clauses: tuple[str, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)
    lines: tuple[str, ...] = ()
    mechanical: str = ""
    command: str = ""
    corroborated: bool = True
    """False when only the test's own message supports the cause (no API call, log, object).

    Such a finding joins a corroborated group of the same cause when the run has one.
    """

    def to_json(self) -> dict[str, Any]:
        """The ``root_cause`` record of results.jsonl (shared interface 3)."""
        return {
            "cause": self.cause,
            "kind": str(self.kind),
            "severity": str(self.severity),
            "clauses": list(self.clauses),
            "headline": self.headline,
            "evidence": {"counts": dict(self.counts), "lines": list(self.lines)},
            "next_action": self.next_action,
            "mechanical": self.mechanical,
        }
