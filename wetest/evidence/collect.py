"""Collect a failed test's evidence: WE/PipelineRun YAML, Events, audit, logs, waits, API calls.

The API calls on the test's objects come from kube-apiserver's audit log (api-calls.jsonl),
next to the stack's state (stack.json).

Everything is cut to the *subject's* objects: the controller and the API server serve all tests
of a run at once, and a line about another test's WorkflowExecution would mislead the reader.
Every source is optional (no stack, no API client, DataStorage down): what cannot be read is
left out, never raised, because evidence is gathered after something already failed.

A script uses it as the plugin does::

    stack = handle.attach(Path("~/.local/state/wetest").expanduser())
    subject = Subject(namespace="my-ns", workflow_executions=[we])
    collect(stack, api, subject, Path("evidence/my-check"))
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from wetest.domain import audit, logfilter, naming
from wetest.errors import WaitTimeout, WetestError
from wetest.evidence import timeline
from wetest.kube import objects
from wetest.kube.errors import KubeAPIError
from wetest.stack import apiaudit, datastorage, probing, processes
from wetest.stack.endpoints import Endpoints
from wetest.supervision.handle import StackHandle

if TYPE_CHECKING:
    from kubernetes import client

Body = dict[str, Any]
LOG_TAIL = 20
STATUS_TIMEOUT = 3.0  # the supervisor answers in milliseconds; a dead one must not stall
HEALTH_TIMEOUT = 1.0
DEFAULT_EXECUTION_NAMESPACE = "kubernaut-workflows"


@dataclass(frozen=True)
class Subject:
    """What one test (or script) touched: its namespace and the WorkflowExecutions it created.

    ``execution_namespace`` is where their PipelineRuns live (the setting of that name).
    """

    namespace: str = ""
    workflow_executions: Sequence[Body] = field(default_factory=list)
    execution_namespace: str = DEFAULT_EXECUTION_NAMESPACE


def gather(
    stack: StackHandle | None,
    api: client.ApiClient | None,
    subject: Subject,
    error: BaseException | None = None,
) -> dict[str, str]:
    """Collect evidence texts keyed by file name (only what the subject touched)."""
    out: dict[str, str] = {}
    # first, so the evidence reads below do not show up among the test's API calls
    scope = _scope(subject)
    calls = _api_calls(stack, scope)
    if calls is not None:
        out["api-calls.jsonl"] = apiaudit.to_jsonl(calls)
    wes = [_fresh(api, w) for w in subject.workflow_executions] if api else []
    if wes:
        out["we.yaml"] = yaml.safe_dump_all([_clean(w) for w in wes], sort_keys=False)
        prs = [p for p in (_pipelinerun(api, subject, w) for w in wes) if p]
        if prs:
            out["pipelinerun.yaml"] = yaml.safe_dump_all([_clean(p) for p in prs], sort_keys=False)
    events = _events(api, subject.namespace)
    if events:
        out["events.yaml"] = yaml.safe_dump(events, sort_keys=False)
    trail = audit_trail(stack, wes)
    if trail is not None:  # an empty trail is evidence too: every event was lost
        out["audit.json"] = json.dumps(trail, indent=2)
    out["stack.json"] = json.dumps(stack_state(stack), indent=2)
    log = _controller_log(stack, scope, wes)
    if log:
        out["controller.log"] = log
    if isinstance(error, WaitTimeout):
        out["wait-history.txt"] = str(error)
    out["timeline.json"] = json.dumps(
        timeline.build(wes, trail or [], events, calls or []), indent=2
    )
    return out


def write(texts: dict[str, str], folder: Path, root: Path | None = None) -> dict[str, str]:
    """Write evidence files into folder; return their paths relative to root (default folder)."""
    folder.mkdir(parents=True, exist_ok=True)
    base = (root or folder).resolve()
    paths = {}
    for name, text in texts.items():
        (folder / name).write_text(text)
        paths[name] = str((folder / name).resolve().relative_to(base))
    return paths


def collect(
    stack: StackHandle | None,
    api: client.ApiClient | None,
    subject: Subject,
    folder: Path,
    error: BaseException | None = None,
) -> dict[str, str]:
    """Gather and write in one call (a script's entry point); return the written paths."""
    return write(gather(stack, api, subject, error), folder)


def _clean(obj: Body) -> Body:
    """Drop managedFields: noise in evidence, never what a reader looks for."""
    meta = obj.get("metadata") or {}
    meta.pop("managedFields", None)
    return obj


def _safe_get(api: client.ApiClient, ref: objects.ObjectRef) -> Body | None:
    try:
        return objects.get_or_none(api, ref)
    except KubeAPIError:
        return None


def _fresh(api: client.ApiClient, we: Body) -> Body:
    """The WE as it is now; as created when it cannot be read (deleted, API server down)."""
    meta = we.get("metadata") or {}
    ref = objects.ObjectRef.workflow_execution(meta.get("namespace", ""), meta.get("name", ""))
    return _safe_get(api, ref) or we


def _scope(subject: Subject) -> apiaudit.Scope:
    """The subject's namespace(s) and the PipelineRuns of its WEs (deterministic names)."""
    namespaces = {subject.namespace} if subject.namespace else set()
    namespaces |= {
        w["metadata"]["namespace"]
        for w in subject.workflow_executions
        if w.get("metadata", {}).get("namespace")
    }
    return apiaudit.Scope(
        frozenset(namespaces),
        subject.execution_namespace,
        frozenset(_pipelinerun_name(w) for w in subject.workflow_executions) - {""},
    )


def _api_calls(stack: StackHandle | None, scope: apiaudit.Scope) -> list[Body] | None:
    """The requests on the subject's objects from kube-apiserver's audit log; None without one.

    The log is written in blocking mode (each event before its request completes), so the
    failed test's last calls are already in the file when this runs. An API-server replica
    (``wetest.stack.replica``) keeps its own log: the calls of every log are merged in time
    order, those served by a replica marked with its ``server``.
    """
    if stack is None or not stack.endpoints.audit_log or not scope.namespaces:
        return None
    calls = apiaudit.index_for(Path(stack.endpoints.audit_log)).calls(scope)
    replicas = [r for r in stack.endpoints.replicas.values() if r.audit_log]
    for replica in replicas:
        if Path(replica.audit_log).is_file():
            found = apiaudit.index_for(Path(replica.audit_log)).calls(scope)
            calls += [{**call, "server": replica.name} for call in found]
    return sorted(calls, key=lambda r: str(r["time"])) if replicas else calls


def stack_state(stack: StackHandle | None) -> dict[str, Any]:
    """The stack.json record: API-call evidence, each component, the controller, DataStorage."""
    if stack is None:
        return {"api_call_evidence": "unavailable: no wetest stack", "components": {}}
    endpoints = stack.refresh()  # a restarted controller or a stopped DataStorage
    status = _component_status(stack)
    names = sorted({*endpoints.pids, *status} - {"controller"})
    components = {
        name: _component(
            status.get(name), endpoints.pids.get(name, 0), endpoints.logs.get(name, "")
        )
        for name in names
    }
    ctl = endpoints.controller
    controller = _component(status.get("controller"), ctl.pid if ctl else 0, ctl.log if ctl else "")
    if controller["alive"]:  # its tail is other tests' lines; controller.log has this test's
        controller["log_tail"] = []
    return {
        "api_call_evidence": _evidence_status(endpoints),
        "components": components,
        "controller": controller,
        "datastorage": _datastorage(endpoints.datastorage),
    }


def _evidence_status(endpoints: Endpoints) -> str:
    found = str(endpoints.api_call_evidence or "")
    if found == apiaudit.AVAILABLE and not Path(endpoints.audit_log).is_file():
        return f"unavailable: the audit log {endpoints.audit_log} is missing"
    return found or "unavailable: the stack recorded no audit log"


def _component_status(stack: StackHandle) -> dict[str, dict[str, Any]]:
    """Exit codes from the supervisor, which started the processes; {} when it cannot answer.

    A process forked by the stack's fork server is not the supervisor's child: its code comes
    to the supervisor from the server (``wetest.stack.forkserver``).
    """
    if stack.supervisor_pid <= 0 or not processes.pid_alive(stack.supervisor_pid):
        return {}
    try:
        answer = stack.component_status(timeout=STATUS_TIMEOUT)  # an isolated test's own
    except (WetestError, OSError, ValueError):
        return {}
    found = answer.get("components")
    return found if isinstance(found, dict) else {}


def _component(status: dict[str, Any] | None, pid: int, log: str) -> dict[str, Any]:
    alive = bool(status["alive"]) if status else bool(pid) and processes.pid_alive(pid)
    return {
        "alive": alive,
        "exit_code": status.get("exit_code") if status else None,
        "log_tail": processes.tail(Path(log), LOG_TAIL).splitlines() if log else [],
    }


def _datastorage(url: str) -> dict[str, Any]:
    if not url:
        return {"url": "", "reachable": False, "detail": "no DataStorage in this stack"}
    error = datastorage.health_error(url, timeout=HEALTH_TIMEOUT)
    return {"url": url, "reachable": error is None, "detail": error or "GET /health: 200"}


def _pipelinerun_name(we: Body) -> str:
    target = (we.get("spec") or {}).get("targetResource", "")
    return str(
        ((we.get("status") or {}).get("pipelineRunRef") or {}).get("name")
        or (naming.pipelinerun_name(target) if target else "")
    )


def _pipelinerun(api: client.ApiClient, subject: Subject, we: Body) -> Body | None:
    name = _pipelinerun_name(we)
    ref = objects.ObjectRef.pipeline_run(subject.execution_namespace, name)
    return _safe_get(api, ref) if name else None


def _events(api: client.ApiClient | None, namespace: str) -> list[Body]:
    if api is None or not namespace:
        return []
    with contextlib.suppress(Exception):
        found = objects.list_objects(api, objects.ObjectRef.core("events", namespace))["items"]
        return [
            {
                "type": e.get("type"),
                "reason": e.get("reason"),
                "message": e.get("message"),
                "object": f"{e['involvedObject'].get('kind')}/{e['involvedObject'].get('name')}",
                "time": str(
                    e.get("lastTimestamp") or e.get("eventTime") or e.get("firstTimestamp")
                ),
                "count": e.get("count"),
            }
            for e in found
        ]
    return []


def audit_trail(stack: StackHandle | None, wes: list[Body]) -> list[Body] | None:
    """The audit trail of the subject's WEs; None when DataStorage answered for none of them.

    First by the correlation id each WE should have (WE-AUD-002), then the workflow events
    since the first WE was created that are about one of them (``resource_id`` and
    ``namespace``, or ``event_data.target_resource``: targets are unique per test) but filed
    under another correlation id: without those, a controller that computes the id wrongly
    looks like one that loses its events.
    """
    if stack is None or not stack.endpoints.datastorage:
        return None
    url = f"{stack.endpoints.datastorage}/api/v1/audit/events"
    out: list[Body] = []
    answered = False
    for we in wes:
        with contextlib.suppress(Exception):
            cid = audit.correlation_id(we)
            response = probing.get(url, params={"correlation_id": cid, "limit": "200"}, timeout=5)
            out += response.json().get("data", [])
            answered = True
    created = sorted(str(we.get("metadata", {}).get("creationTimestamp") or "") for we in wes)
    if answered and created and created[0]:
        known = {str(e.get("event_id")) for e in out}
        params = {"event_category": "workflow", "since": created[0], "limit": "1000"}
        with contextlib.suppress(Exception):
            recent = probing.get(url, params=params, timeout=5).json().get("data", [])
            out += [
                e
                for e in recent
                if str(e.get("event_id")) not in known and any(audit.is_about(e, w) for w in wes)
            ]
    return out if answered else None


def _controller_log(stack: StackHandle | None, scope: apiaudit.Scope, wes: list[Body]) -> str:
    """The controller log's records that mention the subject's objects, nothing else."""
    log = stack.endpoints.controller.log if stack and stack.endpoints.controller else ""
    if not log:
        return ""
    keys = {*scope.namespaces, *scope.pipelineruns}
    for we in wes:
        meta = we.get("metadata") or {}
        keys |= {str(meta.get("name") or ""), str(meta.get("uid") or "")}
    try:
        text = Path(log).read_text("utf-8", errors="replace")
    except OSError:
        return ""
    return logfilter.mentioning(text, keys)
