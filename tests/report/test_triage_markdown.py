"""triage.md for the seed scenario and for a run with one failure in every cause group."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from wetest.report import build


def triage_md(run_dir: Path) -> str:
    build.build(run_dir)
    return (run_dir / "triage.md").read_text()


def section(text: str, heading: str) -> str:
    """The text of one ### section, up to the next heading of level 2 or 3."""
    start = text.index(heading)
    ends = [i for i in (text.find("\n### ", start + 1), text.find("\n## ", start + 1)) if i > 0]
    return text[start : min(ends, default=len(text))]


def test_seed_summary_counts_and_pass_rate(seed_run: Path) -> None:
    text = triage_md(seed_run)
    assert "| Target | bundled 0.1.0 (python -m wetest.reference.controller) |" in text
    assert "| Backend | envtest |" in text
    assert "| Contract | WE contract v1.0 |" in text
    assert "| Passed | 32 |" in text
    assert "| Failed | 5 |" in text
    assert "| Error | 6 |" in text
    assert "| Pass rate | 74.4% (32/43) |" in text
    assert "11 failing tests in 2 groups." in text


def test_seed_missing_datastorage_is_one_group_with_the_start_command(seed_run: Path) -> None:
    group = section(triage_md(seed_run), "### missing infrastructure (6)")
    assert group.count("- `suites/audit/test_audit_ds.py::test_ds_") == 6
    assert "Data Storage REQUIRED but not available at http://localhost:18100" in group
    assert "```sh\nwetest up\n```" in group
    assert "**Next action:** Start the missing infrastructure, then rerun." in group


def test_seed_conflicts_are_one_group_with_the_conflicting_write(seed_run: Path) -> None:
    group = section(triage_md(seed_run), "### resource-version conflict (5)")
    assert group.count("- `suites/conditions/test_conditions.py::test_conflict_") == 5
    assert (
        "**Next action:** Re-read before writing status; one status write per transition"
        " (WE-STAT-001..003)." in group
    )
    assert "Conflicting write:" in group
    assert 'Operation cannot be fulfilled on workflowexecutions.kubernaut.ai "int-test-a1"' in group
    assert "Observed state (`evidence/t38/we.yaml`):" in group
    assert "  phase: Running" in group
    assert "ERROR status update failed" in group


def test_missing_infrastructure_comes_before_the_failures_it_explains(seed_run: Path) -> None:
    text = triage_md(seed_run)
    assert text.index("### missing infrastructure") < text.index("### resource-version conflict")


def test_failed_clause_table_lists_each_clause_with_its_causes(seed_run: Path) -> None:
    text = triage_md(seed_run)
    table = text[text.index("## Failed clauses") :]
    assert "| WE-AUD-023 | Audit | missing infrastructure |" in table
    assert "| WE-STAT-001 | Core | resource-version conflict |" in table
    assert "| WE-COND-031 | Cond | resource-version conflict |" in table
    assert "WE-PR-001" not in table


def test_every_cause_group_has_its_section_and_action(
    every_cause_run: Path, every_cause: dict[str, object]
) -> None:
    text = triage_md(every_cause_run)
    for cause in every_cause:
        group = section(text, f"### {cause} (1)")
        assert "**Next action:**" in group
    assert "Error types: KeyError." in section(text, "### unknown (1)")
    assert "wetest doctor" in section(text, "### missing infrastructure (1)")
    assert "Observed state (`evidence/t" in section(text, "### wait timeout (1)")
    assert "Conflicting write:" in section(text, "### resource-version conflict (1)")


def test_a_run_without_failures_says_so(make_run: Callable[[str], Any]) -> None:
    builder = make_run("green")
    builder.add("a.py::t")
    text = triage_md(builder.write())
    assert "No test failed." in text
    assert "| Pass rate | 100.0% (1/1) |" in text


def test_a_stopped_session_is_in_the_summary(make_run: Callable[[str], Any]) -> None:
    builder = make_run("stopped")
    builder.info["session_error"] = "etcd was not found. Run: wetest assets install"
    text = triage_md(builder.write())
    assert "| Session stopped | etcd was not found. Run: wetest assets install |" in text
    assert "| Pass rate | n/a |" in text
