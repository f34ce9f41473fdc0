"""Evidence on failure: WE/PipelineRun YAML, Events, audit events, logs, waits, API calls.

The API calls on the test's objects come from kube-apiserver's audit log (api-calls.jsonl),
next to the stack's state (stack.json).

Everything is cut to *this* test's objects: the controller and the API server serve all tests
of a run at once, and a line about another test's WorkflowExecution would mislead the reader.

Attached three ways: as report sections named "Captured stdout wetest ..." (so the terminal
shows them and JUnit puts them in system-out), as Allure attachments when allure-pytest is
active, and as files under ``<results_dir>/evidence/<test>/`` listed in results.jsonl.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Generator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from kubernetes import client

from wetest.domain import logfilter, naming
from wetest.errors import InfrastructureError, WaitTimeout, WetestError, cause_of
from wetest.kube import objects
from wetest.plugin import markers, session, timeline
from wetest.plugin.resources import created_objects, safe_get
from wetest.plugin.stack import HANDLE_KEY, StackHandle
from wetest.stack import apiaudit, control, datastorage, processes

LOG_TAIL = 20
STATUS_TIMEOUT = 3.0  # the supervisor answers in milliseconds; a dead one must not stall
HEALTH_TIMEOUT = 1.0


def evidence_dir(item: pytest.Item) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid)[-120:]
    return session.get(item.config).results_dir.resolve() / "evidence" / safe


def _handle(item: pytest.Item) -> StackHandle | None:
    return item.config.stash.get(HANDLE_KEY, None)


def _api(item: pytest.Item) -> client.ApiClient | None:
    funcargs: dict[str, Any] = getattr(item, "funcargs", {})
    return funcargs.get("we_kube")


def _clean(obj: dict[str, Any]) -> dict[str, Any]:
    """Drop managedFields: noise in evidence, never what a reader looks for."""
    meta = obj.get("metadata") or {}
    meta.pop("managedFields", None)
    return obj


def gather(item: pytest.Item, exc: BaseException | None) -> dict[str, str]:
    """Collect evidence texts keyed by file name (only what this test touched)."""
    out: dict[str, str] = {}
    # first, so the evidence reads below do not show up among the test's API calls
    scope = _scope(item, created_objects(item))
    calls = _api_calls(item, scope)
    if calls is not None:
        out["api-calls.jsonl"] = apiaudit.to_jsonl(calls)
    api = _api(item)
    wes = (
        [
            safe_get(
                api,
                objects.ObjectRef.workflow_execution(
                    w["metadata"]["namespace"], w["metadata"]["name"]
                ),
            )
            or w
            for w in created_objects(item)
        ]
        if api
        else []
    )
    if wes:
        out["we.yaml"] = yaml.safe_dump_all([_clean(w) for w in wes], sort_keys=False)
        prs = [p for p in (_pipelinerun(api, item, w) for w in wes) if p]
        if prs:
            out["pipelinerun.yaml"] = yaml.safe_dump_all([_clean(p) for p in prs], sort_keys=False)
    events = _events(api, item)
    if events:
        out["events.yaml"] = yaml.safe_dump(events, sort_keys=False)
    audit = _audit(item, wes)
    if audit is not None:  # an empty trail is evidence too: every event was lost
        out["audit.json"] = json.dumps(audit, indent=2)
    out["stack.json"] = json.dumps(stack_state(_handle(item)), indent=2)
    log = _controller_log(item, scope, wes)
    if log:
        out["controller.log"] = log
    if isinstance(exc, WaitTimeout):
        out["wait-history.txt"] = str(exc)
    out["timeline.json"] = json.dumps(
        timeline.build(wes, audit or [], events, calls or []), indent=2
    )
    return out


def _scope(item: pytest.Item, wes: list[dict[str, Any]]) -> apiaudit.Scope:
    """The test's namespace(s) and the PipelineRuns of its WEs (deterministic names)."""
    namespace = getattr(item, "funcargs", {}).get("we_namespace")
    namespaces = {str(namespace)} if isinstance(namespace, str) and namespace else set()
    namespaces |= {
        w["metadata"]["namespace"] for w in wes if w.get("metadata", {}).get("namespace")
    }
    return apiaudit.Scope(
        frozenset(namespaces),
        session.get(item.config).execution_namespace,
        frozenset(_pipelinerun_name(w) for w in wes) - {""},
    )


def _api_calls(item: pytest.Item, scope: apiaudit.Scope) -> list[dict[str, Any]] | None:
    """The requests on the test's objects from kube-apiserver's audit log; None without one.

    The log is written in blocking mode (each event before its request completes), so the
    failed test's last calls are already in the file when this runs.
    """
    handle = _handle(item)
    if handle is None or not handle.endpoints.audit_log or not scope.namespaces:
        return None
    return apiaudit.index_for(Path(handle.endpoints.audit_log)).calls(scope)


def stack_state(handle: StackHandle | None) -> dict[str, Any]:
    """The stack.json record: API-call evidence, each component, the controller, DataStorage."""
    if handle is None:
        return {"api_call_evidence": "unavailable: no wetest stack", "components": {}}
    endpoints = handle.refresh()  # a restarted controller or a stopped DataStorage
    status = _component_status(handle)
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


def _evidence_status(endpoints: Any) -> str:
    found = str(endpoints.api_call_evidence or "")
    if found == apiaudit.AVAILABLE and not Path(endpoints.audit_log).is_file():
        return f"unavailable: the audit log {endpoints.audit_log} is missing"
    return found or "unavailable: the stack recorded no audit log"


def _component_status(handle: StackHandle) -> dict[str, dict[str, Any]]:
    """Exit codes from the supervisor (the processes' parent); {} when it cannot answer."""
    if handle.supervisor_pid <= 0 or not processes.pid_alive(handle.supervisor_pid):
        return {}
    try:
        answer = control.send(
            handle.shared, handle.supervisor_pid, "component-status", timeout=STATUS_TIMEOUT
        )
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


def _pipelinerun_name(we: dict[str, Any]) -> str:
    target = (we.get("spec") or {}).get("targetResource", "")
    return str(
        ((we.get("status") or {}).get("pipelineRunRef") or {}).get("name")
        or (naming.pipelinerun_name(target) if target else "")
    )


def _pipelinerun(api: Any, item: pytest.Item, we: dict[str, Any]) -> dict[str, Any] | None:
    name = _pipelinerun_name(we)
    ns = session.get(item.config).execution_namespace
    return safe_get(api, objects.ObjectRef.pipeline_run(ns, name)) if name else None


def _events(api: Any, item: pytest.Item) -> list[dict[str, Any]]:
    namespace = getattr(item, "funcargs", {}).get("we_namespace")
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


def _audit(item: pytest.Item, wes: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """The audit trail of the test's WEs; None when DataStorage answered for none of them."""
    handle = _handle(item)
    if handle is None or not handle.endpoints.datastorage:
        return None
    out: list[dict[str, Any]] = []
    answered = False
    for we in wes:
        labels = we.get("metadata", {}).get("labels") or {}
        cid = labels.get("kubernaut.ai/correlation-id") or we["metadata"]["name"]
        with contextlib.suppress(Exception):
            response = httpx.get(
                f"{handle.endpoints.datastorage}/api/v1/audit/events",
                params={"correlation_id": cid, "limit": "200"},
                timeout=5,
            )
            out += response.json().get("data", [])
            answered = True
    return out if answered else None


def _controller_log(item: pytest.Item, scope: apiaudit.Scope, wes: list[dict[str, Any]]) -> str:
    """The controller log's records that mention this test's objects, nothing else."""
    handle = _handle(item)
    log = handle.endpoints.controller.log if handle and handle.endpoints.controller else ""
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


def write(item: pytest.Item, texts: dict[str, str]) -> dict[str, str]:
    """Write evidence files; return their paths relative to the results dir."""
    folder = evidence_dir(item)
    folder.mkdir(parents=True, exist_ok=True)
    root = session.get(item.config).results_dir.resolve()
    paths = {}
    for name, text in texts.items():
        (folder / name).write_text(text)
        paths[name] = str((folder / name).relative_to(root))
    return paths


def _attach_allure(item: pytest.Item, texts: dict[str, str]) -> None:
    manager = item.config.pluginmanager
    # registered by its entry point name, or by module name when loaded with -p (wetest run)
    if not (manager.hasplugin("allure_pytest") or manager.hasplugin("allure_pytest.plugin")):
        return
    import allure

    for name, text in texts.items():
        allure.attach(text, name=name, attachment_type=allure.attachment_type.TEXT)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, Any]:
    report: pytest.TestReport = yield
    exc = call.excinfo.value if call.excinfo else None
    info: dict[str, Any] = {"evidence": {}}
    if report.failed:
        item.wetest_failed = True  # type: ignore[attr-defined]
        info.update(
            error_class=_qualname(exc),
            cause=str(cause_of(exc)) if exc else None,
            message=str(exc).splitlines()[0] if exc and str(exc) else None,
        )
        if report.when in ("setup", "call") and _uses_wetest(item):
            texts = gather(item, exc)
            info["evidence"] = write(item, texts)
            for name, text in texts.items():
                if name != "timeline.json":
                    report.sections.append((f"Captured stdout wetest {name}", text[-8000:]))
            _attach_allure(item, texts)
        if isinstance(exc, InfrastructureError):
            item.session.shouldfail = f"wetest: infrastructure missing: {str(exc)[:300]}"
    area, clauses = markers.clauses_of(item)
    info.update(
        area=area, clauses=clauses, profile=markers.profile_of(clauses), we=_uses_wetest(item)
    )
    report.user_properties.append(("wetest", json.dumps(info)))
    return report


def _uses_wetest(item: pytest.Item) -> bool:
    return any(name.startswith("we_") for name in getattr(item, "fixturenames", ()))


def _qualname(exc: BaseException | None) -> str | None:
    if exc is None:
        return None
    cls = type(exc)
    return (
        cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    )
