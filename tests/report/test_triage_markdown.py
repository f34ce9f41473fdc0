"""triage.md: root-cause groups for the seed scenario, every cause, interrupted and green runs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wetest.report import build

SEED_CONFLICT = (
    "### 5 tests: status writes refused with 409 Conflict — the controller wrote status twice "
    "in one reconcile (WE-STAT-002)"
)
SEED_DS = "### 6 tests: DataStorage was not available to the controller or the harness"


def triage_md(run_dir: Path) -> str:
    build.build(run_dir)
    return (run_dir / "triage.md").read_text()


def section(text: str, heading: str) -> str:
    """The text of one ### section, up to the next heading of level 2 or 3."""
    start = text.index(heading)
    ends = [i for i in (text.find("\n### ", start + 1), text.find("\n## ", start + 1)) if i > 0]
    return text[start : min(ends, default=len(text))]


def test_seed_summary_counts_pass_rate_and_api_call_evidence(seed_run: Path) -> None:
    text = triage_md(seed_run)
    assert "| Target | bundled 0.1.0 (python -m wetest.reference.controller) |" in text
    assert "| Passed | 32 |" in text
    assert "| Failed | 5 |" in text
    assert "| Error | 6 |" in text
    assert "| Pass rate | 74.4% (32/43) |" in text
    assert "| API-call evidence | unavailable: this run recorded no api-calls.jsonl" in text
    assert "11 failing tests in 2 root-cause groups, most explanatory first." in text


def test_seed_datastorage_is_one_environment_group_with_the_start_command(seed_run: Path) -> None:
    group = section(triage_md(seed_run), SEED_DS)
    assert group.count("- `suites/audit/test_audit_ds.py::test_ds_") == 6
    assert "**Kind:** environment/infrastructure (expected, not a code defect)" in group
    assert "**Severity:** high" in group
    assert "**Evidence:** harness errors naming DataStorage: 6" in group
    assert "missing infrastructure (DependencyMissing) in setup: 6" in group
    assert "```sh\nwetest up\n```" in group


def test_seed_conflicts_are_one_group_naming_stat_002_the_count_and_the_fix(
    seed_run: Path,
) -> None:
    group = section(triage_md(seed_run), SEED_CONFLICT)
    assert group.count("- `suites/conditions/test_conditions.py::test_conflict_") == 5
    assert "**Kind:** controller defect against a clause · **Severity:** high" in group
    assert "**Clauses:** WE-STAT-002, WE-STAT-004, WE-COND-040" in group
    assert "409 Conflict on workflowexecutions/status: 1" in group
    assert "never committed: AuditRecorded: 1" in group
    assert "**Next action:** Merge the transition and the AuditRecorded condition" in group
    assert 'Operation cannot be fulfilled on workflowexecutions.kubernaut.ai "int-test-a1"' in group
    assert "Observed state (`evidence/t38/we.yaml`):" in group
    assert "ERROR status update failed" in group


def test_the_environment_comes_before_the_failures_it_may_explain(seed_run: Path) -> None:
    text = triage_md(seed_run)
    assert text.index(SEED_DS) < text.index(SEED_CONFLICT)


def test_failed_clause_table_names_the_root_causes(seed_run: Path) -> None:
    text = triage_md(seed_run)
    table = text[text.index("## Failed clauses") :]
    assert "| WE-AUD-023 | Audit | DataStorage unavailable |" in table
    assert "| WE-STAT-001 | Core | resource-version conflict |" in table
    assert "WE-PR-001" not in table


def test_the_report_ends_with_the_next_steps_in_order(seed_run: Path) -> None:
    text = triage_md(seed_run)
    steps = text[text.index("## Next steps, in order") :].splitlines()[2:]
    assert steps[0].startswith("1. [ ] Start DataStorage")
    assert steps[0].endswith("(6 tests)")
    assert steps[1].startswith("2. [ ] Merge the transition and the AuditRecorded condition")
    assert len(steps) == 2


def test_every_group_says_kind_severity_and_next_action(every_cause_run: Path) -> None:
    text = triage_md(every_cause_run)
    headings = [line for line in text.splitlines() if line.startswith("### ")]
    assert len(headings) == 8
    for heading in headings:
        group = section(text, heading)
        assert "**Kind:** " in group
        assert "**Severity:** " in group
        assert "**Next action:** " in group
        assert "(mechanically):** " in group
    assert "### 1 test: audit events duplicated per correlation id" in text
    assert "### 1 test: the controller under test exited mid-run" in text
    assert "### 1 test: the test code raised KeyError" in text


def test_an_interrupted_run_is_one_group_not_a_cascade(make_run: Callable[[str], Any]) -> None:
    builder = make_run("sigterm")
    builder.info["interrupted"] = {"signal": "SIGTERM", "at": "2025-12-15T10:00:00.5+00:00"}
    for i in range(14):
        builder.add(f"s/test_a.py::test_{i}", "failed", error_class="wetest.errors.WaitTimeout")
    for i in range(83):
        builder.add(
            f"s/test_b.py::test_{i}", "error", when="setup",
            error_class="wetest.errors.KubeAPIError",
            message="The API server could not be reached for GET /api: connection refused.",
        )  # fmt: skip
    text = triage_md(builder.write())
    headings = [line for line in text.splitlines() if line.startswith("### ")]
    assert headings == [
        "### 97 tests: the run was interrupted by SIGTERM; these tests were cut short, not failed"
    ]
    assert "**Kind:** run interrupted (not a verdict on the controller)" in text
    assert "| Interrupted | by SIGTERM at 2025-12-15T10:00:00.5+00:00 |" in text


def test_log_excerpt_shows_only_the_failing_tests_objects(make_run: Callable[[str], Any]) -> None:
    builder = make_run("shared-log")
    record = builder.add("s/test_a.py::test_a", "failed", error_class="wetest.errors.WaitTimeout")
    builder.evidence(record, "we.yaml", "metadata:\n  name: we-a\n  namespace: ns-a\nstatus: {}\n")
    builder.evidence(record, "controller.log", "\n".join([
        "10:00:01 INFO reconcile ns-b/we-b phase=Pending ERROR other test",
        "10:00:02 INFO reconcile ns-a/we-a phase=Pending",
        "10:00:03 ERROR reconcile of ns-a/we-a failed",
        "10:00:04 ERROR reconcile of ns-a/we-ab failed (another WE whose name starts alike)",
    ]))  # fmt: skip
    text = triage_md(builder.write())
    excerpt = text[text.index("Log lines around the failure") :]
    assert "ns-a/we-a phase=Pending" in excerpt
    assert "ns-b/we-b" not in excerpt
    assert "we-ab" not in excerpt


def test_a_run_without_failures_says_so(make_run: Callable[[str], Any]) -> None:
    builder = make_run("green")
    builder.add("a.py::t")
    text = triage_md(builder.write())
    assert "No test failed." in text
    assert "| Pass rate | 100.0% (1/1) |" in text
    assert "## Next steps" not in text


def test_a_stopped_session_is_in_the_summary(make_run: Callable[[str], Any]) -> None:
    builder = make_run("stopped")
    builder.info["session_error"] = "etcd was not found. Run: wetest assets install"
    text = triage_md(builder.write())
    assert "| Session stopped | etcd was not found. Run: wetest assets install |" in text
    assert "| Pass rate | n/a |" in text


def test_stated_api_call_evidence_is_shown(make_run: Callable[[str], Any]) -> None:
    builder = make_run("existing")
    builder.info["api_call_evidence"] = "unavailable: the existing backend has no audit log"
    builder.add("a.py::t", "failed", error_class="wetest.errors.WaitTimeout")
    text = triage_md(builder.write())
    assert "| API-call evidence | unavailable: the existing backend has no audit log" in text
    assert json.loads((builder.path / "results.jsonl").read_text())["root_cause"]
