"""conformance.yaml lists every catalogue clause with a result or the reason it did not run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from wetest.report import build, clauses, conformance, results


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
        assert entry["result"] in {"passed", "failed", "not-reached", "not-run", "unobservable"}
        assert ("reason" in entry) == (
            entry["result"] in {"not-run", "not-reached", "unobservable"}
        )


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
    messages = entries["WE-STAT-001"].pop("messages")
    assert [m[:30] for m in messages] == ["Operation cannot be fulfilled "]
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


def test_profiles_are_judged_by_their_own_clauses(seed_run: Path) -> None:
    data = report(seed_run)
    profiles = data["profiles"]
    core = profiles["Core"]
    assert core["selected"] is True
    assert core["result"] == "failed"  # WE-STAT-001 (Core) failed in the conditions tests
    assert core["passed"] == 1
    assert core["failed"] == 1
    assert core["untested"] == core["clauses"] - 2 - core["unobservable"]
    assert core["tests"] == 37
    assert profiles["Conditions"]["result"] == "failed"
    assert profiles["Audit"]["result"] == "failed"
    assert profiles["Extended"]["selected"] is False
    assert profiles["Extended"]["result"] == "not-run"
    assert profiles["DataStorage"]["result"] == "not-run"
    assert data["conformant"] is False
    assert "WE-PR-002" in data["untested"]
    assert "WE-FIN-002" not in data["untested"]  # Extended was not selected


def record(
    builder: Any, nodeid: str, outcome: str, verdicts: dict[str, str], message: str = ""
) -> None:
    builder.add(
        nodeid, outcome, clauses=list(verdicts), message=message or None,
        clause_results={c: {"result": r, "message": message if r != "passed" else ""}
                        for c, r in verdicts.items()},
    )  # fmt: skip


def all_passed(catalogue: dict[str, clauses.Clause], *tags: str) -> dict[str, str]:
    return {c.id: "passed" for c in catalogue.values() if c.profile in tags}


def test_a_failing_ext_check_never_fails_the_core_clause(make_run: Callable[[str], Any]) -> None:
    catalogue = clauses.load()
    builder = make_run("adoption")
    builder.info["profiles"] = ["core", "extended"]
    record(builder, "a.py::core", "passed", all_passed(catalogue, "Core"))
    verdicts = all_passed(catalogue, "Ext")
    verdicts.update({"WE-LOCK-001": "passed", "WE-EVT-001": "failed"})
    record(builder, "a.py::adoption", "failed", verdicts, "no PipelineRunCreated event")
    data = conformance.build(results.read(builder.write()), catalogue, unobservable={})
    assert data["clauses"]["WE-LOCK-001"]["result"] == "passed"
    assert data["clauses"]["WE-EVT-001"]["result"] == "failed"
    assert data["clauses"]["WE-EVT-001"]["messages"] == ["no PipelineRunCreated event"]
    assert data["profiles"]["Core"]["result"] == "passed"
    assert data["profiles"]["Extended"]["result"] == "failed"
    assert data["conformant"] is False  # Extended was selected and failed


def test_conformant_needs_every_selected_clause_passed(make_run: Callable[[str], Any]) -> None:
    catalogue = clauses.load()
    core = all_passed(catalogue, "Core")
    builder = make_run("core")
    builder.info["profiles"] = ["core"]
    record(builder, "a.py::t", "passed", core)
    run = results.read(builder.write())
    assert conformance.build(run, catalogue, unobservable={})["conformant"] is True
    missing = sorted(core)[0]
    builder = make_run("core-missing")
    builder.info["profiles"] = ["core"]
    record(builder, "a.py::t", "passed", {c: r for c, r in core.items() if c != missing})
    run = results.read(builder.write())
    data = conformance.build(run, catalogue, unobservable={})
    assert data["conformant"] is False
    assert data["untested"] == [missing]
    assert data["profiles"]["Core"]["result"] == "incomplete"
    documented = conformance.build(run, catalogue, unobservable={missing: "inside the process"})
    assert documented["conformant"] is True
    assert documented["unobservable"] == {missing: "inside the process"}
    assert documented["clauses"][missing] == {
        "profile": "Core", "result": "unobservable", "reason": "inside the process",
    }  # fmt: skip


def test_not_reached_clauses_are_untested_and_old_results_use_the_outcome(
    make_run: Callable[[str], Any],
) -> None:
    builder = make_run("mixed")
    record(builder, "a.py::stopped", "failed", {"WE-AUD-010": "failed", "WE-PR-001": "not-reached"})
    builder.add("a.py::old", "failed", clauses=["WE-PR-002"], message="boom")
    data = conformance.build(results.read(builder.write()), clauses.load(), unobservable={})
    assert data["clauses"]["WE-PR-001"]["result"] == "not-reached"
    assert data["clauses"]["WE-PR-001"]["tests"] == ["a.py::stopped"]
    assert "WE-PR-001" in data["untested"]
    assert data["profiles"]["Core"]["not_reached"] == 1
    assert data["clauses"]["WE-PR-002"]["result"] == "failed"


def test_the_shipped_unobservable_list_is_read() -> None:
    listed = conformance.load_unobservable()
    assert listed, "suites/unobservable.yaml is missing or empty"
    assert all(reason.endswith(".") for reason in listed.values())


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
        "profile": "Ext", "result": "not-reached", "tests": ["a.py::t"],
        "reason": "skipped: no metrics", "counted": False,
    }  # fmt: skip
    assert data["clauses"]["WE-XX-999"]["note"] == "not in the clause catalogue"
    assert data["profiles"]["Extended"]["result"] == "incomplete"
    assert data["profiles"]["Extended"]["not_reached"] == 1


def test_an_older_clause_set_hash_in_run_json_is_shown(make_run: Callable[[str], Any]) -> None:
    builder = make_run("old")
    builder.info["clause_set_hash"] = "0" * 64
    data = report(builder.write())
    assert data["contract"]["run_clause_set_hash"] == "0" * 64


def test_tier_exclusions_are_listed_and_counted_not_skipped(
    make_run: Callable[[str], Any],
) -> None:
    catalogue = clauses.load()
    builder = make_run("real-tier")
    builder.info["tekton"] = "real"
    builder.info["exclusions"] = [{"test": "s.py::shape", "reason": "runs only with stand-in"}]
    record(builder, "a.py::t", "passed", all_passed(catalogue, "Core"))
    data = conformance.build(results.read(builder.write()), catalogue, unobservable={})
    assert data["excluded"] == {
        "count": 1, "tests": [{"test": "s.py::shape", "reason": "runs only with stand-in"}],
    }  # fmt: skip
    assert data["not_run"] == []  # an exclusion is not a skip


def test_triage_summary_names_the_tier_and_lists_exclusions(
    make_run: Callable[[str], Any],
) -> None:
    from wetest.report import triage

    builder = make_run("real-tier-summary")
    builder.info["tekton"] = "real"
    builder.info["exclusions"] = [{"test": "s.py::shape", "reason": "runs only with stand-in"}]
    lines = triage.summary(results.read(builder.write()), [])
    assert lines["Tekton"] == "real"
    assert lines["Excluded"] == "1: s.py::shape (runs only with stand-in)"
