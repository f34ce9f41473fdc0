"""Analyzers for a controller that is gone, silent, or refused by admission.

A crashed or silent controller explains every timeout that follows, so these run before the
analyzers that read individual writes; admission denials come next because a write the cluster
refused was never the controller's choice to drop.
"""

from __future__ import annotations

import re

from wetest.domain.phases import TERMINAL
from wetest.report.analysis.causes import (
    ADMISSION_DENIED,
    CONTROLLER_CRASHED,
    CONTROLLER_NOT_RECONCILING,
    Finding,
    Kind,
    Severity,
)
from wetest.report.analysis.evidence import ApiCall, Evidence, instant, log_time, run_outcome

_EXIT = re.compile(r"exited with code (-?\d+)")
_DENIAL = re.compile(
    r"admission webhook .* denied|denied the request|ValidatingAdmissionPolicy|"
    r"\b403\b.*(Forbidden|denied)",
    re.I,
)
"""A refusal by RBAC, a policy or a webhook. A plain 422 from the CRD's own schema is not one:
it says the controller wrote an invalid object, a contract deviation (e.g. WE-CRD-020)."""
_RECONCILE_ERROR = re.compile(
    r"reconcile of \S+ failed|Reconciler error|error reconciling|failed to reconcile", re.I
)
_EXCEPTION = re.compile(r"^\s*([A-Za-z_.]*(Error|Exception|panic)\b.*)$")
RECONCILE_ERRORS = 2
"""Reconcile errors for the test's WE before "every reconcile fails" is the finding."""
_WRITE_CLAUSES = ("WE-STAT-001", "WE-STAT-002")
_INJECTED = re.compile(r"ValidatingAdmissionPolicy '?wetest-")
"""The suites' own denials (wetest.kube.admission, policies named ``wetest-…``): a refusal the
test injects on purpose is its premise, never the root cause of its failure."""


def controller_crashed(ev: Evidence) -> Finding | None:
    """The controller process exited: the harness said so, or stack.json found it dead."""
    ctrl = ev.stack.controller if ev.stack and not ev.disrupts_on_purpose else None
    dead = ctrl is not None and not ctrl.alive
    if ev.error_name != "ControllerCrashed" and not dead:
        return None
    code = ctrl.exit_code if dead and ctrl else None
    if code is None:
        match = _EXIT.search(ev.message)
        code = int(match.group(1)) if match else None
    tail = list(ctrl.log_tail[-5:]) if ctrl else []
    if not tail:
        tail = ev.component_log("controller")[-5:]
    lines = [ev.message] if ev.message else []
    return Finding(
        cause=CONTROLLER_CRASHED,
        kind=Kind.CONTROLLER_DEFECT,
        severity=Severity.CRITICAL,
        headline="the controller under test exited mid-run, so nothing reconciled these "
        "tests' WorkflowExecutions",
        next_action="Read the controller's log tail for the exception or signal that ended it, "
        "fix the crash, then rerun.",
        counts={"controller exits": 1},
        lines=(*lines, f"exit code: {code if code is not None else 'unknown'}", *tail),
    )


def controller_not_reconciling(ev: Evidence) -> Finding | None:
    """The controller never touched the test's WE: no API call on it, or no status at all.

    With API-call evidence, "no controller call on the WE" decides. Without it, a WE that
    still has no status when the test gave up proves the same: no reconcile ever wrote it.
    """
    if not ev.we_names:
        return None
    calls = ev.api_calls
    if calls is not None:
        if any(c.actor == "controller" and c.name in _object_names(ev) for c in calls):
            return _stopped_reconciling(ev, calls)
        harness = [c for c in calls if c.actor == "harness" and c.resource == "workflowexecutions"]
        counts = {"controller API calls on the WE": 0, "harness calls on the WE": len(harness)}
        lines = [c.describe() for c in harness[:3]]
    else:
        if any((w.get("status") or {}).get("phase") for w in ev.wes):
            return None
        counts = {"WEs without any status": len(ev.wes)}
        lines = [f"{name} (we.yaml): no status written" for name in sorted(ev.we_names)]
    silent = _silent_since(ev)
    return Finding(
        cause=CONTROLLER_NOT_RECONCILING,
        kind=Kind.CONTROLLER_DEFECT,
        severity=Severity.CRITICAL,
        headline="the controller never reconciled these tests' WorkflowExecutions — no status "
        "was ever written: it was not running, not watching, or stuck",
        next_action="Check that the controller is running and watches "
        "workflowexecutions.kubernaut.ai in the test namespaces (RBAC, namespace filter, "
        "leader election); its log should show a reconcile for each new WE.",
        clauses=("WE-PH-001",),
        counts=counts,
        lines=(*lines, *silent),
    )


def _stopped_reconciling(ev: Evidence, calls: list[ApiCall]) -> Finding | None:
    """The controller reconciled some of the test's WEs, then went deaf to the rest.

    Its proof is a WE that never got a status nor a controller API call naming it, though the
    controller served earlier ones of the same test. The wait that timed out either watched
    such a WE, or watched one the controller had started whose PipelineRun then finished
    unseen: it stays Running because the update never reached the controller. A watch that was
    not resumed after the API server came back looks exactly like this; a controller that
    merely misreads a finished PipelineRun still reconciles the WEs created after it.
    """
    waited = ev.waited_we
    we = next((w for w in ev.wes if (w.get("metadata") or {}).get("name") == waited), None)
    if we is None:
        return None
    touched = {c.name for c in calls if c.actor == "controller"}
    silent = [
        name
        for w in ev.wes
        if not (w.get("status") or {}).get("phase")
        and (name := str((w.get("metadata") or {}).get("name"))) not in touched
    ]
    phase = str((we.get("status") or {}).get("phase") or "")
    if not phase:
        if waited not in silent:
            return None
        lead = f"{waited}: waited on, no status, no controller API call"
    else:
        run = ev.pipelinerun_of(we)
        done = run_outcome(run) if run is not None else ""
        if run is None or phase in TERMINAL or not done or not silent:
            return None
        name = (run.get("metadata") or {}).get("name", "?")
        finished = (run.get("status") or {}).get("completionTime") or "?"
        lead = (
            f"{waited}: waited on, left {phase} though its PipelineRun {name} ended "
            f"{done} at {finished} (pipelinerun.yaml)"
        )
    served = len(ev.wes) - len(silent)
    return Finding(
        cause=CONTROLLER_NOT_RECONCILING,
        kind=Kind.CONTROLLER_DEFECT,
        severity=Severity.CRITICAL,
        headline="the controller stopped reconciling: WorkflowExecutions created after a "
        "point got no status and no API call from it, while earlier ones of the same test did",
        next_action="Check that every watch of the controller resumes after an error (410 Gone "
        "→ relist; connection refused → retry with backoff) and that its log shows a reconcile "
        "for each new WE (WE-RUN-010).",
        clauses=("WE-RUN-010",),
        counts={"WEs never reconciled": len(silent), "WEs reconciled before": served},
        lines=(
            lead,
            *[f"{name}: no status, no controller API call" for name in silent if name != waited][
                :3
            ],
        ),
    )


def reconcile_failing(ev: Evidence) -> Finding | None:
    """Every reconcile of the test's WE ends in an error (the log says so, nothing commits).

    controller-runtime logs "Reconciler error" with the object, the reference "reconcile of
    <ns>/<name> failed": the controller runs and watches, but a bug (a nil dereference on a
    missing field, say) stops it before the clause's behaviour, which a test only sees as a
    timeout.
    """
    errors = [line for line in ev.controller_log if _RECONCILE_ERROR.search(line)]
    if len(errors) < RECONCILE_ERRORS:
        return None
    names = _object_names(ev)
    calls = [c for c in ev.api_calls or [] if c.actor == "controller" and c.name in names]
    if any(c.subresource == "status" and c.ok for c in calls):
        return None
    if any(c.code == 422 and c.is_write for c in calls):
        return None  # the API server refused an invalid write: the deviation, not the loop
    raised = [m.group(1) for line in ev.controller_log if (m := _EXCEPTION.match(line))]
    return Finding(
        cause=CONTROLLER_NOT_RECONCILING,
        kind=Kind.CONTROLLER_DEFECT,
        severity=Severity.CRITICAL,
        headline=f"every reconcile of these WorkflowExecutions fails ({len(errors)} reconcile "
        "errors in the controller log) and none wrote a status",
        next_action="Read the first reconcile error and its exception in the controller log; "
        "fix the reconcile so it reaches the clause (a missing field must fail the WE, not "
        "the reconcile: WE-CRD-032, WE-VAL-001).",
        clauses=ev.result.clauses,
        counts={"reconcile errors": len(errors)},
        lines=(errors[0], *dict.fromkeys(raised[:3])),
    )


def _silent_since(ev: Evidence) -> list[str]:
    """The controller log's last line, when it predates the test (the process went quiet)."""
    tail = ev.component_log("controller")
    last = tail[-1] if tail else ""
    at, start = log_time(last), instant(ev.result.start)
    if at is None or start is None or at >= start:
        return []
    return [f"logs/controller.log: last line before the test started: {last}"]


def admission_denied(ev: Evidence) -> Finding | None:
    """A write of the controller was refused by admission (403/422 from a policy or webhook)."""
    calls = ev.api_calls or []
    denied = [c for c in calls if c.actor == "controller" and c.code in (403, 422) and c.is_write]
    denied = [c for c in denied if not _INJECTED.search(c.message)]
    denied = [c for c in denied if c.code == 403 or _DENIAL.search(c.message)]
    logged = [x for x in ev.controller_log if _DENIAL.search(x) and not _INJECTED.search(x)]
    if not denied and not logged:
        return None
    forbidden = sum(c.code == 403 for c in denied)
    return Finding(
        cause=ADMISSION_DENIED,
        kind=Kind.ENVIRONMENT,
        severity=Severity.HIGH,
        headline="the cluster refused the controller's writes (403/422 from RBAC, an admission "
        "policy or a webhook)",
        next_action="Read the denial message: grant the RBAC verb it names, or fix the policy "
        "or webhook; if the write itself breaks the CRD schema, that is a controller defect.",
        clauses=_WRITE_CLAUSES if any(c.subresource == "status" for c in denied) else (),
        counts={
            "403 Forbidden": forbidden,
            "422 Invalid": len(denied) - forbidden,
            "controller log denials": len(logged),
        },
        lines=tuple([c.describe() for c in denied[:3]] + logged[:2]),
    )


def _object_names(ev: Evidence) -> set[str]:
    names = set(ev.we_names)
    for pr in ev.pipelineruns:
        names.add(str((pr.get("metadata") or {}).get("name") or ""))
    return names - {""}
