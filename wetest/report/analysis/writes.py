"""Analyzers for status writes: 409 conflicts that lost a change, several writes per transition.

Both read the API calls when the run recorded them (api-calls.jsonl) and fall back to the
controller log, where a controller that logs its 409s with the API's text (the reference does,
at INFO) still proves the conflict. What never got committed comes from comparing the final WE
(we.yaml) with what the transition needed: a phase the PipelineRun already implies, or the
AuditRecorded condition of a phase that was reached.
"""

from __future__ import annotations

import re
from typing import Any

from wetest.report.analysis.causes import (
    MULTIPLE_STATUS_WRITES,
    RESOURCE_VERSION_CONFLICT,
    Finding,
    Kind,
    Severity,
)
from wetest.report.analysis.evidence import (
    ApiCall,
    Evidence,
    condense,
    instant,
    log_time,
    run_outcome,
)

_CONFLICT = re.compile(
    r"the object has been modified|Operation cannot be fulfilled|\b409\b.*Conflict|"
    r"\bconflict on\b",
    re.I,
)
_STARTED = ("Running", "Completed", "Failed")
_READS = ("get", "list", "watch")
SAME_RECONCILE_SECONDS = 1.0
"""Without any controller read in the API calls, writes this close belong to one reconcile."""


def resource_version_conflict(ev: Evidence) -> Finding | None:
    """The controller's status writes got 409 and a change of the transition never landed.

    A 409 the test provoked (it wrote the WE between the controller's read and write) is the
    test's premise; one the controller recovered from (it re-read and the WE moved on) is
    tolerated (WE-STAT-001). Neither is a root cause. What is: a 409 on a second status write
    of one reconcile (stale resourceVersion, WE-STAT-002), or a change never re-applied.
    """
    if ev.api_calls is not None:
        return _from_api_calls(ev)
    return _from_log(ev)


def is_conflict(call: ApiCall) -> bool:
    """A 409 whose Status reason is Conflict (stale write), not AlreadyExists (a name clash).

    A record without a reason (a run from before reasons were kept) counts by its code.
    """
    return call.code == 409 and call.reason in ("Conflict", "")


def _from_api_calls(ev: Evidence) -> Finding | None:
    everything = [c for c in _status_calls(ev) if is_conflict(c)]
    if not everything:
        return _seen_by_test(ev)
    own, stale = own_conflicts(ev)
    if not own:
        return None  # every 409 followed a write of the test itself: injected on purpose
    lost = uncommitted(ev.wes, ev.pipelineruns)
    writes = _status_calls(ev)
    retried = any(c.ok for c in writes if c.time > own[-1].time)
    if not stale and retried:
        return None
    lines = [c.describe() for c in own[:3]]
    return _finding(ev, len(own), lines, lost, len(stale))


def _from_log(ev: Evidence) -> Finding | None:
    """Only the controller's own log: 409 times are compared with the WE's transition times."""
    logged = [line for line in ev.controller_log if _CONFLICT.search(line)]
    if not logged:
        return _seen_by_test(ev)
    lost = uncommitted(ev.wes, ev.pipelineruns)
    times = [t for t in (log_time(line) for line in logged) if t is not None]
    moments = transition_times(ev.wes)
    stale = (
        "AuditRecorded" in lost
        and bool(moments)
        and all(any(m - 1.0 <= t <= m + 2.0 for t in times) for m in moments)
    )
    recovered = bool(moments and times) and max(moments) > max(times, default=0.0) + 1.0
    if not stale and (recovered or not lost):
        return None
    lines = [condense(line) for line in logged[:3]]
    return _finding(ev, len(logged), lines, lost, len(moments) if stale else 0)


def _finding(ev: Evidence, count: int, lines: list[str], lost: list[str], stale: int) -> Finding:
    counts = {"409 Conflict on workflowexecutions/status": count}
    counts |= {f"never committed: {what}": 1 for what in lost}
    lines = lines + [f"{_we_ref(ev)}: {what} missing from the final object" for what in lost]
    if stale:
        counts["second status write in one reconcile"] = stale
        return Finding(
            cause=RESOURCE_VERSION_CONFLICT,
            kind=Kind.CONTROLLER_DEFECT,
            severity=Severity.HIGH,
            headline="status writes refused with 409 Conflict — the controller wrote status "
            "twice in one reconcile (WE-STAT-002), the second time with the stale "
            "resourceVersion, so that write was never committed",
            next_action="Merge the transition and the AuditRecorded condition into one status "
            "write per reconcile; on a 409, re-read and re-apply (see WE-STAT-002/004, "
            "WE-STAT-001).",
            clauses=_clauses("WE-STAT-002", "WE-STAT-004", lost),
            counts=counts,
            lines=tuple(lines),
        )
    return Finding(
        cause=RESOURCE_VERSION_CONFLICT,
        kind=Kind.CONTROLLER_DEFECT,
        severity=Severity.HIGH,
        headline="status writes refused with 409 Conflict and never re-applied — the controller "
        "dropped the change instead of re-reading the object (WE-STAT-001)",
        next_action="On a 409, re-read the WorkflowExecution, check the re-read phase and "
        "re-apply the change (retry on conflict; see WE-STAT-001/003).",
        clauses=_clauses("WE-STAT-001", "WE-STAT-003", lost),
        counts=counts,
        lines=tuple(lines),
    )


def own_conflicts(ev: Evidence) -> tuple[list[ApiCall], list[ApiCall]]:
    """The controller's 409s that the test did not provoke, and the stale ones among them.

    Walking every call on the test's WEs in time order: a controller read starts a reconcile.
    A 409 after a successful controller status write of the same reconcile (no read between,
    within SAME_RECONCILE_SECONDS) is stale: the controller wrote twice from one read, and its
    own first write made the second stale whatever the test wrote meanwhile. A 409 after a
    harness write is otherwise injected, even when the controller wrote in an earlier
    reconcile (the no-audit-recorded mutant under churn: its writes a second apart, from its
    watch, with the test's patches between).
    """
    names = ev.we_names
    own: list[ApiCall] = []
    stale: list[ApiCall] = []
    wrote = ""  # the time of the controller's last successful status write since a read
    provoked = False  # a harness write since that write (or the read)
    for call in ev.api_calls or []:
        if call.resource != "workflowexecutions" or call.name not in names:
            continue
        if call.actor == "controller" and call.verb in _READS:
            wrote, provoked = "", False
        elif call.actor == "harness" and call.is_write:
            provoked = True
        elif call.actor == "controller" and call.subresource == "status" and call.is_write:
            if is_conflict(call):
                twice = bool(wrote) and (not provoked or not _gap(wrote, call.time))
                if twice or not provoked:
                    own.append(call)
                if twice:
                    stale.append(call)
            if call.ok:
                wrote, provoked = call.time, False
    return own, stale


def transition_times(wes: list[dict[str, Any]]) -> list[float]:
    """The WEs' startTime and completionTime: the instants of their audited transitions."""
    found = []
    for we in wes:
        status = we.get("status") or {}
        for key in ("startTime", "completionTime"):
            at = instant(str(status.get(key) or "").replace("Z", "+00:00"))
            if at is not None:
                found.append(at)
    return found


def _seen_by_test(ev: Evidence) -> Finding | None:
    """No controller evidence, but the test itself failed with ResourceConflict (by class).

    The class, not the text: an AlreadyExists 409 (a name clash) says "already exists" and is
    no stale write, and an assertion that quotes a 409 did not fail on one.
    """
    if ev.error_name != "ResourceConflict":
        return None
    seen = next((line for line in ev.message.splitlines() if line.strip()), "")
    return Finding(
        cause=RESOURCE_VERSION_CONFLICT,
        kind=Kind.CONTROLLER_DEFECT,
        severity=Severity.HIGH,
        headline="a write on the test's WorkflowExecution was refused with 409 Conflict "
        "(the object has been modified); no API-call or log evidence shows whose write",
        next_action="Find the stale writer: the controller must persist a transition in one "
        "status write and re-read on conflict (WE-STAT-001/002); a harness write must retry "
        "on conflict (WE-STAT-005).",
        clauses=("WE-STAT-001", "WE-STAT-002", "WE-STAT-005"),
        counts={"409 Conflict seen by the test": 1},
        lines=(seen or ev.message,),
        corroborated=False,
    )


def multiple_status_writes(ev: Evidence) -> Finding | None:
    """More than one successful controller status write inside one reconcile (WE-STAT-002)."""
    if ev.api_calls is None or not _judges_write_discipline(ev):
        return None
    bursts = [b for b in reconciles(ev) if sum(c.ok and c.is_write for c in b) > 1]
    if not bursts:
        return None
    writes = [c for b in bursts for c in b if c.ok and c.is_write]
    return Finding(
        cause=MULTIPLE_STATUS_WRITES,
        kind=Kind.CONTROLLER_DEFECT,
        severity=Severity.MEDIUM,
        headline="one phase transition was persisted with more than one status write "
        "(WE-STAT-002): observers saw the WE half-updated",
        next_action="Write each transition's phase, times, refs and conditions in one status "
        "write (WE-STAT-002); only AuditRecorded may follow in a second write (WE-STAT-004).",
        clauses=("WE-STAT-002",),
        counts={
            "reconciles with >1 status write": len(bursts),
            "status writes in them": len(writes),
        },
        lines=tuple(c.describe() for c in writes[:4]),
    )


def _judges_write_discipline(ev: Evidence) -> bool:
    """The failing check is about WE-STAT-002 (or, without per-clause results, cites it).

    Write bursts are read from API calls without bodies, and a correct controller may write
    twice within a second in two reconciles (the Running write, then the first progress
    write): alone they prove nothing, so they only explain a failure of the clause itself.
    """
    results = ev.result.clause_results
    if results:
        return any(c == "WE-STAT-002" and r.result == "failed" for c, r in results.items())
    return "WE-STAT-002" in ev.result.clauses


def uncommitted(wes: list[dict[str, Any]], prs: list[dict[str, Any]]) -> list[str]:
    """What the final WEs lack although their transition happened: a condition or a phase."""
    lost: list[str] = []
    for we in wes:
        status = we.get("status") or {}
        phase = str(status.get("phase") or "")
        types = {str(c.get("type")) for c in status.get("conditions") or [] if isinstance(c, dict)}
        if phase in _STARTED and "AuditRecorded" not in types:
            lost.append("AuditRecorded")
        done = _pipelinerun_outcome(prs)
        if phase in ("", "Pending") and prs:
            lost.append("phase Running")
        elif phase == "Running" and done:
            lost.append(f"phase {done}")
    return list(dict.fromkeys(lost))


def reconciles(ev: Evidence) -> list[list[ApiCall]]:
    """The controller's status writes on the test's WEs, split into reconciles.

    A controller read of the WE starts a new reconcile; when the API calls hold no reads at
    all, a pause longer than SAME_RECONCILE_SECONDS does.
    """
    names = ev.we_names
    calls = [
        c
        for c in ev.api_calls or []
        if c.actor == "controller" and c.resource == "workflowexecutions" and c.name in names
    ]
    has_reads = any(c.verb in _READS for c in calls)
    bursts: list[list[ApiCall]] = [[]]
    last = ""
    for call in calls:
        if call.verb in _READS or (not has_reads and _gap(last, call.time)):
            bursts.append([])
        if call.subresource == "status" and call.verb in ("update", "patch"):
            bursts[-1].append(call)
        last = call.time
    return [b for b in bursts if b]


def _status_calls(ev: Evidence) -> list[ApiCall]:
    return [
        c
        for c in ev.api_calls or []
        if c.actor == "controller"
        and c.resource == "workflowexecutions"
        and c.subresource == "status"
        and c.name in ev.we_names
    ]


def _gap(before: str, after: str) -> bool:
    a, b = instant(before), instant(after)
    return a is not None and b is not None and b - a > SAME_RECONCILE_SECONDS


def _pipelinerun_outcome(prs: list[dict[str, Any]]) -> str:
    return next((done for pr in prs if (done := run_outcome(pr))), "")


def _clauses(first: str, second: str, lost: list[str]) -> tuple[str, ...]:
    extra = ("WE-COND-040",) if "AuditRecorded" in lost else ()
    return (first, second, *extra)


def _we_ref(ev: Evidence) -> str:
    we = ev.wes[0] if ev.wes else {}
    meta = we.get("metadata") or {}
    return f"{meta.get('namespace', '?')}/{meta.get('name', '?')} (we.yaml)"
