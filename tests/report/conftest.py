"""Synthetic run directories, written the way the plugin writes them, for the report tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

SEED_DS_MESSAGE = (
    "Data Storage REQUIRED but not available at http://localhost:18100 (GET /health failed: "
    "connection refused). Looked in WETEST_DATASTORAGE (unset). Run: wetest up"
)
SEED_CONFLICT_MESSAGE = (
    'Operation cannot be fulfilled on workflowexecutions.kubernaut.ai "int-test-a1": '
    "the object has been modified; please apply your changes to the latest version and try again"
)
CONFLICT_LOG = """\
2025-12-15T10:00:01Z INFO reconciling default/int-test-a1 phase=Pending
2025-12-15T10:00:01Z INFO created PipelineRun kubernaut-workflows/wfe-0123456789abcdef
2025-12-15T10:00:02Z INFO writing status phase=Running
2025-12-15T10:00:02Z ERROR status update failed: Operation cannot be fulfilled on \
workflowexecutions.kubernaut.ai "int-test-a1": the object has been modified (409)
2025-12-15T10:00:02Z INFO requeue default/int-test-a1
"""
WE_YAML = """\
apiVersion: kubernaut.ai/v1alpha1
kind: WorkflowExecution
metadata:
  name: int-test-a1
  namespace: default
spec:
  targetResource: default/deployment/app
status:
  phase: Running
  startTime: "2025-12-15T10:00:02Z"
  pipelineRunRef:
    name: wfe-0123456789abcdef
"""
TIMELINE = [
    {"t": "2025-12-15T10:00:00Z", "kind": "status", "summary": "phase '' -> Pending"},
    {"t": "2025-12-15T10:00:02Z", "kind": "status", "summary": "phase Pending -> Running"},
    {"t": "2025-12-15T10:00:02Z", "kind": "audit", "summary": "workflow.started", "detail": {}},
    {
        "t": "2025-12-15T10:00:03Z",
        "kind": "event",
        "summary": "Normal PipelineRunCreated Created PipelineRun kubernaut-workflows/wfe-0123",
        "detail": {"reason": "PipelineRunCreated"},
    },
    {"t": "2025-12-15T10:00:12Z", "kind": "wait", "summary": "gave up waiting for Completed"},
]


class RunDir:
    """Builds one run directory: run.json, results.jsonl and evidence files."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.info: dict[str, Any] = {
            "wetest_version": "0.1.0",
            "contract_version": "WE contract v1.0",
            "clause_set_hash": "",
            "target": {
                "name": "bundled",
                "command": "python -m wetest.reference.controller",
                "version": "0.1.0",
            },
            "backend": "envtest",
            "profiles": ["core", "conditions", "audit", "datastorage"],
            "started": "2025-12-15T10:00:00+00:00",
            "finished": "2025-12-15T10:05:00+00:00",
            "exit_status": 1,
            "settings": {"backend": {"value": "envtest", "source": "default"}},
            "endpoints": {},
            "session_error": None,
        }
        self.results: list[dict[str, Any]] = []

    def add(self, nodeid: str, outcome: str = "passed", **fields: Any) -> dict[str, Any]:
        record: dict[str, Any] = {
            "nodeid": nodeid, "name": nodeid.rpartition("::")[2], "outcome": outcome,
            "when": "call", "duration": 0.5, "clauses": [], "area": "lifecycle",
            "profile": "core", "error_class": None, "cause": None, "message": None,
            "longrepr": None, "evidence": {}, "worker": "master",
            "start": "2025-12-15T10:00:00+00:00", "stop": "2025-12-15T10:00:01+00:00",
            "rerun": None,
        }  # fmt: skip
        record.update(fields)
        self.results.append(record)
        return record

    def evidence(self, record: dict[str, Any], name: str, content: str | list[Any]) -> None:
        test_id = f"t{self.results.index(record)}"
        relative = f"evidence/{test_id}/{name}"
        target = self.path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        text = content if isinstance(content, str) else json.dumps(content)
        target.write_text(text, "utf-8")
        record["evidence"][name] = relative

    def write(self, *, cut_last_line: bool = False) -> Path:
        self.path.mkdir(parents=True, exist_ok=True)
        (self.path / "run.json").write_text(json.dumps(self.info), "utf-8")
        lines = [json.dumps(r) for r in self.results]
        text = "\n".join(lines) + "\n"
        if cut_last_line:
            text = text[: -len(lines[-1]) // 2]
        (self.path / "results.jsonl").write_text(text, "utf-8")
        return self.path


@pytest.fixture
def make_run(tmp_path: Path) -> Callable[[str], RunDir]:
    def make(name: str) -> RunDir:
        return RunDir(tmp_path / name)

    return make


def add_seed(run: RunDir) -> RunDir:
    """ENV-009: 43 tests, 32 passed, 6 failed on missing DataStorage, 5 on status conflicts."""
    for i in range(32):
        run.add(f"suites/lifecycle/test_lifecycle.py::test_pass_{i}", clauses=["WE-PR-001"])
    for i in range(6):
        run.add(
            f"suites/audit/test_audit_ds.py::test_ds_{i}", "error", when="setup",
            clauses=["WE-AUD-023"], area="audit", profile="audit",
            error_class="wetest.errors.DependencyMissing", cause="missing infrastructure",
            message=SEED_DS_MESSAGE, longrepr=f"E   DependencyMissing: {SEED_DS_MESSAGE}",
        )  # fmt: skip
    for i in range(5):
        record = run.add(
            f"suites/conditions/test_conditions.py::test_conflict_{i}", "failed",
            clauses=["WE-STAT-001", "WE-COND-031"], area="conditions", profile="conditions",
            error_class="wetest.errors.ResourceConflict", cause=None,
            message=SEED_CONFLICT_MESSAGE,
        )  # fmt: skip
        if i == 0:
            run.evidence(record, "controller.log", CONFLICT_LOG)
            run.evidence(record, "we.yaml", WE_YAML)
            run.evidence(record, "timeline.json", TIMELINE)
    return run


@pytest.fixture
def seed_builder(make_run: Callable[[str], RunDir]) -> Callable[[str], RunDir]:
    """The seed run, not yet written, so a test can change it first."""

    def make(name: str) -> RunDir:
        return add_seed(make_run(name))

    return make


@pytest.fixture
def seed_run(seed_builder: Callable[[str], RunDir]) -> Path:
    return seed_builder("seed").write()


EVERY_CAUSE = {
    "configuration": ("wetest.errors.ConfigError", None, "WETEST_BACKEND=knd is not a backend."),
    "missing infrastructure": ("wetest.errors.StartupFailed", None, "etcd exited with code 1."),
    "controller crash": ("wetest.errors.ControllerCrashed", None, "The controller exited (1)."),
    "resource-version conflict": (
        "kubernetes.client.exceptions.ApiException", None, "(409) " + SEED_CONFLICT_MESSAGE,
    ),
    "audit loss/duplication": (
        "AssertionError", "assertion", "audit event workflow.started was emitted twice (duplicate)",
    ),
    "wait timeout": ("wetest.errors.WaitTimeout", None, "Phase Completed not reached in 15s."),
    "assertion": ("AssertionError", None, "assert 'Failed' == 'Completed'"),
    "unknown": ("builtins.KeyError", None, "KeyError: 'status'"),
}  # fmt: skip
"""cause group -> (error_class, recorded cause, message): one failing test per group."""


@pytest.fixture
def every_cause_run(make_run: Callable[[str], RunDir]) -> Path:
    run = make_run("every")
    run.add("suites/lifecycle/test_ok.py::test_ok", clauses=["WE-PH-002"])
    for i, (error_class, cause, message) in enumerate(EVERY_CAUSE.values()):
        record = run.add(
            f"suites/area/test_causes.py::test_cause_{i}", "failed", clauses=[f"WE-RUN-02{i % 5}"],
            error_class=error_class, cause=cause, message=message, longrepr=f"E   {message}",
        )  # fmt: skip
        run.evidence(record, "timeline.json", TIMELINE)
        run.evidence(record, "wait-history.txt", "10:00:01 phase=Pending\n10:00:02 phase=Running\n")
    return run.write()


@pytest.fixture
def every_cause() -> dict[str, tuple[str, str | None, str]]:
    return EVERY_CAUSE
