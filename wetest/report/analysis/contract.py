"""The last analyzers: a contract deviation on a named clause, a suspected suite defect, unknown.

They run after every analyzer that can name a mechanism, so "contract deviation" means the
controller really did something other than the clause says and nothing in the environment or
the writes explains it. The clause comes from the test's per-clause results when the run has
them (``clause_results``), else from the clauses the test cites.
"""

from __future__ import annotations

import functools
import re

from wetest.report import clauses as catalogue
from wetest.report.analysis.causes import (
    CONTRACT_DEVIATION,
    SUITE_DEFECT,
    UNKNOWN,
    Finding,
    Kind,
    Severity,
)
from wetest.report.analysis.evidence import Evidence

ASSERTIONS = (
    "AssertionError",
    "WaitTimeout",
    "TerminalStateReached",
    "ConsistencyViolated",
    "MalformedAuditEvent",
    "SoftChecksFailed",  # wetest.checks: soft checks of named clauses failed (an AssertionError)
)
PROGRAMMING_ERRORS = (
    "TypeError",
    "KeyError",
    "AttributeError",
    "NameError",
    "ImportError",
    "ModuleNotFoundError",
    "IndexError",
    "UnboundLocalError",
    "SyntaxError",
)
_FIXTURE_MISSING = re.compile(r"fixture '[^']+' not found")
_E_LINE = re.compile(r"^E\s+(.*\S)", re.M)
_FAILING_LINE = re.compile(r"^>\s+(.*\S)", re.M)
WAIT_TAIL = 3
_WORD = re.compile(r"[a-z][a-z0-9]{5,}")
"""Words long enough to be distinctive (``auditrecorded``, ``completiontime``, ``pipelinerun``)."""


def contract_deviation(ev: Evidence) -> Finding | None:
    """An assertion of the test failed: expected vs observed on the clause it checks.

    A KeyError (or similar) raised inside an ``assert`` line counts too: the check looked for
    a field the controller's object lacks (``assert X in we["metadata"]["finalizers"]``).
    """
    if ev.error_name not in ASSERTIONS and not _inside_assert(ev) and not _missing_field(ev):
        return None
    failing = failed_clauses(ev)
    lines = [*assertion_lines(ev), *ev.wait_history.splitlines()[-WAIT_TAIL:]]
    profile = _profile(failing)
    return Finding(
        cause=CONTRACT_DEVIATION,
        kind=Kind.CONTROLLER_DEFECT,
        severity=Severity.HIGH if profile == "Core" else Severity.MEDIUM,
        headline=_deviation_headline(failing),
        next_action="Compare the observed value with the clause text and change the controller "
        "to do what the clause says; if the clause allows the observed behaviour, the check "
        "is a suite defect: report it.",
        clauses=failing,
        counts={
            "failed checks": max(
                1, sum(r.result == "failed" for r in ev.result.clause_results.values())
            )
        },
        lines=tuple(lines),
    )


CONTRACT_FIELDS = frozenset(
    {
        "status",
        "phase",
        "startTime",
        "completionTime",
        "duration",
        "pipelineRunRef",
        "pipelineRunStatus",
        "failureDetails",
        "conditions",
        "finalizers",
        "labels",
        "annotations",
        "reason",
        "message",
        "exitCode",
        "failedTaskName",
        "failedTaskIndex",
        "failedAt",
        "executionTimeBeforeFailure",
        "totalTasks",
        "naturalLanguageSummary",
        "wasExecutionFailure",
        "event_data",
        "correlation_id",
    }
)
"""Fields the contract requires (DOMAIN §1.3, §1.4, §4.2): a test that reads one the
controller did not write raises KeyError: the controller deviates, the suite is fine."""


def _missing_field(ev: Evidence) -> bool:
    return ev.error_name == "KeyError" and ev.message.strip("'\" ") in CONTRACT_FIELDS


def _inside_assert(ev: Evidence) -> bool:
    """The failing source line (pytest's ``>`` line) is an assert statement."""
    if ev.error_name not in PROGRAMMING_ERRORS:
        return False
    failing = _FAILING_LINE.findall(ev.longrepr)
    return bool(failing) and failing[-1].startswith("assert ")


def suite_defect(ev: Evidence) -> Finding | None:
    """The test code itself broke (a Python programming error or a fixture that does not exist)."""
    fixture = _FIXTURE_MISSING.search(ev.longrepr)
    if (ev.error_name not in PROGRAMMING_ERRORS and not fixture) or _missing_field(ev):
        return None
    what = fixture.group(0) if fixture else ev.error_name
    return Finding(
        cause=SUITE_DEFECT,
        kind=Kind.SUITE_DEFECT,
        severity=Severity.MEDIUM,
        headline=f"the test code raised {what} before it could judge the controller "
        "(suspected suite defect)",
        next_action="Read the traceback's last frame in the suite: fix the test (or its "
        "fixture), or, if the controller's output is malformed, assert that with a clause.",
        clauses=ev.result.clauses,
        counts={"programming errors": 1},
        lines=tuple(assertion_lines(ev) or [ev.message]),
    )


def unknown(ev: Evidence) -> Finding:
    """What remains: no analyzer explains the failure; the error type is named."""
    name = ev.error_name or "an error without an exception class"
    return Finding(
        cause=UNKNOWN,
        kind=Kind.UNKNOWN,
        severity=Severity.MEDIUM,
        headline=f"no analyzer explains these failures ({name})",
        next_action="Read the traceback and the evidence files; if it is an infrastructure or "
        "API problem, raise it as a wetest error so the next report names its cause.",
        clauses=ev.result.clauses,
        counts={"unexplained failures": 1},
        lines=tuple(assertion_lines(ev) or ([ev.message] if ev.message else [])),
    )


def failed_clauses(ev: Evidence) -> tuple[str, ...]:
    """The clauses whose checks failed (per-clause results), else the clauses the test cites.

    Without per-clause results, the cited clause whose text shares the most words with the
    failure message comes first (``waiting for condition AuditRecorded`` → WE-COND-040).
    """
    results = ev.result.clause_results
    failed = tuple(c for c, r in results.items() if r.result == "failed")
    if failed:
        return failed
    prose = " ".join(t for t in ev.message.lower().split() if "-" not in t and "/" not in t)
    words = set(_WORD.findall(prose))  # object names (we-test-exactly-once-…) are not prose
    known = _catalogue()

    def shared(clause: str) -> int:
        title = known[clause].title.lower() if clause in known else ""
        found = set(_WORD.findall(title))  # "finalizers" in a message names "finalizer"
        return sum(any(w.startswith(t) or t.startswith(w) for t in found) for w in words)

    return tuple(sorted(ev.result.clauses, key=shared, reverse=True))


def assertion_lines(ev: Evidence) -> list[str]:
    """The ``E   ...`` lines of the traceback (expected vs observed), else the message."""
    found = [m.group(1) for m in _E_LINE.finditer(ev.longrepr)][:4]
    if found:
        return found
    return [ev.message] if ev.message else []


def _deviation_headline(failing: tuple[str, ...]) -> str:
    if not failing:
        return "an assertion failed in a test that cites no clause"
    known = _catalogue()
    first = failing[0]
    title = known[first].title if first in known else ""
    more = f" (+{len(failing) - 1} more)" if len(failing) > 1 else ""
    text = f"the controller deviates from {first}{more}"
    return f"{text}: {title}" if title else text


def _profile(failing: tuple[str, ...]) -> str:
    known = _catalogue()
    profiles = {known[c].profile for c in failing if c in known}
    return "Core" if "Core" in profiles else (next(iter(profiles)) if profiles else "")


@functools.cache
def _catalogue() -> dict[str, catalogue.Clause]:
    try:
        return catalogue.load()
    except (OSError, ValueError):
        return {}
