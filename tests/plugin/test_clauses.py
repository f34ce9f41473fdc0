"""Clause-level results: each check judges its own clause; profiles select tests by clause.

The pytester tests run the plugin in a subprocess (with xdist where the forwarding matters) and
read results.jsonl as ``wetest report`` does; the unit tests pin ``checks.judge``'s rules.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from wetest import check, checks
from wetest.plugin import markers

SUITE = """\
import pytest
from wetest import check

mark = pytest.mark.we_conformance

@mark("cooldown", "WE-LOCK-001", "WE-AUD-010", "WE-PR-001", "WE-COND-010")
def test_hard_ext_failure_after_core():
    with check("WE-LOCK-001"):
        assert True
    with check("WE-AUD-010"):
        assert False, "workflow.started was emitted after adoption"
    with check("WE-COND-010"):
        pass

@mark("cooldown", "WE-LOCK-001", "WE-EVT-001")
def test_soft_should_at_the_end():
    assert 1 + 1 == 2
    with check("WE-EVT-001", soft=True):
        assert False, "no PipelineRunCreated event"
    assert 2 + 2 == 4

@mark("lifecycle", "WE-PR-001", "WE-PR-002", "WE-PR-003")
def test_failure_outside_any_check():
    with check("WE-PR-002"):
        pass
    assert False, "the WorkflowExecution never reached Running"
    with check("WE-PR-003"):
        pass

@mark("lifecycle", "WE-PR-001")
def test_check_of_an_uncited_clause():
    with check("WE-PR-003"):
        pass

@mark("lifecycle", "WE-PR-004", "WE-EVT-002")
def test_old_style_passes():
    pass

@mark("lifecycle", "WE-PR-005")
def test_old_style_fails():
    raise RuntimeError("boom")

@pytest.fixture
def broken():
    raise RuntimeError("fixture broke")

@mark("lifecycle", "WE-PR-006")
def test_setup_error(broken):
    pass
"""


def run_suite(pytester: pytest.Pytester, *args: str) -> dict[str, dict[str, Any]]:
    pytester.makepyfile(test_suite=SUITE)
    out = pytester.path / "out"
    pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--wetest-results-dir={out}", *args)
    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    return {r["name"]: r for r in records}


def results(record: dict[str, Any]) -> dict[str, str]:
    return {c: v["result"] for c, v in record["clause_results"].items()}


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["in-process", "xdist"])
def test_each_clause_is_judged_by_its_own_checks(
    pytester: pytest.Pytester, workers: list[str]
) -> None:
    got = run_suite(pytester, *workers)
    hard = got["test_hard_ext_failure_after_core"]
    assert hard["outcome"] == "failed"
    assert results(hard) == {
        "WE-LOCK-001": "passed",
        "WE-AUD-010": "failed",
        "WE-PR-001": "not-reached",
        "WE-COND-010": "not-reached",
    }
    assert hard["clause_results"]["WE-AUD-010"]["message"] == (
        "workflow.started was emitted after adoption"
    )
    assert hard["clause_results"]["WE-PR-001"]["message"] == (
        "the test stopped at the failed check of WE-AUD-010."
    )
    soft = got["test_soft_should_at_the_end"]
    assert soft["outcome"] == "failed"
    assert results(soft) == {"WE-LOCK-001": "passed", "WE-EVT-001": "failed"}
    assert "WE-EVT-001: no PipelineRunCreated event" in soft["message"]
    outside = got["test_failure_outside_any_check"]
    assert results(outside) == {
        "WE-PR-001": "failed",
        "WE-PR-002": "passed",
        "WE-PR-003": "not-reached",
    }
    assert outside["clause_results"]["WE-PR-001"]["message"].startswith(
        "the WorkflowExecution never reached Running"
    )
    uncited = got["test_check_of_an_uncited_clause"]
    assert uncited["outcome"] == "failed"
    assert "Add WE-PR-003 to the marker" in uncited["message"]
    assert results(got["test_old_style_passes"]) == {"WE-PR-004": "passed", "WE-EVT-002": "passed"}
    assert results(got["test_old_style_fails"]) == {"WE-PR-005": "failed"}
    setup = got["test_setup_error"]
    assert setup["outcome"] == "error"
    assert setup["clause_results"] == {
        "WE-PR-006": {"result": "failed", "message": "fixture broke"}
    }


def test_a_test_is_selected_when_any_of_its_clauses_is_in_a_selected_profile(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        "import pytest\n"
        "mark = pytest.mark.we_conformance\n"
        "@mark('conditions', 'WE-COND-010', 'WE-LOCK-001')\n"
        "def test_cond_and_core(): pass\n"
        "@mark('audit', 'WE-STAT-004')\n"
        "def test_audit_only(): pass\n"
        "@mark('audit', 'WE-EVT-001')\n"
        "def test_ext_only(): pass\n"
        "@mark('cooldown', 'ENV-004')\n"
        "def test_env_only(): pass\n"
    )
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--collect-only", "-q", "--wetest-profile=core"
    )
    names = [line.split("::")[-1] for line in result.outlines if "::" in line]
    assert names == ["test_cond_and_core", "test_env_only"]


def test_profiles_come_from_the_catalogue_not_the_prefix() -> None:
    assert markers.tag_of("WE-LOCK-001") == "Core"
    assert markers.tag_of("WE-STAT-004") == "Audit"
    assert markers.tag_of("WE-FIN-002") == "Ext"
    assert markers.tag_of("WE-ZZZ-001") == "Core"  # unknown area of a newer contract
    assert markers.profiles_of(["WE-AUD-010", "WE-STAT-001", "ENV-004"]) == ["core", "audit"]
    assert markers.profile_of(["WE-COND-010", "WE-RUN-010"]) == "core"
    assert markers.profile_of(["ENV-004"]) == "core"


def test_judge_without_checks_gives_every_clause_the_test_outcome() -> None:
    verdicts = checks.judge(["WE-PR-001", "WE-EVT-001"], None, "failed", "boom")
    assert {c: v.result for c, v in verdicts.items()} == {
        "WE-PR-001": "failed",
        "WE-EVT-001": "failed",
    }
    skipped = checks.judge(["WE-MET-001"], None, "skipped", "no metrics")
    assert skipped["WE-MET-001"] == checks.Verdict("not-reached", "skipped: no metrics")


def fail(message: str) -> None:
    raise AssertionError(message)


def test_a_clause_with_a_failed_and_a_passed_check_is_failed() -> None:
    ledger = checks.Ledger(cited=("WE-PR-001",))
    token = checks.activate(ledger)
    try:
        with check("WE-PR-001", soft=True):
            fail("first\nsecond")
        with check("WE-PR-001"):
            pass
    finally:
        checks.deactivate(token)
    assert ledger.verdicts == {"WE-PR-001": checks.Verdict("failed", "first")}
    assert ledger.soft_failure_message() == "1 soft check(s) failed: WE-PR-001: first"


def test_check_outside_a_test_runs_the_block_and_rejects_malformed_ids() -> None:
    with pytest.raises(ZeroDivisionError), check("WE-PR-001"):
        _ = 1 / 0
    with pytest.raises(checks.CheckUsageError, match=r"Use an ID of DOMAIN\.md"), check("WE-PR-1"):
        pass


def test_results_dir_is_written(pytester: pytest.Pytester) -> None:
    """A clause-only run (no stack) still writes results; guards the pytester tests above."""
    pytester.makepyfile(
        "import pytest\n@pytest.mark.we_conformance('lifecycle', 'WE-PR-001')\ndef test_x(): pass\n"
    )
    out: Path = pytester.path / "out"
    pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--wetest-results-dir={out}")
    (record,) = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert record["clause_results"] == {"WE-PR-001": {"result": "passed", "message": ""}}


def test_declared_reads_the_check_calls_of_a_test_source() -> None:
    source = (
        "    def test_x():\n"
        "        with check('WE-PR-001'), wetest.check('WE-EVT-001', soft=True):\n"
        "            pass\n"
        "        other('WE-PR-002')\n"
    )
    assert checks.declared(source) == {"WE-PR-001", "WE-EVT-001"}
    assert checks.declared("def broken(:") == set()
