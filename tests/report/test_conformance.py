"""conformance.yaml lists every catalogue clause with a result or the reason it did not run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from wetest.report import build, clauses, conformance


def report(run_dir: Path) -> dict[str, Any]:
    build.build(run_dir)
    data: dict[str, Any] = yaml.safe_load((run_dir / "conformance.yaml").read_text())
    return data


def test_every_catalogue_clause_is_listed(seed_run: Path) -> None:
    data = report(seed_run)
    catalogue = clauses.load()
    assert set(data["clauses"]) == set(catalogue)
    for clause_id, entry in data["clauses"].items():
        assert entry["profile"] == catalogue[clause_id].profile
        assert entry["result"] in {"passed", "failed", "not-run"}
        assert ("reason" in entry) == (entry["result"] == "not-run")


def test_header_names_the_implementation_and_the_clause_set(seed_run: Path) -> None:
    data = report(seed_run)
    assert data["implementation"] == {
        "name": "bundled",
        "version": "0.1.0",
        "how_run": "python -m wetest.reference.controller",
    }
    assert data["contract"]["version"] == "WE contract v1.0"
    assert data["contract"]["clause_set_hash"] == clauses.clause_set_hash(clauses.load())
    assert "run_clause_set_hash" not in data["contract"] or data["contract"]["run_clause_set_hash"]


def test_seed_clause_results_and_reasons(seed_run: Path) -> None:
    entries = report(seed_run)["clauses"]
    assert entries["WE-PR-001"]["result"] == "passed"
    assert len(entries["WE-PR-001"]["tests"]) == 32
    assert entries["WE-STAT-001"] == {
        "profile": "Core",
        "result": "failed",
        "tests": [f"suites/conditions/test_conditions.py::test_conflict_{i}" for i in range(5)],
        "causes": ["resource-version conflict"],
    }
    assert entries["WE-AUD-023"]["causes"] == ["DataStorage unavailable"]
    assert entries["WE-FIN-002"]["reason"] == conformance.NOT_SELECTED
    assert entries["DS-API-031"]["reason"] == conformance.NO_TEST
    assert entries["ENV-005"]["reason"] == conformance.ENV_FACT


def test_profiles_pass_only_when_every_bound_test_passed(seed_run: Path) -> None:
    data = report(seed_run)
    profiles = data["profiles"]
    assert profiles["Core"] == {
        "selected": True, "result": "passed", "tests": 32,
        "passed": 32, "failed": 0, "error": 0, "skipped": 0,
    }  # fmt: skip
    assert profiles["Conditions"]["result"] == "failed"
    assert profiles["Audit"]["result"] == "failed"
    assert profiles["Audit"]["error"] == 6
    assert profiles["Extended"] == {
        "selected": False, "result": "not-run", "tests": 0,
        "passed": 0, "failed": 0, "error": 0, "skipped": 0,
    }  # fmt: skip
    assert profiles["DataStorage"]["result"] == "not-run"
    assert data["conformant"] is True


def test_session_stop_is_the_reason_for_unreached_clauses(make_run: Callable[[str], Any]) -> None:
    builder = make_run("stopped")
    builder.info["session_error"] = "etcd was not found. Run: wetest assets install"
    data = report(builder.write())
    assert data["clauses"]["WE-PR-001"]["reason"] == (
        "session stopped: etcd was not found. Run: wetest assets install"
    )
    assert data["clauses"]["WE-FIN-002"]["reason"] == conformance.NOT_SELECTED
    assert data["not_run"] == [
        {
            "test": "(all)",
            "reason": "session stopped: etcd was not found. Run: wetest assets install",
        }
    ]
    assert data["conformant"] is False


def test_skipped_tests_are_listed_with_their_reason(make_run: Callable[[str], Any]) -> None:
    builder = make_run("skips")
    builder.add(
        "a.py::t", "skipped", clauses=["WE-MET-001"], profile="extended", message="no metrics"
    )
    builder.add("a.py::u", clauses=["WE-PR-001"], cause=None)
    builder.add("a.py::v", clauses=["WE-XX-999"])
    data = report(builder.write())
    assert data["not_run"] == [{"test": "a.py::t", "reason": "no metrics"}]
    assert data["clauses"]["WE-MET-001"] == {
        "profile": "Ext", "result": "not-run", "reason": "skipped: no metrics",
    }  # fmt: skip
    assert data["clauses"]["WE-XX-999"]["note"] == "not in the clause catalogue"
    assert data["profiles"]["Extended"]["result"] == "failed"
    assert data["profiles"]["Extended"]["skipped"] == 1


def test_an_older_clause_set_hash_in_run_json_is_shown(make_run: Callable[[str], Any]) -> None:
    builder = make_run("old")
    builder.info["clause_set_hash"] = "0" * 64
    data = report(builder.write())
    assert data["contract"]["run_clause_set_hash"] == "0" * 64
