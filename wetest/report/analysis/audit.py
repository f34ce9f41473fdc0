"""Analyzer for audit delivery: events duplicated or lost per correlation id (WE-AUD-020/021).

The audit trail DataStorage holds for the test's WEs (audit.json) is compared with what the
final WE says happened: at most one ``workflow.started``, exactly one terminal event once the
WE is terminal, and a ``workflow.started`` once it ran.
"""

from __future__ import annotations

import collections
import re
from typing import Any

from wetest.domain import audit as domain_audit
from wetest.report.analysis.causes import (
    AUDIT_DELIVERY,
    CONTRACT_DEVIATION,
    Finding,
    Kind,
    Severity,
)
from wetest.report.analysis.evidence import Evidence, instant

STARTED = "workflow.started"
TERMINAL = {"Completed": "workflow.completed", "Failed": "workflow.failed"}
_SAID = re.compile(r"\baudit\b.*\b(duplicate|twice|exactly once|lost|missing)\b", re.I)
HEADLINE = (
    "audit events {what} per correlation id — each committed transition must be audited "
    "exactly once, none for a write that did not commit (WE-STAT-004, WE-AUD-020)"
)
NEXT_ACTION = (
    "Emit the audit event once, after the status write that commits its transition has "
    "succeeded — never inside the retry-on-conflict loop (WE-STAT-004, WE-AUD-020/021)."
)
CLAUSES = ("WE-STAT-004", "WE-AUD-020", "WE-AUD-021")


def audit_delivery(ev: Evidence) -> Finding | None:
    """Duplicated or lost audit events for the test's correlation ids, with the counts."""
    if not ev.wes:
        return _said_by_test(ev)
    deviation = correlation_deviation(ev)
    if deviation:
        return deviation
    # One event per event_id (two WEs sharing a correlation id fetch the same events twice);
    # keyed by namespace too: WEs of one name in two namespaces share the WE-name fallback.
    unique = {str(e.get("event_id") or id(e)): e for e in ev.audit}.values()
    seen = collections.Counter(
        (_cid(e), str(e.get("namespace") or ""), str(e.get("event_type") or "")) for e in unique
    )
    duplicated: dict[str, int] = {}
    lost: list[str] = []
    for we in ev.wes:
        cid, phase = (
            domain_audit.correlation_id(we),
            str((we.get("status") or {}).get("phase") or ""),
        )
        ns = str((we.get("metadata") or {}).get("namespace") or "")
        expected = _expected(we, phase)
        for kind, n in seen.items():
            if kind[:2] == (cid, ns) and n > 1:
                duplicated[f"{cid} {kind[2]}"] = n
        lost += [
            f"{cid} {t}" for t in expected if not seen.get((cid, ns, t)) and _overdue(ev, we, t)
        ]
        terminal = [seen.get((cid, ns, t), 0) for t in TERMINAL.values()]
        if phase in TERMINAL and all(n == 1 for n in terminal):  # completed AND failed
            duplicated[f"{cid} terminal events (completed and failed)"] = 2
    if not duplicated and not (lost and _audit_expected(ev)):
        return None
    counts = {"duplicated events": sum(n - 1 for n in duplicated.values())}
    counts["lost events"] = len(lost) if _audit_expected(ev) else 0
    lines = [f"{key}: {n} events (expected 1)" for key, n in duplicated.items()]
    lines += [f"{key}: no event in DataStorage" for key in lost if _audit_expected(ev)]
    return _finding("duplicated" if duplicated else "lost", counts, tuple(lines[:5]))


def correlation_deviation(ev: Evidence) -> Finding | None:
    """The test's events are missing because their correlation id is wrong (WE-AUD-002).

    Two proofs: events about the WE filed under another correlation id (the collector adds
    the workflow events that name the WE by resource and namespace, or by target, whatever
    their correlation id), or the controller's own AuditRecorded=False saying it refused the
    event for its correlation_id (WE-COND-041). Either way nothing was lost in delivery; the
    controller computes the correlation id wrongly, and the fix is that computation.
    """
    wrong: dict[tuple[str, str], int] = {}
    for we in ev.wes:
        expected = domain_audit.correlation_id(we)
        for event in ev.audit:
            if _cid(event) != expected and domain_audit.is_about(event, we):
                key = (expected, repr(_cid(event)))
                wrong[key] = wrong.get(key, 0) + 1
        refused = _refused_for_correlation(we)
        if refused:
            wrong[(expected, f"none: the controller says {refused!r}")] = 1
    if not wrong:
        return None
    return Finding(
        cause=CONTRACT_DEVIATION,
        kind=Kind.CONTROLLER_DEFECT,
        severity=Severity.HIGH,
        headline="the audit events carry the wrong correlation id — it must be the WE's "
        "kubernaut.ai/correlation-id label when non-empty, otherwise the WE name (WE-AUD-002)",
        next_action="Compute correlation_id from the label kubernaut.ai/correlation-id, and use "
        "the WE name when the label is absent or empty (WE-AUD-002).",
        clauses=("WE-AUD-002",),
        counts={"events under another correlation id, or refused for it": sum(wrong.values())},
        lines=tuple(
            f"expected correlation_id {exp!r}; {n} event(s) under {got}"
            for (exp, got), n in list(wrong.items())[:5]
        ),
    )


def _refused_for_correlation(we: dict[str, Any]) -> str:
    """The AuditRecorded=False message when it blames the event's correlation_id, else ""."""
    for cond in (we.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "AuditRecorded" and cond.get("status") == "False":
            message = str(cond.get("message") or "")
            if "correlation_id" in message or "correlation id" in message.lower():
                return message
    return ""


def _said_by_test(ev: Evidence) -> Finding | None:
    """No WE evidence, but the test's assertion is about duplicated or lost audit events."""
    said = next((line for line in ev.message.splitlines() if _SAID.search(line)), "")
    if not said:
        return None
    what = "duplicated" if re.search(r"duplicate|twice", said, re.I) else "lost"
    return _finding(what, {"audit assertions failed": 1}, (said,), corroborated=False)


def _finding(
    what: str, counts: dict[str, int], lines: tuple[str, ...], corroborated: bool = True
) -> Finding:
    """The one audit-delivery finding, from the audit trail or from the test's own words."""
    return Finding(
        cause=AUDIT_DELIVERY,
        kind=Kind.CONTROLLER_DEFECT,
        severity=Severity.HIGH,
        headline=HEADLINE.format(what=what),
        next_action=NEXT_ACTION,
        clauses=CLAUSES,
        counts=counts,
        lines=lines,
        corroborated=corroborated,
    )


def _expected(we: dict[str, Any], phase: str) -> list[str]:
    """The events the WE's final state implies; a WE that never started has no started event."""
    status = we.get("status") or {}
    started = [STARTED] if status.get("startTime") or status.get("pipelineRunRef") else []
    if phase == "Running":
        return started
    if phase in TERMINAL:
        return [*started, TERMINAL[phase]]
    return []


DELIVERY_SECONDS = 10.0
"""WE-AUD-023: events are queryable within 10 s of the transition; younger ones are not lost."""


def _overdue(ev: Evidence, we: dict[str, Any], event_type: str) -> bool:
    """The event's transition is more than DELIVERY_SECONDS older than the test's end.

    Evidence is collected when the test fails, often right after the transition it was
    watching; an event not delivered yet then is in flight, not lost. A transition time the
    WE does not show (a harness-written status) proves nothing either.
    """
    status = we.get("status") or {}
    key = "startTime" if event_type == STARTED else "completionTime"
    at, end = instant(str(status.get(key) or "")), instant(ev.result.stop)
    return at is not None and end is not None and end - at > DELIVERY_SECONDS


def _audit_expected(ev: Evidence) -> bool:
    """Loss is only evidence when the audit trail was collected at all (audit.json exists)."""
    return bool(ev.text("audit.json"))


def _cid(event: dict[str, Any]) -> str:
    return str(event.get("correlation_id") or "")
