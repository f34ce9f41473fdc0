"""Level-triggered ``reconcile(request) -> Result`` for WorkflowExecutions (DOMAIN §2).

Every reconcile starts from a fresh read and dispatches on the phase, so a retry after a 409
re-derives the transition from what is committed (WE-STAT-001/003). A transition is one status
write carrying phase, times, refs, failure details and all its conditions including
AuditRecorded; its audit event is handed to the audit client only after that write commits
(WE-STAT-004 design a), keyed by WE uid and event type so it can never be sent twice.
A ``ResourceConflict`` is raised to the manager, which re-queues without logging an error.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from wetest.domain import audit as audit_events
from wetest.domain import conditions as c
from wetest.domain import failures as f
from wetest.domain import naming, timestamps, validation
from wetest.domain import resources as r
from wetest.domain.phases import TERMINAL, Phase
from wetest.kube.errors import AlreadyExists, KubeAPIError, NotFound
from wetest.reference.controller import pipelineruns, tekton, transitions
from wetest.reference.controller.audit import AuditClient
from wetest.reference.controller.cache import WECache
from wetest.reference.controller.events import EventRecorder
from wetest.reference.controller.kubeio import Kube
from wetest.reference.controller.metrics import Metrics
from wetest.reference.controller.requests import Request, Result
from wetest.reference.controller.transitions import Failure

log = logging.getLogger("workflowexecution.reconciler")
Body = dict[str, Any]


SETTLE_SECONDS = 10.0
"""How long a failed PipelineRun's TaskRuns may lag it before the failure is concluded anyway."""
CANCELLING_REASONS = frozenset(
    {"PipelineRunTimeout", "Cancelled", "CancelledRunFinally", "StoppedRunFinally"}
)
"""Reasons Tekton writes *before* its TaskRuns are final: it cancels them after marking the run
(TEKTON-STATUS §3.3-3.4). On any other failure reason the failed TaskRun is final already, so a
TaskRun still running (a parallel branch, a hand-written status) is no reason to wait."""
SETTLE_RECHECK_SECONDS = 0.5


@dataclass(frozen=True)
class Config:
    execution_namespace: str = r.DEFAULT_EXECUTION_NAMESPACE
    service_account: str = r.DEFAULT_SERVICE_ACCOUNT
    cooldown: float = r.DEFAULT_COOLDOWN_SECONDS
    progress_coalesce: float = 1.0  # seconds between progress-only writes (see _progress)


class Reconciler:
    """One instance per manager; safe for N workers (the queue never hands a key out twice)."""

    watch_gives_up = False  # True only in a mutant: the manager's watches stop at an error

    def __init__(
        self,
        kube: Kube,
        audit: AuditClient,
        events: EventRecorder,
        metrics: Metrics,
        cache: WECache,
        config: Config,
    ) -> None:
        self.kube, self.audit, self.events, self.metrics = kube, audit, events, metrics
        self.cache, self.config = cache, config
        self._created: set[str] = set()  # WE uids whose PipelineRun this process created
        self._last_write: dict[str, float] = {}
        self._failed_seen: dict[str, float] = {}  # PipelineRun uid -> first seen failed
        self._lock = threading.Lock()

    def reconcile(self, request: Request) -> Result:
        try:
            we = self.kube.get_we(request.namespace, request.name)
        except NotFound:
            return Result()
        self.audit.resolve_leftover(_uid(we), lambda event_type: _made(we, event_type))
        if we["metadata"].get("deletionTimestamp"):
            return self.delete(we)
        if r.FINALIZER not in (we["metadata"].get("finalizers") or []):
            we = self.add_finalizer(we)
        we = readable(we)
        phase = (we.get("status") or {}).get("phase") or ""
        if phase in ("", Phase.PENDING):
            return self.pending(we)
        if phase == Phase.RUNNING:
            return self.running(we)
        if phase in TERMINAL:
            return self.terminal(we)
        return Result(requeue_after=r.UNKNOWN_PHASE_RETRY_SECONDS)  # WE-PH-004

    # --- finalizer and deletion (WE-FIN-001, WE-DEL-001) -------------------------------------

    def add_finalizer(self, we: Body) -> Body:
        body = copy.deepcopy(we)
        body["metadata"]["finalizers"] = [*(we["metadata"].get("finalizers") or []), r.FINALIZER]
        return self.kube.update_we(body)

    def delete(self, we: Body) -> Result:
        if r.FINALIZER not in (we["metadata"].get("finalizers") or []):
            return Result()
        self.delete_own_pipelinerun(we)
        phase = (we.get("status") or {}).get("phase") or ""
        self.events.record(
            we,
            "Normal",
            "WorkflowExecutionDeleted",
            f"WorkflowExecution cleanup completed (phase: {phase})",
        )
        body = copy.deepcopy(we)
        body["metadata"]["finalizers"] = [
            x for x in body["metadata"]["finalizers"] if x != r.FINALIZER
        ]
        self.kube.update_we(body)
        return Result()

    def delete_own_pipelinerun(self, we: Body) -> bool:
        """Delete the deterministic PipelineRun if its labels name this WE (WE-LOCK-013)."""
        target = (we.get("spec") or {}).get("targetResource") or ""
        if not target:
            return False
        try:
            pr = self.kube.get_pr(naming.pipelinerun_name(target))
            if not self.may_delete(pr, we):
                return False
            self.kube.delete_pr(pr["metadata"]["name"], pr["metadata"]["uid"])
        except NotFound:
            return False
        return True

    def may_delete(self, pr: Body, we: Body) -> bool:
        """WE-LOCK-013/WE-DEL-003: only a PipelineRun whose labels name this WE is deleted."""
        return pipelineruns.owned_by(pr, we)

    # --- Pending (WE-VAL, WE-LOCK-010, WE-RUN-010..012, WE-LOCK-001..003) --------------------

    def pending(self, we: Body) -> Result:
        error = self.validate(we["spec"])
        if error:
            return self.fail_pre_execution(we, f.FailureReason.CONFIGURATION_ERROR, error)
        remaining = self.cooldown_remaining(we)
        if remaining > 0:
            if not (we.get("status") or {}).get("phase"):
                self.write_status(we, transitions.pending(we.get("status")))
            return Result(requeue_after=remaining)
        return self.start_pipelinerun(we)

    def validate(self, spec: Body) -> str | None:
        """WE-VAL-001..004, first failure wins (a seam for mutants)."""
        return validation.validate_spec(spec)

    def cooldown_remaining(self, we: Body) -> float:
        """Seconds until no other terminal WE on the same target is within its cooldown."""
        meta, now = we["metadata"], timestamps.now()
        remaining = 0.0
        for other in self.cache.on_target(we["spec"]["targetResource"]):
            om, status = other["metadata"], other.get("status") or {}
            if (om["namespace"], om["name"]) == (meta["namespace"], meta["name"]):
                continue
            done = timestamps.parse(status.get("completionTime"))
            if status.get("phase") in TERMINAL and done:
                left = self.config.cooldown - (now - done).total_seconds()
                remaining = max(remaining, left)
        return remaining

    def build_pipelinerun(self, we: Body) -> Body:
        """The PipelineRun body of WE-PR-001..009 (a seam for mutants)."""
        return pipelineruns.build(we, self.config.execution_namespace, self.config.service_account)

    def start_pipelinerun(self, we: Body) -> Result:
        body = self.build_pipelinerun(we)
        name, ns, uid = body["metadata"]["name"], self.config.execution_namespace, _uid(we)
        try:
            pr = self.kube.create_pr(body)
        except AlreadyExists:
            return self.adopt_or_fail(we, name)
        except KubeAPIError as exc:
            return self.fail_pre_execution(
                we, f.FailureReason.UNKNOWN, f.create_failed_message(str(exc))
            )
        self.metrics.creations.inc()
        with self._lock:
            self._created.add(uid)
        self.events.record(we, "Normal", "PipelineRunCreated", f"Created PipelineRun {ns}/{name}")
        return self.to_running(we, pr, c.created_message(name, ns))

    def adopt_or_fail(self, we: Body, name: str) -> Result:
        try:
            pr = self.kube.get_pr(name)
        except KubeAPIError as exc:
            return self.fail_pre_execution(
                we, f.FailureReason.UNKNOWN, f.unverifiable_message(str(exc))
            )
        if not pipelineruns.owned_by(pr, we):
            return self.fail_pre_execution(
                we, f.FailureReason.UNKNOWN, f.race_message(name, pipelineruns.owner_of(pr))
            )
        ns = self.config.execution_namespace
        with self._lock:
            ours_earlier = _uid(we) in self._created
        if ours_earlier:  # our own create, then a 409 on the status write: not an adoption
            return self.to_running(we, pr, c.created_message(name, ns))
        self.events.record(
            we, "Normal", "PipelineRunCreated", f"PipelineRun {ns}/{name} (already exists, ours)"
        )
        return self.to_running(we, pr, c.adopted_message(name))

    def to_running(self, we: Body, pr: Body, message: str) -> Result:
        now = timestamps.now()
        status = transitions.running(
            we.get("status"), pr["metadata"]["name"], message, tekton.mirror(pr), now
        )
        self.commit(we, status, audit_events.EventType.STARTED)
        return Result(requeue_after=r.RUNNING_RECHECK_SECONDS)

    def fail_pre_execution(self, we: Body, reason: str, message: str) -> Result:
        status = transitions.failed_pre_execution(
            we.get("status"), we["spec"], Failure(reason, message), timestamps.now()
        )
        self.commit(we, status, audit_events.EventType.FAILED)
        self.count_terminal(Phase.FAILED, 0.0)
        self.events.record(
            we, "Warning", "WorkflowFailed", f"Pre-execution failure: {reason} - {message}"
        )
        return Result()

    # --- Running (WE-RUN-013, -020..024, WE-FAIL-001..005) ------------------------------------

    def running(self, we: Body) -> Result:
        status = we.get("status") or {}
        name = (status.get("pipelineRunRef") or {}).get("name") or naming.pipelinerun_name(
            we["spec"]["targetResource"]
        )
        try:
            pr = self.kube.get_pr(name)
        except NotFound:
            failure = Failure(f.FailureReason.UNKNOWN, f.EXTERNAL_DELETION_MESSAGE)
            return self.fail_running(we, failure, None)
        cond = tekton.succeeded(pr) or {}
        if cond.get("status") in ("True", "False"):
            return self.conclude(we, pr, cond)
        return self.progress(we, pr)

    def conclude(self, we: Body, pr: Body, cond: Body) -> Result:
        """The PipelineRun finished: Completed on Succeeded=True, else Failed (WE-RUN-020/022).

        One seam, decided from the PipelineRun this reconcile read once (a mutant overrides it).
        """
        if cond.get("status") == "True":
            return self.complete(we, pr)
        if cond.get("reason") in CANCELLING_REASONS and self._taskruns_lag(pr):
            return Result(requeue_after=SETTLE_RECHECK_SECONDS)
        return self.fail_running(we, self.observe_failure(pr, cond), tekton.mirror(pr))

    def _taskruns_lag(self, pr: Body) -> bool:
        """The failed PipelineRun's TaskRuns are not final yet, for at most SETTLE_SECONDS."""
        if tekton.taskruns_settled(self.kube, pr):
            return False
        key = _uid(pr)
        with self._lock:
            first = self._failed_seen.setdefault(key, time.monotonic())
            if time.monotonic() - first < SETTLE_SECONDS:
                return True
            del self._failed_seen[key]
        return False

    def progress(self, we: Body, pr: Body) -> Result:
        """Write the mirror only when it changed, at most once per ``progress_coalesce``.

        Progress is informational; coalescing lets a PipelineRun that finishes quickly cost
        no write between Running and the terminal transition (≤ 4 writes per WE).
        """
        status = we.get("status") or {}
        new = transitions.progress(status, tekton.mirror(pr), timestamps.now())
        if new == status:
            return Result(requeue_after=r.RUNNING_RECHECK_SECONDS)
        with self._lock:
            since = time.monotonic() - self._last_write.get(_uid(we), 0.0)
        if since < self.config.progress_coalesce:
            return Result(requeue_after=self.config.progress_coalesce - since)
        self.write_status(we, new)
        return Result(requeue_after=r.RUNNING_RECHECK_SECONDS)

    def observe_failure(self, pr: Body, cond: Body) -> Failure:
        reason = f.classify(cond.get("reason"), cond.get("message"))
        task = tekton.first_failed_task(self.kube, pr)
        executed = f.was_execution_failure(
            True, bool((pr.get("status") or {}).get("startTime")), bool(tekton.children(pr)), reason
        )
        return Failure(
            reason, cond.get("message") or "", task.index, task.name, task.exit_code, executed
        )

    def complete(self, we: Body, pr: Body) -> Result:
        status = transitions.completed(
            we.get("status"),
            (pr.get("status") or {}).get("completionTime"),
            tekton.mirror(pr),
            timestamps.now(),
        )
        self.commit(we, status, audit_events.EventType.COMPLETED)
        self.count_terminal(Phase.COMPLETED, _seconds(status))
        workflow_id = we["spec"]["workflowRef"].get("workflowId", "")
        self.events.record(
            we,
            "Normal",
            "WorkflowCompleted",
            f"Workflow {workflow_id} completed successfully in {status['duration']}",
        )
        return Result(requeue_after=self.config.cooldown)

    def fail_running(self, we: Body, failure: Failure, mirror: Body | None) -> Result:
        status = transitions.failed_running(
            we.get("status"), we["spec"], failure, mirror, timestamps.now()
        )
        self.commit(we, status, audit_events.EventType.FAILED)
        self.count_terminal(Phase.FAILED, _seconds(status))
        workflow_id = we["spec"]["workflowRef"].get("workflowId", "")
        self.events.record(
            we, "Warning", "WorkflowFailed", f"Workflow {workflow_id} failed: {failure.reason}"
        )
        return Result(requeue_after=self.config.cooldown)

    # --- terminal: cooldown and lock release (WE-LOCK-011/012) -------------------------------

    def terminal(self, we: Body) -> Result:
        done = timestamps.parse((we.get("status") or {}).get("completionTime"))
        if done is None:
            return Result()
        left = self.config.cooldown - (timestamps.now() - done).total_seconds()
        if left > 0:
            return Result(requeue_after=left)
        if self.delete_own_pipelinerun(we):
            self.events.record(
                we,
                "Normal",
                "LockReleased",
                f"Lock released for {we['spec']['targetResource']} after cooldown",
            )
        return Result()

    # --- writes ------------------------------------------------------------------------------

    def commit(self, we: Body, status: Body, event_type: audit_events.EventType) -> None:
        """One status write for the transition, AuditRecorded included; audit after commit."""
        now = timestamps.now()
        candidate = {**we, "status": status}
        event = audit_events.build_event(candidate, event_type, timestamps.rfc3339_micro(now))
        refusal = self.audit.check(event)
        candidate["status"] = transitions.audit_recorded(status, event_type, refusal, now)
        key = f"{_uid(we)}/{event_type}"
        if refusal is None:
            self.audit.intend(key, event)  # a SIGKILL right after the write must not lose it
        try:
            self.write_status(we, candidate["status"])
        except BaseException:
            if refusal is None:
                self.audit.abandoned(key)
            raise
        if refusal is None:
            error = self.audit.committed(key, event)
            if error:
                log.error(
                    "audit event %s for %s refused after commit: %s",
                    event_type,
                    we["metadata"]["name"],
                    error,
                )

    def count_terminal(self, phase: str, seconds: float) -> None:
        """WE-MET-001: one outcome count and one duration observation per terminal transition."""
        self.metrics.terminal(phase, seconds)

    def write_status(self, we: Body, status: Body) -> Body:
        written = self.kube.update_we_status({**we, "status": status})
        with self._lock:
            self._last_write[_uid(we)] = time.monotonic()
        return written


def _made(we: Body, event_type: str) -> bool:
    """The WE shows the transition an audit event of this type reports as committed."""
    phase = (we.get("status") or {}).get("phase") or ""
    if event_type == "workflow.started":
        return phase in (Phase.RUNNING, *TERMINAL) and bool(
            (we.get("status") or {}).get("startTime")
        )
    if event_type == "workflow.completed":
        return phase == Phase.COMPLETED
    if event_type == "workflow.failed":
        return phase == Phase.FAILED
    return False


def _uid(we: Body) -> str:
    return str(we["metadata"].get("uid", ""))


def _seconds(status: Body) -> float:
    start = timestamps.parse(status.get("startTime"))
    end = timestamps.parse(status.get("completionTime"))
    return (end - start).total_seconds() if start and end else 0.0


def readable(we: Body) -> Body:
    """A view of the WE whose spec always has workflowRef and targetResource.

    A WE with no spec at all is accepted by the API server (WE-CRD-032) and must fail
    validation with ConfigurationError (WE-VAL-001), not crash the reconcile. The view is
    never written back as a whole object, so the user's spec is left as it is.
    """
    spec = we.get("spec") or {}
    view = dict(we)
    view["spec"] = {
        **spec,
        "workflowRef": spec.get("workflowRef") or {},
        "targetResource": spec.get("targetResource") or "",
    }
    return view
