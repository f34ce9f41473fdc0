"""Hand-built evidence folders in the formats of the shared interface (api-calls.jsonl, stack.json).

The collector that writes these files is built in parallel, so the analyzer tests build them
from the interface text: one API call per line, stack.json with components, controller and
DataStorage, we.yaml / pipelinerun.yaml as YAML documents.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from wetest.report.analysis import Evidence
from wetest.report.results import RunInfo, TestResult

NS = "wetest-t1"
WE = "we-t1"
UID = "6f1c9a52-0000-4000-8000-000000000001"
PR = "wfe-0123456789abcdef"


def we(phase: str = "Running", conditions: tuple[str, ...] = (), name: str = WE) -> dict[str, Any]:
    status: dict[str, Any] = {"phase": phase}
    if phase in ("Running", "Completed", "Failed"):
        status |= {"startTime": "2026-12-06T10:00:02Z", "pipelineRunRef": {"name": PR}}
    if conditions:
        status["conditions"] = [{"type": t, "status": "True"} for t in conditions]
    return {
        "apiVersion": "kubernaut.ai/v1alpha1",
        "kind": "WorkflowExecution",
        "metadata": {
            "name": name,
            "namespace": NS,
            "uid": UID,
            "labels": {"kubernaut.ai/correlation-id": f"corr-{name}"},
        },
        "spec": {"targetResource": f"{NS}/deployment/app"},
        "status": status,
    }


def pipelinerun(succeeded: str | None = None) -> dict[str, Any]:
    status = {"conditions": [{"type": "Succeeded", "status": succeeded}]} if succeeded else {}
    return {"kind": "PipelineRun", "metadata": {"name": PR, "namespace": "kubernaut-workflows"},
            "status": status}  # fmt: skip


def call(
    verb: str,
    code: int = 200,
    *,
    actor: str = "controller",
    sub: str = "status",
    t: str = "2026-12-06T10:00:02.000001Z",
    name: str = WE,
    resource: str = "workflowexecutions",
    message: str = "",
) -> dict[str, Any]:
    reason = {409: "Conflict", 403: "Forbidden", 422: "Invalid"}.get(code, "")
    return {
        "time": t, "actor": actor, "user": f"system:wetest:{actor}", "user_agent": actor,
        "verb": verb, "resource": resource, "subresource": sub, "namespace": NS, "name": name,
        "code": code, "reason": reason, "message": message,
    }  # fmt: skip


def stack(
    *,
    dead: dict[str, int] | None = None,
    controller_exit: int | None = None,
    ds_reachable: bool = True,
    evidence: str = "available",
) -> dict[str, Any]:
    components = {
        name: {"alive": name not in (dead or {}), "exit_code": (dead or {}).get(name),
               "log_tail": [f"{name} last words"] if name in (dead or {}) else []}
        for name in ("etcd", "kube-apiserver", "tekton", "datastorage")
    }  # fmt: skip
    return {
        "api_call_evidence": evidence,
        "components": components,
        "controller": {
            "alive": controller_exit is None,
            "exit_code": controller_exit,
            "log_tail": ["Traceback (most recent call last):", "RuntimeError: boom"]
            if controller_exit is not None
            else [],
        },
        "datastorage": {
            "url": "http://127.0.0.1:18100",
            "reachable": ds_reachable,
            "detail": "" if ds_reachable else "connection refused",
        },
    }


class Folder:
    """One failed test's evidence folder inside a run directory."""

    def __init__(self, run_dir: Path, nodeid: str = "suites/x/test_x.py::test_x") -> None:
        self.run_dir = run_dir
        self.nodeid = nodeid
        self.files: dict[str, str] = {}
        self.fields: dict[str, Any] = {
            "outcome": "failed",
            "error_class": "wetest.errors.WaitTimeout",
            "message": "Phase Completed not reached in 15s.",
            "start": "2026-12-06T10:00:00+00:00",
            "stop": "2026-12-06T10:00:20+00:00",
        }
        self.info = RunInfo()

    def add(self, name: str, content: Any) -> Folder:
        if name in ("we.yaml", "pipelinerun.yaml"):
            text = yaml.safe_dump_all(content if isinstance(content, list) else [content])
        elif name == "api-calls.jsonl":
            text = "".join(json.dumps(c) + "\n" for c in content)
        elif isinstance(content, str):
            text = content
        else:
            text = json.dumps(content)
        folder = self.run_dir / "evidence" / self.nodeid.rpartition("::")[2]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
        self.files[name] = str((folder / name).relative_to(self.run_dir))
        return self

    def log(self, name: str, lines: list[str]) -> Folder:
        (self.run_dir / "logs").mkdir(parents=True, exist_ok=True)
        (self.run_dir / "logs" / f"{name}.log").write_text("\n".join(lines) + "\n")
        return self

    def result(self) -> TestResult:
        return TestResult(nodeid=self.nodeid, evidence=dict(self.files), **self.fields)

    def evidence(self) -> Evidence:
        from wetest.report.analysis import clear_cache

        clear_cache()
        return Evidence(self.run_dir, self.result(), self.info)
