"""The two-sided table's bookkeeping, on made-up runs (no stack): kills, false alarms, proofs."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from killing import (
    Run,
    Selection,
    clause_proofs,
    controller_command,
    failed_clauses,
    false_alarms,
    format_variants,
)


def run(name: str, outcomes: dict[str, str], variant: str = "", **clauses: list[str]) -> Run:
    return Run(name, Selection(), outcomes, 1.0, 0, Path("/x"), [], variant, dict(clauses))


REFERENCE = run("", {"t_a": "passed", "t_b": "passed", "t_c": "failed"})


def test_a_variant_failing_a_test_the_reference_passes_is_a_false_alarm() -> None:
    good = run("", {"t_a": "passed", "t_b": "passed"}, variant="go-metrics")
    bad = run("", {"t_a": "failed", "t_b": "passed", "t_c": "failed"}, variant="status-merge-patch")
    assert false_alarms(good, REFERENCE) == []
    assert false_alarms(bad, REFERENCE) == ["t_a"]
    table = format_variants([good, bad], REFERENCE)
    assert "go-metrics" in table
    assert "passed" in table
    assert "FAILED" in table
    assert "t_c (fails on the reference too)" in table


def test_clause_proofs_name_the_mutants_whose_killing_tests_fail_on_the_clause() -> None:
    m1 = run("no-finalizer", {"t_a": "failed"}, t_a=["WE-FIN-001"])
    m2 = run("leak-pr-on-delete", {"t_a": "failed", "t_b": "failed"}, t_a=["WE-FIN-001"])
    m2.clauses["t_b"] = ["WE-DEL-001"]
    assert clause_proofs([m1, m2], REFERENCE) == {
        "WE-DEL-001": ["leak-pr-on-delete"],
        "WE-FIN-001": ["leak-pr-on-delete", "no-finalizer"],
    }


def test_failed_clauses_prefer_per_clause_results() -> None:
    record = {
        "clauses": ["WE-LOCK-001", "WE-AUD-010"],
        "clause_results": {"WE-LOCK-001": {"result": "passed"}, "WE-AUD-010": {"result": "failed"}},
    }
    assert failed_clauses(record) == ["WE-AUD-010"]
    assert failed_clauses({"clauses": ["WE-PR-001"]}) == ["WE-PR-001"]


def test_the_command_line_carries_the_variant_flag() -> None:
    assert "--variant go-metrics " in controller_command("", variant="go-metrics")
    assert "--variant" not in controller_command("")
