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
import hashlib
import logging
import uuid

from wetest.domain import audit as audit_events
from wetest.domain import conditions as c
from wetest.domain import durations, timestamps
from wetest.domain import failures as f
from wetest.domain import resources as r
from wetest.reference.controller import pipelineruns, transitions
from wetest.reference.controller.kubeio import AlreadyExists, Conflict, KubeError
from wetest.reference.controller.reconciler import Body, Reconciler
from wetest.reference.controller.requests import Result

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
            except Conflict:
                if attempt == RETRY_STEPS:
                    raise
                meta = we["metadata"]
                we = self.kube.get_we(meta["namespace"], meta["name"])


class NoAuditRecorded(Reconciler):
    """Breaks WE-COND-040/041 and WE-COND-006: AuditRecorded is never set.

    The audit event is still delivered exactly once; only the condition is missing.
    """

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

    def start_pipelinerun(self, we: Body) -> Result:
        body = pipelineruns.build(we, self.config.execution_namespace, self.config.service_account)
        name = sha1_pipelinerun_name(we["spec"]["targetResource"])
        body["metadata"]["name"] = name
        ns = self.config.execution_namespace
        try:
            pr = self.kube.create_pr(body)
        except AlreadyExists:
            return self.adopt_or_fail(we, name)
        except KubeError as exc:
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

    def conclude(self, we: Body, pr: Body, cond: Body) -> Result:
        return self.complete(we, pr)


class LeakPipelineRunOnDelete(Reconciler):
    """Breaks WE-DEL-001: on deletion the finalizer is removed but the PipelineRun is left."""

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

    def commit(self, we: Body, status: Body, event_type: audit_events.EventType) -> None:
        if status.get("duration"):
            status = {**status, "duration": float_seconds(status["duration"])}
        super().commit(we, status, event_type)


class NoFinalizer(Reconciler):
    """Breaks WE-FIN-001 and so WE-DEL-001: the finalizer is never added.

    Deleting a WE is then immediate and nothing deletes its PipelineRun.
    """

    def add_finalizer(self, we: Body) -> Body:
        return we


ALL: dict[str, type[Reconciler]] = {
    "double-status-write": DoubleStatusWrite,
    "audit-in-retry": AuditInRetry,
    "no-audit-recorded": NoAuditRecorded,
    "wrong-pr-name": WrongPipelineRunName,
    "failed-as-completed": FailedAsCompleted,
    "leak-pr-on-delete": LeakPipelineRunOnDelete,
    "wrong-duration": WrongDuration,
    "no-finalizer": NoFinalizer,
}
