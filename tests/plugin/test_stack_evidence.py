"""stack.json without a supervisor to ask: liveness from pids, reasons instead of evidence."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

from wetest.evidence import collect as evidence
from wetest.stack import apiaudit
from wetest.stack.endpoints import ControllerInfo, Endpoints, ReplicaInfo
from wetest.supervision.handle import StackHandle


def closed_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_an_existing_cluster_says_api_call_evidence_is_unavailable(tmp_path: Path) -> None:
    log = tmp_path / "controller.log"
    log.write_text("one\ntwo\n")
    endpoints = Endpoints(
        backend="existing",
        datastorage=closed_url(),
        api_call_evidence=apiaudit.UNAVAILABLE_EXISTING,
        pids={"datastorage": os.getpid()},
        controller=ControllerInfo(target="bundled", pid=2**22 + 7, log=str(log)),
    )
    found = evidence.stack_state(StackHandle(endpoints, tmp_path, supervisor_pid=0))
    assert found["api_call_evidence"] == (
        "unavailable: existing cluster, wetest did not start its kube-apiserver"
    )
    assert found["components"]["datastorage"]["alive"] is True
    assert found["controller"] == {"alive": False, "exit_code": None, "log_tail": ["one", "two"]}
    assert found["datastorage"]["reachable"] is False
    assert found["datastorage"]["detail"]


def test_an_audit_log_that_is_gone_is_reported(tmp_path: Path) -> None:
    endpoints = Endpoints(
        backend="envtest",
        audit_log=str(tmp_path / "audit.log"),
        api_call_evidence=apiaudit.AVAILABLE,
    )
    found = evidence.stack_state(StackHandle(endpoints, tmp_path, supervisor_pid=0))
    assert found["api_call_evidence"].startswith("unavailable: the audit log ")


def audit_line(time: str, name: str, user: str) -> str:
    event = {
        "stage": "ResponseComplete",
        "requestReceivedTimestamp": time,
        "verb": "update",
        "user": {"username": user},
        "objectRef": {"resource": "workflowexecutions", "namespace": "t-ns", "name": name},
        "responseStatus": {"code": 200},
    }
    return json.dumps(event, separators=(",", ":")) + "\n"  # as kube-apiserver writes it


def test_api_calls_merge_the_replicas_audit_logs_in_time_order(tmp_path: Path) -> None:
    main, replica = tmp_path / "audit.log", tmp_path / "replica-audit.log"
    main.write_text(audit_line("2026-01-01T00:00:01Z", "a", apiaudit.USERS["harness"]))
    replica.write_text(audit_line("2026-01-01T00:00:00Z", "a", apiaudit.USERS["controller"]))
    endpoints = Endpoints(
        audit_log=str(main),
        replicas={"iso-1": ReplicaInfo(name="iso-1", audit_log=str(replica))},
    )
    calls = evidence.gather(
        StackHandle(endpoints, tmp_path, supervisor_pid=0), None, evidence.Subject("t-ns")
    )["api-calls.jsonl"].splitlines()
    found = [(c["actor"], c.get("server")) for c in map(json.loads, calls)]
    assert found == [("controller", "iso-1"), ("harness", None)]
