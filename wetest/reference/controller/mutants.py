"""Deliberately broken reference controllers that prove each conformance test can fail.

A suite that no mutant can make fail proves nothing. Each class below is the conformant
``Reconciler`` with one method overridden to reintroduce one known bug (most are bugs real WE
controllers have had); its docstring names the clause it breaks. They are registered in
``strategy.MUTANTS`` and run only with the hidden ``--mutant NAME`` flag, never by default.
``tests/mutants`` and ``bench/mutant_kill_table.py`` run the suites against each one and print
which tests kill it.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import logging
import uuid
from typing import Any

from wetest.domain import audit as audit_events
from wetest.domain import conditions as c
from wetest.domain import durations, naming, timestamps
from wetest.domain import failures as f
from wetest.domain import resources as r
from wetest.domain.phases import TERMINAL, Phase
from wetest.kube.errors import AlreadyExists, KubeAPIError, NotFound, ResourceConflict
from wetest.reference.controller import pipelineruns, tekton, transitions
from wetest.reference.controller.audit import Transient
from wetest.reference.controller.reconciler import Body, Reconciler, readable
from wetest.reference.controller.requests import Result
from wetest.reference.controller.transitions import Failure

log = logging.getLogger("workflowexecution.mutant")

#: How often the ``audit-in-retry`` mutant retries a conflicting write (client-go's default).
RETRY_STEPS = 5


class DoubleStatusWrite(Reconciler):
    """Breaks WE-STAT-002/004 and WE-COND-040: the seed's 2025-12-15 bug.

    The transition is written first, then AuditRecorded in a second status write that reuses
    the resourceVersion read at the start of the reconcile. The first write changed it, so the
    API server answers 409 "the object has been modified" and AuditRecorded is lost: the next
    reconcile sees the transition already made and never writes the condition again.
    """

    expected_root_cause = "resource-version conflict"

    def commit(self, we: Body, status: Body, event_type: audit_events.EventType) -> None:
        now = timestamps.now()
        self.write_status(we, status)
        event = audit_events.build_event(
            {**we, "status": status}, event_type, timestamps.rfc3339_micro(now)
        )
        refusal = self.audit.check(event)
        if refusal is None:
            self.audit.enqueue(f"{we['metadata'].get('uid', '')}/{event_type}", event)
        self.write_status(we, transitions.audit_recorded(status, event_type, refusal, now))


class AuditInRetry(Reconciler):
    """Breaks WE-STAT-004 and WE-AUD-020/021: Kubernaut #1597.

    The audit event is emitted inside the retry-on-conflict closure, before the write whose
    outcome it reports: every 409 retry emits it again (N conflicts → N+1 events), and an event
    is emitted even for an attempt that never commits.
    """

    expected_root_cause = "audit delivery"

    def commit(self, we: Body, status: Body, event_type: audit_events.EventType) -> None:
        for attempt in range(1, RETRY_STEPS + 1):
            now = timestamps.now()
            event = audit_events.build_event(
                {**we, "status": status}, event_type, timestamps.rfc3339_micro(now)
            )
            self.audit.enqueue(str(uuid.uuid4()), event)  # a fresh key per attempt: the bug
            try:
                self.write_status(we, transitions.audit_recorded(status, event_type, None, now))
                return
            except ResourceConflict:
                if attempt == RETRY_STEPS:
                    raise
                meta = we["metadata"]
                we = self.kube.get_we(meta["namespace"], meta["name"])


class NoAuditRecorded(Reconciler):
    """Breaks WE-COND-040/041 and WE-COND-006: AuditRecorded is never set.

    The audit event is still delivered exactly once; only the condition is missing.
    """

    expected_root_cause = "contract deviation"

    def commit(self, we: Body, status: Body, event_type: audit_events.EventType) -> None:
        now = timestamps.now()
        event = audit_events.build_event(
            {**we, "status": status}, event_type, timestamps.rfc3339_micro(now)
        )
        self.write_status(we, status)
        self.audit.enqueue(f"{we['metadata'].get('uid', '')}/{event_type}", event)


def sha1_pipelinerun_name(target_resource: str) -> str:
    """The wrong lock name: SHA-1 instead of SHA-256 (same length and alphabet, so it looks ok)."""
    return "wfe-" + hashlib.sha1(target_resource.encode("utf-8")).hexdigest()[:16]


class WrongPipelineRunName(Reconciler):
    """Breaks WE-PR-001 (and with it WE-DEL-001 / WE-LOCK-011, which delete by the right name).

    The PipelineRun is named from SHA-1 of the target. Everything else (labels, collisions on
    the name, pipelineRunRef) is consistent, so only a test that checks the name kills it.
    """

    expected_root_cause = "contract deviation"

    def start_pipelinerun(self, we: Body) -> Result:
        body = pipelineruns.build(we, self.config.execution_namespace, self.config.service_account)
        name = sha1_pipelinerun_name(we["spec"]["targetResource"])
        body["metadata"]["name"] = name
        ns = self.config.execution_namespace
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
            self._created.add(str(we["metadata"].get("uid", "")))
        self.events.record(we, "Normal", "PipelineRunCreated", f"Created PipelineRun {ns}/{name}")
        return self.to_running(we, pr, c.created_message(name, ns))


class FailedAsCompleted(Reconciler):
    """Breaks WE-RUN-022 and WE-AUD-012: a PipelineRun with ``Succeeded=False`` → Completed.

    It overrides the decision itself, on the PipelineRun the reconcile read: an earlier version
    read the PipelineRun a second time and, when the failure landed between the two reads,
    behaved like the reference (the mutant then survived 1 run in 5).
    """

    expected_root_cause = "contract deviation"

    def conclude(self, we: Body, pr: Body, cond: Body) -> Result:
        return self.complete(we, pr)


class LeakPipelineRunOnDelete(Reconciler):
    """Breaks WE-DEL-001: on deletion the finalizer is removed but the PipelineRun is left."""

    expected_root_cause = "contract deviation"

    def delete(self, we: Body) -> Result:
        finalizers = we["metadata"].get("finalizers") or []
        if r.FINALIZER in finalizers:
            body = copy.deepcopy(we)
            body["metadata"]["finalizers"] = [x for x in finalizers if x != r.FINALIZER]
            self.kube.update_we(body)
        return Result()


def float_seconds(duration: str) -> str:
    """``2m30s`` → ``150.0s``: a number of seconds, not Go duration syntax."""
    if not duration:
        return duration
    return f"{durations.parse_go_duration(duration):.1f}s"


class WrongDuration(Reconciler):
    """Breaks WE-RUN-021/022 (§1.3 ``status.duration``): ``12.0s`` instead of Go's ``12s``.

    The wrong value is in the status and, since the event is built from it, in the audit
    ``event_data.duration`` too.
    """

    expected_root_cause = "contract deviation"

    def commit(self, we: Body, status: Body, event_type: audit_events.EventType) -> None:
        if status.get("duration"):
            status = {**status, "duration": float_seconds(status["duration"])}
        super().commit(we, status, event_type)


class NoFinalizer(Reconciler):
    """Breaks WE-FIN-001 and so WE-DEL-001: the finalizer is never added.

    Deleting a WE is then immediate and nothing deletes its PipelineRun.
    """

    expected_root_cause = "contract deviation"

    def add_finalizer(self, we: Body) -> Body:
        return we


# --- cooldown and lock release (WE-LOCK-010/011/013, WE-DEL-003) -----------------------------


class FailedDoesNotBlock(Reconciler):
    """Breaks WE-LOCK-010: only a Completed WE holds the cooldown; a Failed one does not.

    A pre-execution failure (or a Running failure) on the target lets the next WE start at
    once, though the contract says any terminal WE with ``completionTime`` blocks.
    """

    expected_root_cause = "contract deviation"

    def cooldown_remaining(self, we: Body) -> float:
        meta, now = we["metadata"], timestamps.now()
        remaining = 0.0
        for other in self.cache.on_target(we["spec"]["targetResource"]):
            om, status = other["metadata"], other.get("status") or {}
            if (om["namespace"], om["name"]) == (meta["namespace"], meta["name"]):
                continue
            done = timestamps.parse(status.get("completionTime"))
            if status.get("phase") == Phase.COMPLETED and done:  # the bug: Failed is ignored
                remaining = max(remaining, self.config.cooldown - (now - done).total_seconds())
        return remaining


class CooldownByName(Reconciler):
    """Breaks WE-LOCK-010 ("compared by namespace/name"): WEs are compared by name only.

    A WE with the same name in another namespace on the same target is taken for this WE
    itself, so it never blocks: the gate leaks across namespaces.
    """

    expected_root_cause = "contract deviation"

    def cooldown_remaining(self, we: Body) -> float:
        meta, now = we["metadata"], timestamps.now()
        remaining = 0.0
        for other in self.cache.on_target(we["spec"]["targetResource"]):
            om, status = other["metadata"], other.get("status") or {}
            if om["name"] == meta["name"]:  # the bug: the namespace is not compared
                continue
            done = timestamps.parse(status.get("completionTime"))
            if status.get("phase") in TERMINAL and done:
                remaining = max(remaining, self.config.cooldown - (now - done).total_seconds())
        return remaining


class NoCooldownGate(Reconciler):
    """Breaks WE-LOCK-010: the cooldown gate is not applied at all.

    The next WE on a target goes straight to the create, hits the held PipelineRun of the
    previous WE and fails with ``Race condition`` instead of waiting in Pending.
    """

    expected_root_cause = "contract deviation"

    def cooldown_remaining(self, we: Body) -> float:
        return 0.0


class TerminalWithoutCompletionReleases(Reconciler):
    """Breaks WE-LOCK-011: a terminal WE without ``completionTime`` has its PipelineRun deleted.

    The contract leaves such a WE alone (its lock stays held); this controller treats the
    missing time as "cooldown long over" and releases the lock at once.
    """

    expected_root_cause = "contract deviation"

    def terminal(self, we: Body) -> Result:
        if not (we.get("status") or {}).get("completionTime"):
            self.delete_own_pipelinerun(we)
            return Result()
        return super().terminal(we)


class ReleaseWithoutCooldown(Reconciler):
    """Breaks WE-LOCK-011: the PipelineRun (the lock) is deleted as soon as the WE is terminal.

    No cooldown hold: a repeat remediation on the target could start at once.
    """

    expected_root_cause = "contract deviation"

    def terminal(self, we: Body) -> Result:
        if timestamps.parse((we.get("status") or {}).get("completionTime")) is None:
            return Result()
        if self.delete_own_pipelinerun(we):
            self.events.record(
                we,
                "Normal",
                "LockReleased",
                f"Lock released for {we['spec']['targetResource']} after cooldown",
            )
        return Result()


class DeleteByName(Reconciler):
    """Breaks WE-LOCK-013 and WE-DEL-003 (Ext): Kubernaut V1.0's delete by name.

    The PipelineRun with the deterministic name is deleted without checking that its labels
    name this WE, so a collision loser (or an invalid WE on a busy target) deletes the
    winner's PipelineRun when its cooldown ends or when it is deleted.
    """

    expected_root_cause = "contract deviation"

    def may_delete(self, pr: Body, we: Body) -> bool:
        return True


# --- the PipelineRun (WE-PR-003/007/008/009) ---------------------------------------------------


class SingleUnderscoreTargetLabel(Reconciler):
    """Breaks WE-PR-003: ``/`` in the target label becomes ``_`` instead of ``__``."""

    expected_root_cause = "contract deviation"

    def build_pipelinerun(self, we: Body) -> Body:
        body = super().build_pipelinerun(we)
        label = we["spec"]["targetResource"].replace("/", "_")[:63]
        body["metadata"]["labels"][r.LABEL_TARGET_RESOURCE] = label
        return body


class TargetResourceParamFirst(Reconciler):
    """Breaks WE-PR-007: ``TARGET_RESOURCE`` comes first instead of last."""

    expected_root_cause = "contract deviation"

    def build_pipelinerun(self, we: Body) -> Body:
        body = super().build_pipelinerun(we)
        params = body["spec"]["params"]
        body["spec"]["params"] = [params[-1], *params[:-1]]
        return body


class ServiceAccountFromSpec(Reconciler):
    """Breaks WE-PR-008: ``spec.executionConfig.serviceAccountName`` overrides the controller's.

    This is what K26 does (SA from the workflow); v1.0 ignores the spec's service account.
    """

    expected_root_cause = "contract deviation"

    def build_pipelinerun(self, we: Body) -> Body:
        body = super().build_pipelinerun(we)
        account = ((we["spec"].get("executionConfig") or {}).get("serviceAccountName")) or ""
        if account:
            body["spec"]["taskRunTemplate"]["serviceAccountName"] = account
        return body


class PipelineRunTimeout(Reconciler):
    """Breaks WE-PR-009: ``spec.executionConfig.timeout`` becomes ``spec.timeouts.pipeline``."""

    expected_root_cause = "contract deviation"

    def build_pipelinerun(self, we: Body) -> Body:
        body = super().build_pipelinerun(we)
        timeout = ((we["spec"].get("executionConfig") or {}).get("timeout")) or ""
        if timeout:
            body["spec"]["timeouts"] = {"pipeline": timeout}
        return body


class NonEnumCreateErrorReason(Reconciler):
    """Breaks WE-RUN-012 and WE-CRD-020: Kubernaut V1.0's ``PipelineRunCreationFailed``.

    A create error other than AlreadyExists is written with a reason outside the enum; the
    API server refuses that status write with 422, so the WE never leaves Pending (§7.3 Q1).
    The 422 comes from the CRD's own schema, not from a policy or webhook: the triage names a
    contract deviation (the controller writes an invalid object), with the 422 as evidence.
    """

    expected_root_cause = "contract deviation"

    def fail_pre_execution(self, we: Body, reason: str, message: str) -> Result:
        if message.startswith(f.create_failed_message("")):
            reason = "PipelineRunCreationFailed"
        return super().fail_pre_execution(we, reason, message)


# --- validation and failure details (WE-VAL-004, WE-FAIL-001/002/010/031) ----------------------


class NoEmptyPartCheck(Reconciler):
    """Breaks WE-VAL-004 (and WE-VAL-005): a target with an empty part is not refused.

    ``default//app`` has three parts, so the part count passes; the controller then runs it.
    """

    expected_root_cause = "contract deviation"

    def validate(self, spec: Body) -> str | None:
        error = super().validate(spec)
        if error and error.startswith("targetResource has empty part"):
            return None
        return error


class TimeoutBeforeOOM(Reconciler):
    """Breaks WE-FAIL-001: rule 2 (timeout/deadline) is tried before rule 1 (OOM).

    A message naming both (``OOMKilled ... deadline``) gives DeadlineExceeded, not OOMKilled.
    """

    expected_root_cause = "contract deviation"

    def observe_failure(self, pr: Body, cond: Body) -> Failure:
        failure = super().observe_failure(pr, cond)
        reason, message = (cond.get("reason") or "").lower(), (cond.get("message") or "").lower()
        if "timeout" in reason or "timeout" in message or "deadline" in message:
            return dataclasses.replace(failure, reason=f.FailureReason.DEADLINE_EXCEEDED)
        return failure


class PipelineTaskName(Reconciler):
    """Breaks WE-FAIL-002 (§7.3 Q8): ``failedTaskName`` is the pipeline task's name.

    The contract wants the TaskRun object's name; consumers may expect the other, which is
    exactly the mistake a controller makes.
    """

    expected_root_cause = "contract deviation"

    def observe_failure(self, pr: Body, cond: Body) -> Failure:
        failure = super().observe_failure(pr, cond)
        if not failure.task_name:
            return failure
        child = tekton.children(pr)[failure.task_index]
        return dataclasses.replace(failure, task_name=child.get("pipelineTaskName", ""))


class StartTimeOnPreExecutionFailure(Reconciler):
    """Breaks WE-FAIL-010 and WE-VAL-005: a pre-execution failure gets a ``startTime``."""

    expected_root_cause = "contract deviation"

    def commit(self, we: Body, status: Body, event_type: audit_events.EventType) -> None:
        if status.get("phase") == Phase.FAILED and not status.get("startTime"):
            status = {**status, "startTime": timestamps.rfc3339(timestamps.now())}
        super().commit(we, status, event_type)


class WritesFailureReason(Reconciler):
    """Breaks WE-FAIL-031: the deprecated ``status.failureReason`` is written (K26 mirrors it)."""

    expected_root_cause = "contract deviation"

    def commit(self, we: Body, status: Body, event_type: audit_events.EventType) -> None:
        details = status.get("failureDetails") or {}
        if status.get("phase") == Phase.FAILED and details.get("reason"):
            status = {**status, "failureReason": details["reason"]}
        super().commit(we, status, event_type)


class CompletionTimeNow(Reconciler):
    """Breaks WE-RUN-021: ``completionTime`` is now, not the PipelineRun's ``completionTime``."""

    expected_root_cause = "contract deviation"

    def complete(self, we: Body, pr: Body) -> Result:
        stripped = copy.deepcopy(pr)
        (stripped.get("status") or {}).pop("completionTime", None)
        return super().complete(we, stripped)


# --- audit (WE-AUD-002/010) -------------------------------------------------------------------


class EmptyCorrelationLabel(Reconciler):
    """Breaks WE-AUD-002: a present but empty correlation-id label is used as it is.

    ``correlation_id`` must fall back to the WE name when the label is empty; an empty one is
    refused by the audit client's schema check (1..255), so the event is never delivered and
    AuditRecorded is False. The root cause a triage should name is the contract deviation on
    WE-AUD-002 (how correlation_id is derived), not a delivery fault: the audit client refuses
    the event exactly as it should.
    """

    expected_root_cause = "contract deviation"

    def commit(self, we: Body, status: Body, event_type: audit_events.EventType) -> None:
        if (we["metadata"].get("labels") or {}).get(r.LABEL_CORRELATION_ID) != "":
            super().commit(we, status, event_type)
            return
        now = timestamps.now()
        event = audit_events.build_event(
            {**we, "status": status}, event_type, timestamps.rfc3339_micro(now)
        )
        event["correlation_id"] = ""  # the bug: the label's value, even when empty
        refusal = self.audit.check(event)
        self.write_status(we, transitions.audit_recorded(status, event_type, refusal, now))
        if refusal is None:
            self.audit.enqueue(f"{we['metadata'].get('uid', '')}/{event_type}", event)


class StartedTwiceOnAdoption(Reconciler):
    """Breaks WE-AUD-010/020: adopting its own PipelineRun emits a second ``workflow.started``.

    The adoption path enqueues the event under a fresh key, as a controller does that keys
    events by attempt instead of by WE and transition.
    """

    expected_root_cause = "audit delivery"

    def adopt_or_fail(self, we: Body, name: str) -> Result:
        result = super().adopt_or_fail(we, name)
        now = timestamps.now()
        written = self.kube.get_we(we["metadata"]["namespace"], we["metadata"]["name"])
        if (written.get("status") or {}).get("phase") == Phase.RUNNING:
            event = audit_events.build_event(
                written, audit_events.EventType.STARTED, timestamps.rfc3339_micro(now)
            )
            self.audit.enqueue(str(uuid.uuid4()), event)
        return result


class TerminalMirrorCleared(Reconciler):
    """Breaks WE-RUN-020: the terminal write drops ``status.pipelineRunStatus``.

    The reconcile that sees the PipelineRun finish is a Running reconcile and writes the
    mirror; the contract lets it show the last or the final condition, not nothing.
    """

    expected_root_cause = "contract deviation"

    def commit(self, we: Body, status: Body, event_type: audit_events.EventType) -> None:
        if status.get("phase") in TERMINAL:
            status = {k: v for k, v in status.items() if k != "pipelineRunStatus"}
        super().commit(we, status, event_type)


class RecreateAfterExternalDeletion(Reconciler):
    """Breaks WE-RUN-024: a PipelineRun deleted while Running is created again.

    The contract fails the WE (``PipelineRun was deleted externally``) and never re-creates;
    this controller treats the missing run as "not created yet" and runs the workflow twice.
    """

    expected_root_cause = "contract deviation"

    def running(self, we: Body) -> Result:
        name = ((we.get("status") or {}).get("pipelineRunRef") or {}).get("name") or ""
        try:
            self.kube.get_pr(name or naming.pipelinerun_name(we["spec"]["targetResource"]))
        except NotFound:
            self.kube.create_pr(self.build_pipelinerun(we))
            return Result(requeue_after=r.RUNNING_RECHECK_SECONDS)
        return super().running(we)


class CreatedConditionInFollowUpWrite(Reconciler):
    """Breaks WE-COND-010 and WE-STAT-002: Running is written without TektonPipelineCreated.

    The condition follows in a second status write, so a reader can see a Running WE with no
    Created condition: the transition's fields are not in one write.
    """

    expected_root_cause = "multiple status writes per transition"

    def commit(self, we: Body, status: Body, event_type: audit_events.EventType) -> None:
        if event_type != audit_events.EventType.STARTED:
            super().commit(we, status, event_type)
            return
        without = [x for x in status.get("conditions") or [] if x.get("type") != c.CREATED]
        written = self.write_status(we, {**status, "conditions": without})
        super().commit(written, status, event_type)


class RunningMessageWithoutReason(Reconciler):
    """Breaks WE-COND-020: ``Pipeline executing`` without the PipelineRun's reason."""

    expected_root_cause = "contract deviation"

    def write_status(self, we: Body, status: Body) -> Body:
        status = copy.deepcopy(status)
        for cond in status.get("conditions") or []:
            if cond.get("type") == c.RUNNING and cond.get("message", "").startswith(
                "Pipeline executing ("
            ):
                cond["message"] = "Pipeline executing"
        return super().write_status(we, status)


class ZeroDurationObserved(Reconciler):
    """Breaks WE-MET-001: every terminal transition observes a duration of 0 s.

    Only pre-execution failures observe 0; a Completed execution observes completion - start.
    """

    expected_root_cause = "contract deviation"

    def count_terminal(self, phase: str, seconds: float) -> None:
        super().count_terminal(phase, 0.0)


class AdoptForeignPipelineRun(Reconciler):
    """Breaks WE-LOCK-002 and WE-LOCK-004: AlreadyExists is always adopted, whoever owns it.

    The ownership check on the labels is missing, so a collision loser goes Running on the
    winner's PipelineRun: two WEs claim one lock.
    """

    expected_root_cause = "contract deviation"

    def adopt_or_fail(self, we: Body, name: str) -> Result:
        try:
            pr = self.kube.get_pr(name)
        except KubeAPIError as exc:
            return self.fail_pre_execution(
                we, f.FailureReason.UNKNOWN, f.unverifiable_message(str(exc))
            )
        return self.to_running(we, pr, c.adopted_message(name))


class DoubleCountedOutcome(Reconciler):
    """Breaks WE-MET-001: the outcome counter counts every terminal transition twice.

    The duration histogram observes once, so the counter and the histogram's count disagree.
    """

    expected_root_cause = "contract deviation"

    def count_terminal(self, phase: str, seconds: float) -> None:
        super().count_terminal(phase, seconds)
        self.metrics.total.labels(outcome=phase).inc()


class AuditPhaseBeforeTransition(Reconciler):
    """Breaks WE-AUD-003: ``event_data.phase`` is the phase before the transition.

    The event is built from the object as read instead of the status being written.
    """

    expected_root_cause = "contract deviation"

    def commit(self, we: Body, status: Body, event_type: audit_events.EventType) -> None:
        now = timestamps.now()
        event = audit_events.build_event(
            {**we, "status": status}, event_type, timestamps.rfc3339_micro(now)
        )
        event["event_data"]["phase"] = (we.get("status") or {}).get("phase") or "Pending"
        refusal = self.audit.check(event)
        self.write_status(we, transitions.audit_recorded(status, event_type, refusal, now))
        if refusal is None:
            self.audit.enqueue(f"{we['metadata'].get('uid', '')}/{event_type}", event)


class CorrelationFromRemediationRequest(Reconciler):
    """Breaks WE-AUD-002: ``correlation_id`` = ``spec.remediationRequestRef.name`` (K26).

    v1.0 uses the correlation-id label, else the WE name; K26 switched to the parent
    RemediationRequest's name, which a v1.0 consumer cannot find.
    """

    expected_root_cause = "contract deviation"

    def commit(self, we: Body, status: Body, event_type: audit_events.EventType) -> None:
        now = timestamps.now()
        event = audit_events.build_event(
            {**we, "status": status}, event_type, timestamps.rfc3339_micro(now)
        )
        parent = (we["spec"].get("remediationRequestRef") or {}).get("name") or ""
        event["correlation_id"] = parent or event["correlation_id"]
        refusal = self.audit.check(event)
        self.write_status(we, transitions.audit_recorded(status, event_type, refusal, now))
        if refusal is None:
            self.audit.enqueue(f"{we['metadata'].get('uid', '')}/{event_type}", event)


class AuditOnDeletion(Reconciler):
    """Breaks WE-AUD-020 and WE-DEL-002: deleting a terminal WE emits its terminal event again.

    The deletion path reports the phase it cleans up as an audit event, under a fresh key.
    """

    expected_root_cause = "audit delivery"

    def delete(self, we: Body) -> Result:
        phase = (we.get("status") or {}).get("phase") or ""
        types: dict[str, audit_events.EventType] = {
            str(Phase.COMPLETED): audit_events.EventType.COMPLETED,
            str(Phase.FAILED): audit_events.EventType.FAILED,
        }
        if r.FINALIZER in (we["metadata"].get("finalizers") or []) and phase in types:
            event = audit_events.build_event(
                readable(we), types[phase], timestamps.rfc3339_micro(timestamps.now())
            )
            self.audit.enqueue(str(uuid.uuid4()), event)
        return super().delete(we)


class MissingSpecCrashes(Reconciler):
    """Breaks WE-CRD-032 and WE-VAL-001: a WE with no ``spec`` crashes every reconcile.

    The API server accepts it; a controller that dereferences ``spec.workflowRef`` without a
    check (a Go nil pointer) never fails it with ConfigurationError.
    """

    expected_root_cause = "controller not reconciling"

    def pending(self, we: Body) -> Result:
        if not (we.get("spec") or {}).get("workflowRef"):
            raise KeyError("spec")
        return super().pending(we)


class NoTargetParamWithoutParameters(Reconciler):
    """Breaks WE-PR-007: with no ``spec.parameters`` the PipelineRun gets no params at all.

    ``TARGET_RESOURCE`` is appended only inside the loop over the parameters.
    """

    expected_root_cause = "contract deviation"

    def build_pipelinerun(self, we: Body) -> Body:
        body = super().build_pipelinerun(we)
        if not we["spec"].get("parameters"):
            body["spec"]["params"] = []
        return body


class HardCodedServiceAccount(Reconciler):
    """Breaks WE-PR-008: the PipelineRun runs as ``default``, not the configured account.

    A contract deviation of the controller (it ignores its own setting), not a configuration
    error of the run: "configuration" names a wrong wetest setting.
    """

    expected_root_cause = "contract deviation"

    def build_pipelinerun(self, we: Body) -> Body:
        body = super().build_pipelinerun(we)
        body["spec"]["taskRunTemplate"]["serviceAccountName"] = "default"
        return body


class TerminalRewritten(Reconciler):
    """Breaks WE-PH-003: a terminal WE's ``completionTime`` is written again on every recheck.

    A non-idempotent terminal path that re-derives the transition's time from now and
    rechecks terminal WEs every half second: the terminal fields keep moving (and, as a side
    effect, the cooldown never ends).
    """

    expected_root_cause = "contract deviation"

    def terminal(self, we: Body) -> Result:
        status = we.get("status") or {}
        now = timestamps.rfc3339(timestamps.now())
        if status.get("completionTime") and status["completionTime"] != now:
            self.write_status(we, {**status, "completionTime": now})
        return Result(requeue_after=0.5)


class NoCompletionTimeFromPipelineRun(Reconciler):
    """Breaks WE-RUN-021 (and so WE-LOCK-011): Completed without completionTime.

    When the PipelineRun has no completionTime, the WE gets none either.
    The PipelineRun's ``status.completionTime`` is copied as it is, nil included, instead of
    falling back to now; such a WE never starts its cooldown and never releases the lock.
    """

    expected_root_cause = "contract deviation"

    def commit(self, we: Body, status: Body, event_type: audit_events.EventType) -> None:
        if event_type == audit_events.EventType.COMPLETED:
            name = (status.get("pipelineRunRef") or {}).get("name") or ""
            try:
                pr = self.kube.get_pr(name)
            except KubeAPIError:
                pr = {}
            if not (pr.get("status") or {}).get("completionTime"):
                status = {
                    k: v for k, v in status.items() if k not in ("completionTime", "duration")
                }
        super().commit(we, status, event_type)


class MirrorIgnoresChildReferences(Reconciler):
    """Breaks WE-RUN-020: ``pipelineRunStatus.totalTasks`` is always 0.

    ``totalTasks`` must count the PipelineRun's ``status.childReferences``.
    """

    expected_root_cause = "contract deviation"

    def write_status(self, we: Body, status: Body) -> Body:
        mirror = status.get("pipelineRunStatus")
        if mirror:
            status = {**status, "pipelineRunStatus": {**mirror, "totalTasks": 0}}
        return super().write_status(we, status)


class FinalizerUpdateDropsSpecFields(Reconciler):
    """Breaks WE-CRD-010's "spec preserved" (and WE-FIN-001's metadata-only update).

    The finalizer is added by writing back an object built from a typed struct that lacks
    the audit-only fields ``rationale`` and ``confidence``, so the update deletes them.
    """

    expected_root_cause = "contract deviation"

    def add_finalizer(self, we: Body) -> Body:
        body = copy.deepcopy(we)
        for key in ("rationale", "confidence"):
            (body.get("spec") or {}).pop(key, None)
        body["metadata"]["finalizers"] = [*(we["metadata"].get("finalizers") or []), r.FINALIZER]
        return self.kube.update_we(body)


class AuditDroppedAfterRetries(Reconciler):
    """Breaks WE-BUF-007 (and WE-AUD-021 across an outage): Kubernaut v1.0's buffered store.

    A batch whose three attempts fail (1 s, then 4 s apart) is dropped, as the v1.0 library
    does, instead of staying spooled: a DataStorage outage longer than about 5 s loses the
    events of that window. Legal only for a controller that claims v1.0 buffering (WE-BUF-005).
    """

    expected_root_cause = "audit delivery"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        audit, send_one = self.audit, self.audit._send_one

        def dropping() -> bool:
            entries = audit.spool.batch(audit.batch_size)
            try:
                return send_one()
            except Transient:
                log.error("AUDIT DATA LOSS: dropping %d events after retries", len(entries))
                audit.spool.rejected(entries)  # the bug: v1.0 drops, the reference keeps
                audit.spool.clear_inflight()
                raise

        audit._send_one = dropping  # type: ignore[method-assign]


class AuditBufferInMemory(Reconciler):
    """Breaks WE-BUF-007 across a controller crash: the event buffer lives only in memory.

    On start the mutant discards what a previous process left spooled, as an in-memory
    buffer would have lost it with the process: events enqueued while DataStorage was down and
    not delivered before a SIGKILL are lost.
    """

    expected_root_cause = "audit delivery"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        spool = self.audit.spool
        spool.clear_inflight()
        spool.rejected(spool.batch(len(spool)))  # the bug: the crash took them along
        for key, _ in spool.intents():
            self.audit.abandoned(key)  # and whatever a write in flight owed
        self.audit._leftover.clear()


class WatchGivesUp(Reconciler):
    """Breaks WE-RUN-013 and WE-RUN-010 across an API-server restart: the watch gives up.

    Its watches stop at their first failure (an informer without a retry loop): once the API
    server restarts, nothing new is ever seen; WEs created afterwards stay without a phase.
    """

    expected_root_cause = "controller not reconciling"
    watch_gives_up = True


class StalledPipelineRunFails(Reconciler):
    """Breaks WE-RUN-023 (and WE-RUN-013) while Tekton is slow: a run not started is failed.

    A PipelineRun with no ``Succeeded`` condition yet (Tekton has not picked it up) is
    given STALL_SECONDS from the WE's start; after that the WE is Failed (``Unknown``) instead
    of staying Running, as a controller with its own start deadline would. The stand-in starts
    a PipelineRun within a second, so only a Tekton pause (or restart) longer than that shows
    it.
    """

    expected_root_cause = "contract deviation"
    STALL_SECONDS = 3.0

    def progress(self, we: Body, pr: Body) -> Result:
        if tekton.succeeded(pr) is not None:
            return super().progress(we, pr)
        started = timestamps.parse((we.get("status") or {}).get("startTime"))
        waited = (timestamps.now() - started).total_seconds() if started else 0.0
        if waited < self.STALL_SECONDS:
            return Result(requeue_after=self.STALL_SECONDS - waited)
        message = f"PipelineRun was not started within {self.STALL_SECONDS:.0f}s"
        failure = Failure(f.FailureReason.UNKNOWN, message)
        return self.fail_running(we, failure, tekton.mirror(pr))


ALL: dict[str, type[Reconciler]] = {
    "double-status-write": DoubleStatusWrite,
    "audit-in-retry": AuditInRetry,
    "no-audit-recorded": NoAuditRecorded,
    "wrong-pr-name": WrongPipelineRunName,
    "failed-as-completed": FailedAsCompleted,
    "leak-pr-on-delete": LeakPipelineRunOnDelete,
    "wrong-duration": WrongDuration,
    "no-finalizer": NoFinalizer,
    "failed-does-not-block": FailedDoesNotBlock,
    "cooldown-by-name": CooldownByName,
    "no-cooldown-gate": NoCooldownGate,
    "terminal-without-completion-releases": TerminalWithoutCompletionReleases,
    "release-without-cooldown": ReleaseWithoutCooldown,
    "delete-by-name": DeleteByName,
    "single-underscore-label": SingleUnderscoreTargetLabel,
    "target-param-first": TargetResourceParamFirst,
    "sa-from-spec": ServiceAccountFromSpec,
    "pipelinerun-timeout": PipelineRunTimeout,
    "non-enum-create-reason": NonEnumCreateErrorReason,
    "no-empty-part-check": NoEmptyPartCheck,
    "timeout-before-oom": TimeoutBeforeOOM,
    "pipeline-task-name": PipelineTaskName,
    "start-time-on-pre-execution": StartTimeOnPreExecutionFailure,
    "writes-failure-reason": WritesFailureReason,
    "completion-time-now": CompletionTimeNow,
    "empty-correlation-label": EmptyCorrelationLabel,
    "started-twice-on-adoption": StartedTwiceOnAdoption,
    "zero-duration-observed": ZeroDurationObserved,
    "terminal-mirror-cleared": TerminalMirrorCleared,
    "recreate-after-external-deletion": RecreateAfterExternalDeletion,
    "created-condition-in-follow-up-write": CreatedConditionInFollowUpWrite,
    "running-message-without-reason": RunningMessageWithoutReason,
    "adopt-foreign-pipelinerun": AdoptForeignPipelineRun,
    "double-counted-outcome": DoubleCountedOutcome,
    "audit-phase-before-transition": AuditPhaseBeforeTransition,
    "correlation-from-remediation-request": CorrelationFromRemediationRequest,
    "audit-on-deletion": AuditOnDeletion,
    "missing-spec-crashes": MissingSpecCrashes,
    "no-target-param-without-parameters": NoTargetParamWithoutParameters,
    "hard-coded-service-account": HardCodedServiceAccount,
    "terminal-rewritten": TerminalRewritten,
    "no-completion-time-from-pipelinerun": NoCompletionTimeFromPipelineRun,
    "mirror-ignores-child-references": MirrorIgnoresChildReferences,
    "finalizer-update-drops-spec-fields": FinalizerUpdateDropsSpecFields,
    "audit-dropped-after-retries": AuditDroppedAfterRetries,
    "audit-buffer-in-memory": AuditBufferInMemory,
    "watch-gives-up": WatchGivesUp,
    "stalled-pipelinerun-fails": StalledPipelineRunFails,
}
