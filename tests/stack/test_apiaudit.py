"""The audit policy, the actor map and the audit-log reader (apiaudit).

``fixtures/apiserver-audit.log`` holds real lines written by kube-apiserver v1.36.3 under
``apiaudit.POLICY`` during a wetest run (the harness creating a WE, the reference controller
writing its status, including a 409 from the double-status-write mutant, the Tekton stand-in
writing a PipelineRun, kube-controller-manager deleting a namespace).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from wetest.reference.controller import __main__ as controller_main
from wetest.stack import apiaudit

SAMPLE = Path(__file__).parent / "fixtures" / "apiserver-audit.log"


def sample_lines() -> list[str]:
    return SAMPLE.read_text().splitlines()


def sample_scope() -> apiaudit.Scope:
    """The scope of the test whose objects the sample is about (read from its create line)."""
    created = next(
        r
        for r in apiaudit.parse_lines(sample_lines())
        if r["verb"] == "create" and r["resource"] == "workflowexecutions"
    )
    prs = {
        r["name"]
        for r in apiaudit.parse_lines(sample_lines())
        if r["resource"] == "pipelineruns" and r["verb"] == "create" and r["name"]
    }
    return apiaudit.Scope(frozenset({created["namespace"]}), "kubernaut-workflows", frozenset(prs))


def test_the_policy_logs_metadata_for_our_groups_events_and_namespaces_only() -> None:
    policy = yaml.safe_load(apiaudit.POLICY)
    assert policy["apiVersion"] == "audit.k8s.io/v1"
    assert set(policy["omitStages"]) == {"RequestReceived", "ResponseStarted"}
    *logged, last = policy["rules"]
    assert last == {"level": "None"}
    groups = {g["group"]: g.get("resources") for rule in logged for g in rule["resources"]}
    assert groups == {"kubernaut.ai": None, "tekton.dev": None, "": ["events", "namespaces"]}
    assert {rule["level"] for rule in logged} == {"Metadata"}


@pytest.mark.parametrize(
    ("user", "agent", "actor"),
    [
        ("wetest:controller-under-test", "Go-http-client/2.0", "controller"),
        ("wetest:harness", "", "harness"),
        ("wetest:tekton-standin", "", "tekton"),
        ("system:kube-controller-manager", "", "kube-controller-manager"),
        ("system:serviceaccount:tekton-pipelines:tekton-pipelines-controller", "", "tekton"),
        ("system:serviceaccount:kube-system:namespace-controller", "", "kube-controller-manager"),
        ("system:serviceaccount:kubernaut-system:we-controller", "", "controller"),
        ("kubernetes-admin", "wetest-harness/0.1", "harness"),
        (
            "kubernetes-admin",
            "kube-controller-manager/v1.36.1 (linux/amd64)",
            "kube-controller-manager",
        ),
        ("wetest-admin", "kubectl/v1.36", "other"),
    ],
)
def test_actor_from_user_then_user_agent(user: str, agent: str, actor: str) -> None:
    assert apiaudit.actor(user, agent) == actor


def test_the_reference_controller_sends_the_user_agent_the_map_knows() -> None:
    assert apiaudit.USER_AGENTS["controller"] == controller_main.USER_AGENT


def test_real_lines_parse_into_records_with_actors() -> None:
    records = apiaudit.parse_lines(sample_lines())
    assert records
    assert set(records[0]) == {
        "time", "actor", "user", "user_agent", "verb", "resource", "subresource",
        "namespace", "name", "code", "reason", "message",
    }  # fmt: skip
    by_actor = {r["actor"] for r in records}
    assert {"controller", "harness", "tekton"} <= by_actor
    status = [r for r in records if r["subresource"] == "status" and r["actor"] == "controller"]
    assert status
    assert all(r["resource"] == "workflowexecutions" for r in status)
    conflicts = [r for r in records if r["code"] == 409]
    assert conflicts
    assert conflicts[0]["reason"] == "Conflict"
    assert "the object has been modified" in conflicts[0]["message"]


def test_the_index_returns_a_scopes_calls_in_time_order(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_text(SAMPLE.read_text())
    scope = sample_scope()
    calls = apiaudit.AuditIndex(log).calls(scope)
    assert calls == sorted(calls, key=lambda r: r["time"])
    assert calls
    for r in calls:
        assert scope.covers(r["namespace"], r["resource"], r["name"])
    assert any(r["resource"] == "pipelineruns" for r in calls)


def test_the_index_reads_only_appended_bytes_and_waits_for_a_torn_line(tmp_path: Path) -> None:
    lines = sample_lines()
    log = tmp_path / "audit.log"
    half = len(lines) // 2
    torn = lines[half]
    log.write_text("\n".join(lines[:half]) + "\n" + torn[:20])
    index = apiaudit.AuditIndex(log)
    scope = sample_scope()
    first = index.calls(scope)
    with log.open("a") as handle:
        handle.write(torn[20:] + "\n" + "\n".join(lines[half + 1 :]) + "\n")
    assert index.calls(scope) == apiaudit.AuditIndex(SAMPLE).calls(scope)
    assert len(index.calls(scope)) >= len(first)
    assert index._offset == log.stat().st_size


def test_calls_of_another_namespace_are_never_returned(tmp_path: Path) -> None:
    event = json.loads(next(x for x in sample_lines() if '"workflowexecutions"' in x))
    event["objectRef"]["namespace"] = "someone-else"
    log = tmp_path / "audit.log"
    log.write_text(SAMPLE.read_text() + json.dumps(event) + "\n")
    found = apiaudit.AuditIndex(log).calls(sample_scope())
    assert "someone-else" not in {r["namespace"] for r in found}


def test_run_status_says_why_there_is_no_evidence() -> None:
    assert apiaudit.run_status("envtest", True, "available") == "available"
    assert apiaudit.run_status("existing", True, "") == apiaudit.UNAVAILABLE_EXISTING
    assert apiaudit.run_status("envtest", False, "").startswith("unavailable: audit_log")
