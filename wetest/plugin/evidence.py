"""Evidence on failure: WE and PipelineRun YAML, Events, audit events, controller log, waits.

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

from wetest.domain import naming
from wetest.errors import InfrastructureError, WaitTimeout, cause_of
from wetest.kube import objects
from wetest.plugin import markers, session, timeline
from wetest.plugin.resources import created_objects, safe_get
from wetest.plugin.stack import HANDLE_KEY, StackHandle
from wetest.stack import processes


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
    if audit:
        out["audit.json"] = json.dumps(audit, indent=2)
    log = _controller_log(item)
    if log:
        out["controller.log"] = log
    if isinstance(exc, WaitTimeout):
        out["wait-history.txt"] = str(exc)
    out["timeline.json"] = json.dumps(timeline.build(wes, audit, events), indent=2)
    return out


def _pipelinerun(api: Any, item: pytest.Item, we: dict[str, Any]) -> dict[str, Any] | None:
    name = ((we.get("status") or {}).get("pipelineRunRef") or {}).get(
        "name"
    ) or naming.pipelinerun_name(we.get("spec", {}).get("targetResource", ""))
    ns = session.get(item.config).execution_namespace
    return safe_get(api, objects.ObjectRef.pipeline_run(ns, name))


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


def _audit(item: pytest.Item, wes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    handle = _handle(item)
    if handle is None or not handle.endpoints.datastorage:
        return []
    out: list[dict[str, Any]] = []
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
    return out


def _controller_log(item: pytest.Item) -> str:
    handle = _handle(item)
    log = handle.endpoints.controller.log if handle and handle.endpoints.controller else ""
    return processes.tail(Path(log), 80) if log else ""


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
