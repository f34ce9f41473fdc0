"""Invariants that must hold after any fault run, checked by the harness, not by each test.

After the faults of a test (or a bench round) are over, for every WorkflowExecution it created:

- ``terminal``: it reaches Completed or Failed within its deadline;
- ``audit``: exactly one ``workflow.started`` (at most one when it never ran: a pre-execution
  failure has none) and exactly one terminal event (``workflow.completed`` or
  ``workflow.failed``, matching the phase) under its correlation id, still so after a quiet
  window (WE-AUD-021, WE-STAT-004);
- ``conditions``: every condition of its terminal phase is present (WE-COND-006);
- ``pipelinerun``: its PipelineRun is gone once its cooldown has passed (WE-LOCK-011).

The rules are pure functions of what was observed (:func:`audit_violations`,
:func:`condition_violations`), so a bench can count and a test can fail on the same verdicts;
:func:`observe` gathers the observations from the API server and DataStorage.
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from kubernetes import client

from wetest.domain import timestamps
from wetest.domain.naming import pipelinerun_name
from wetest.errors import TriageCause, WetestError
from wetest.kube import objects
from wetest.waiting.eventually import consistently, eventually
from wetest.waiting.expectations import Expectation, satisfies

Body = dict[str, Any]
TERMINAL_PHASES = ("Completed", "Failed")
TERMINAL_EVENTS = {"Completed": "workflow.completed", "Failed": "workflow.failed"}
GRACE = 15.0  # seconds past completion + cooldown for the PipelineRun's deletion to be seen
CLAUSES = {
    "terminal": "WE-RUN-013",
    "audit": "WE-AUD-021",
    "conditions": "WE-COND-006",
    "pipelinerun": "WE-LOCK-011",
}
"""The clause each invariant belongs to (a violation fails that clause when the test cites it)."""


@dataclass(frozen=True)
class Violation:
    """One invariant broken for one WorkflowExecution, in words a triage reader can act on."""

    invariant: str
    we: str
    detail: str

    @property
    def clause(self) -> str:
        return CLAUSES[self.invariant]

    def __str__(self) -> str:
        return f"{self.we}: {self.detail} ({self.invariant}, {self.clause})"


class InvariantViolated(WetestError, AssertionError):
    """An invariant did not hold after a fault run; the message lists every violation."""

    def __init__(self, violations: Sequence[Violation], faults: Sequence[dict[str, Any]]) -> None:
        kinds = ", ".join(str(f.get("kind")) for f in faults) or "no fault"
        lines = "\n".join(f"- {v}" for v in violations)
        super().__init__(
            f"{len(violations)} invariant violation(s) after the faults {kinds}:\n{lines}\n"
            "Each names the WorkflowExecution, what was wrong and the clause it breaks; the "
            "controller log in this test's evidence shows what it did during the fault. Fix "
            "the controller so the clause holds under the fault, then re-run."
        )
        self.violations = list(violations)
        audit = any(v.invariant == "audit" for v in violations)
        self.cause = TriageCause.AUDIT if audit else TriageCause.ASSERTION


@dataclass
class Tally:
    """What a fault run did to its lifecycles: the figures ``bench/chaos.py`` prints."""

    lifecycles: int = 0
    finished: int = 0
    events_lost: int = 0
    events_duplicated: int = 0
    conditions_lost: int = 0
    pipelineruns_left: int = 0
    violations: list[Violation] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        for name in (
            "lifecycles",
            "finished",
            "events_lost",
            "events_duplicated",
            "conditions_lost",
            "pipelineruns_left",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.violations += other.violations


def audit_violations(
    name: str, phase: str, event_types: Iterable[str], ran: bool = True
) -> list[Violation]:
    """Exactly one started (at most one if it never ran) and one terminal event (WE-AUD-021).

    ``ran``: the WE reached Running (it has a startTime, or completed): its workflow.started
    must then be there exactly once; a pre-execution failure has none.
    """
    counts = Counter(event_types)
    found: list[Violation] = []
    started = counts["workflow.started"]
    if started > 1 or (ran and started == 0):
        found.append(Violation("audit", name, f"{started} workflow.started events"))
    terminal = counts["workflow.completed"] + counts["workflow.failed"]
    wanted = TERMINAL_EVENTS.get(phase, "")
    if terminal != 1 or (wanted and counts[wanted] != 1):
        seen = ", ".join(f"{k} x{v}" for k, v in sorted(counts.items())) or "none"
        found.append(Violation("audit", name, f"phase {phase}: expected one {wanted}, got {seen}"))
    return found


def condition_violations(we: Body) -> list[Violation]:
    """The conditions of the WE's terminal phase are all there (WE-COND-006)."""
    status = we.get("status") or {}
    phase, name = status.get("phase", ""), we["metadata"]["name"]
    have = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
    if phase == "Completed":
        wanted = {
            "TektonPipelineCreated": "True",
            "TektonPipelineRunning": "True",
            "TektonPipelineComplete": "True",
            "AuditRecorded": "",
        }
    elif phase == "Failed" and have.get("TektonPipelineCreated") == "False":
        wanted = {"TektonPipelineCreated": "False", "AuditRecorded": ""}  # pre-execution
    elif phase == "Failed":
        wanted = {"TektonPipelineCreated": "True", "TektonPipelineComplete": "False"}
        wanted["AuditRecorded"] = ""
    else:
        return []
    missing = [
        f"{kind}={status or 'any'}"
        for kind, status in wanted.items()
        if kind not in have or (status and have[kind] != status)
    ]
    if not missing:
        return []
    return [Violation("conditions", name, f"phase {phase} lacks {', '.join(missing)}")]


def tally(
    wes: Sequence[Body],
    events: dict[str, list[str]],
    left: Iterable[str] = (),
    unfinished: Iterable[str] = (),
) -> Tally:
    """The verdicts over observed WEs (by name), their audit event types and PRs left behind."""
    result = Tally(lifecycles=len(wes))
    stuck, remaining = set(unfinished), set(left)
    for we in wes:
        name = we["metadata"]["name"]
        phase = (we.get("status") or {}).get("phase", "")
        if name in stuck or phase not in TERMINAL_PHASES:
            result.violations.append(
                Violation("terminal", name, f"still {phase or 'without a phase'} at its deadline")
            )
            continue
        result.finished += 1
        counts = Counter(events.get(name, []))
        wanted = TERMINAL_EVENTS[phase]
        result.events_lost += max(0, 1 - counts[wanted])
        result.events_duplicated += max(0, counts["workflow.started"] - 1)
        terminal = counts["workflow.completed"] + counts["workflow.failed"]
        result.events_duplicated += max(0, terminal - 1)  # a second, or the wrong, outcome
        ran = bool((we.get("status") or {}).get("startTime")) or phase == "Completed"
        if ran:
            result.events_lost += max(0, 1 - counts["workflow.started"])
        result.violations += audit_violations(name, phase, events.get(name, []), ran)
        conditions = condition_violations(we)
        result.conditions_lost += len(conditions)
        result.violations += conditions
        if name in remaining:
            result.pipelineruns_left += 1
            result.violations.append(
                Violation("pipelinerun", name, "its PipelineRun is still there after cooldown")
            )
    return result


# --- observing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Budget:
    """How long to wait for each part of the observation (seconds)."""

    finish: float = 90.0  # every WE terminal (a fault may hold a lifecycle up this long)
    settle: float = 30.0  # the audit events of a terminal WE arrive (spool redelivery)
    quiet: float = 2.0  # no further event arrives
    cooldown: float = 10.0  # the controller's cooldown (the PR is deleted after it)
    wait_for_cooldown: bool = True  # False: judge only WEs whose cooldown has already passed


def observe(
    api: client.ApiClient,
    audit: httpx.Client,
    wes: Sequence[Body],
    namespace: str,
    budget: Budget = Budget(),
) -> Tally:
    """Wait for the WEs to settle, read their audit trails and PipelineRuns, judge them."""
    deadline = time.monotonic() + budget.finish
    final, unfinished = _terminal(api, wes, deadline)
    events = _settled_events(audit, final, budget)
    left = _left(api, final, namespace, budget)
    return tally(final, events, left, unfinished)


def _ref(we: Body) -> objects.ObjectRef:
    return objects.ObjectRef.workflow_execution(we["metadata"]["namespace"], we["metadata"]["name"])


def _terminal(
    api: client.ApiClient, wes: Sequence[Body], deadline: float
) -> tuple[list[Body], list[str]]:
    """Each WE once terminal (watched: spans an API-server restart), else its last state."""
    final, unfinished = [], []
    for we in wes:
        left = max(deadline - time.monotonic(), 0.001)
        try:
            found = eventually(objects.Probe(api, _ref(we)), TERMINAL, timeout=left, scale=1.0)
            final.append(found if isinstance(found, dict) else we)
        except WetestError:
            final.append(objects.get_or_none(api, _ref(we)) or we)
            unfinished.append(we["metadata"]["name"])
    return final, unfinished


TERMINAL = satisfies(
    lambda we: ((we or {}).get("status") or {}).get("phase") in TERMINAL_PHASES, "terminal"
)


def _events(audit: httpx.Client, name: str) -> list[str]:
    response = audit.get(
        "/api/v1/audit/events",
        params={"correlation_id": name, "event_category": "workflow", "limit": "1000"},
    )
    response.raise_for_status()
    return sorted(str(e["event_type"]) for e in response.json()["data"])


def _settled_events(
    audit: httpx.Client, wes: Sequence[Body], budget: Budget
) -> dict[str, list[str]]:
    """Each WE's event types once its terminal event is in (or the settle budget is spent).

    Read again over the quiet window, so that a late duplicate counts.
    """
    deadline = time.monotonic() + budget.settle
    found: dict[str, list[str]] = {}
    for we in wes:
        name = we["metadata"]["name"]
        wanted = TERMINAL_EVENTS.get((we.get("status") or {}).get("phase", ""), "")
        left = max(deadline - time.monotonic(), 0.001)
        with contextlib.suppress(WetestError):
            eventually(_reader(audit, name), _has(wanted), timeout=left, scale=1.0)
    for we in wes:
        name = we["metadata"]["name"]
        found[name] = _events(audit, name)
    names = sorted(found)
    unchanged = satisfies(lambda now: now == [found[n] for n in names], "no further event")
    with contextlib.suppress(WetestError):
        consistently(
            lambda: [_events(audit, n) for n in names],
            unchanged,
            duration=budget.quiet,
            interval=0.5,
            scale=1.0,
        )
    return {n: _events(audit, n) for n in names}


def _reader(audit: httpx.Client, name: str) -> Callable[[], list[str]]:
    return lambda: _events(audit, name)


def _has(event_type: str) -> Expectation:
    return satisfies(lambda types: event_type in types, f"a {event_type} event")


def _left(api: client.ApiClient, wes: Sequence[Body], namespace: str, budget: Budget) -> list[str]:
    """WEs whose PipelineRun still exists once completion + cooldown (+ grace) has passed.

    Without ``wait_for_cooldown`` only WEs already past that point are judged: the check then
    costs nothing, and a quick fault test does not wait out the cooldown (``we_long`` ones do).
    """
    cooldown = budget.cooldown
    left = []
    for we in wes:
        completed = timestamps.parse((we.get("status") or {}).get("completionTime"))
        if completed is None:
            continue
        since = (timestamps.now() - completed).total_seconds()
        if not budget.wait_for_cooldown and since < cooldown + GRACE:
            continue
        ref = objects.ObjectRef.pipeline_run(
            namespace, pipelinerun_name(we["spec"]["targetResource"])
        )
        try:
            eventually(
                objects.Probe(api, ref),
                satisfies(lambda pr: pr is None, "deleted"),
                timeout=max(cooldown + GRACE - since, 0.001),
                scale=1.0,
            )
        except WetestError:
            left.append(we["metadata"]["name"])
    return left
