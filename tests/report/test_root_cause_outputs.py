"""The root cause leaves the report: results.jsonl ``root_cause`` and Allure, both idempotent."""

from __future__ import annotations

import json
import re
from pathlib import Path

from wetest.report import allure, build

CONFLICT_HEADLINE = (
    "status writes refused with 409 Conflict — the controller wrote status twice in one "
    "reconcile (WE-STAT-002), the second time with the stale resourceVersion, so that write "
    "was never committed"
)


def records(run_dir: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (run_dir / "results.jsonl").read_text().splitlines()]


def test_root_cause_is_written_in_the_interface_format(seed_run: Path) -> None:
    build.build(seed_run)
    by_id = {r["nodeid"]: r for r in records(seed_run)}
    assert "root_cause" not in by_id["suites/lifecycle/test_lifecycle.py::test_pass_0"]
    cause = by_id["suites/conditions/test_conditions.py::test_conflict_0"]["root_cause"]
    assert cause == {
        "cause": "resource-version conflict",
        "kind": "controller-defect",
        "severity": "high",
        "clauses": ["WE-STAT-002", "WE-STAT-004", "WE-COND-040"],
        "headline": CONFLICT_HEADLINE,
        "evidence": {
            "counts": {
                "409 Conflict on workflowexecutions/status": 1,
                "never committed: AuditRecorded": 1,
                "second status write in one reconcile": 1,
            },
            "lines": [
                "2025-12-15T10:00:02Z ERROR status update failed: Operation cannot be fulfilled"
                ' on workflowexecutions.kubernaut.ai "int-test-a1": the object has been'
                " modified (409)",
                "default/int-test-a1 (we.yaml): AuditRecorded missing from the final object",
            ],
        },
        "next_action": "Merge the transition and the AuditRecorded condition into one status "
        "write per reconcile; on a 409, re-read and re-apply (see WE-STAT-002/004, "
        "WE-STAT-001).",
        "mechanical": "resource-version conflict (ResourceConflict) in call",
    }
    ds = by_id["suites/audit/test_audit_ds.py::test_ds_0"]["root_cause"]
    assert (ds["cause"], ds["kind"]) == ("DataStorage unavailable", "environment")


def test_building_twice_gives_the_same_files(seed_run: Path) -> None:
    build.build(seed_run)
    first = {p.name: p.read_bytes() for p in seed_run.iterdir() if p.is_file()}
    build.build(seed_run)
    second = {p.name: p.read_bytes() for p in seed_run.iterdir() if p.is_file()}
    assert first == second


def test_a_record_that_no_longer_fails_loses_its_root_cause(seed_run: Path) -> None:
    build.build(seed_run)
    rows = records(seed_run)
    for row in rows:
        row["outcome"] = "passed"
    (seed_run / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    build.build(seed_run)
    assert not any("root_cause" in r for r in records(seed_run))


def allure_result(folder: Path, full_name: str, name: str, message: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-result.json"
    labels = [{"name": "suite", "value": "x"}]
    body = {"name": name, "fullName": full_name, "status": "failed", "labels": labels,
            "statusDetails": {"message": message, "trace": "..."}}  # fmt: skip
    path.write_text(json.dumps(body))
    return path


def test_allure_results_carry_the_root_cause_and_categories(seed_run: Path) -> None:
    folder = seed_run / "allure-results"
    failed = allure_result(
        folder, "suites.conditions.test_conditions#test_conflict_0", "test_conflict_0", "409"
    )
    passed = allure_result(folder, "suites.lifecycle.test_lifecycle#test_pass_0", "test_pass_0", "")
    untouched = passed.read_text()
    build.build(seed_run)
    build.build(seed_run)  # idempotent: one prefix, one tag, one description block
    result = json.loads(failed.read_text())
    assert result["statusDetails"]["message"] == (
        f"[root cause: resource-version conflict] {CONFLICT_HEADLINE}"
    )
    assert result["statusDetails"]["trace"] == "409\n\n..."
    tags = [x["value"] for x in result["labels"] if x["name"] == "tag"]
    assert tags == ["root-cause: resource-version conflict"]
    assert result["description"].count("Root cause: resource-version conflict") == 1
    assert "Next action: Merge the transition" in result["description"]
    assert passed.read_text() == untouched
    categories = json.loads((folder / "categories.json").read_text())
    conflict = next(c for c in categories if c["name"] == "Root cause: resource-version conflict")
    assert conflict["matchedStatuses"] == ["failed", "broken"]
    assert re.fullmatch(conflict["messageRegex"], result["statusDetails"]["message"])


def test_allure_key_follows_allure_pytest_names() -> None:
    assert allure._key("audit/test_a.py::test_x[p-1]") == ("audit.test_a#test_x", "test_x[p-1]")
