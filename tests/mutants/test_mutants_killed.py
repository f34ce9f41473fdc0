"""Every mutant of the reference controller is killed; a few benign variants pass.

A mutant (``wetest/reference/controller/mutants.py``) is the reference with one known bug. For
each one, a few relevant conformance tests run against it through ``wetest run --target
command:... --mutant NAME``; at least one of them must fail, while all of them pass against
the unmutated reference. The other side: a benign variant (``variants.py``, a legal behaviour
the reference does not have) must pass the tests that would raise a false alarm on it; three
variants whose false alarms were real (issue 14) are checked here. The full two-sided table
over every suite is ``bench/mutant_kill_table.py``.

Each run (a whole stack, a minute at most) is its own test, so xdist spreads them over its
workers beside the other files (``tests/conftest.py`` hands this file out test by test, the
reference run first: it is the longest). A kill is "fails against the mutant" here and
"passes against the reference" in the reference's test: the pair is the kill of
``killing.killers``, checked in two tests instead of one 14-run fixture that held one worker
for five minutes. The double-status-write run also checks its triage report (it was a run of
its own in tests/report).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from killing import FAILED, REFERENCE, SELECTIONS, Run, Selection, read_records, run_suites, union

from wetest.reference.controller.strategy import MUTANTS, VARIANTS
from wetest.report.analysis.causes import CAUSES

WORKERS = 0  # starting xdist workers costs more than it saves: the tests of a run (the
# reference's 12, the triaged mutant's two) overlap in one process anyway, as tests in flight
# (wetest.plugin.inflight; with two workers, wave 9: 32.8 -> 19.0 s and 49.9 -> 37.6 s)
TRIAGED_SCALE = 0.5
"""The triaged mutant's wait budgets: both its tests fail by design, each by waiting out a
30 s budget for an AuditRecorded condition the mutant never commits; the report is the point,
so half the wait (and of its quiet windows, which no check of the report depends on) will do."""
# seconds per run, loose: the longest (the reference, every selected test) took 200 s at load
# 20, so only a selection grown by whole tests trips it
RUN_BUDGET = 300.0

# The mutants `make test` runs: the first eight, plus the only killers of a clause no other
# mutant proves (WE-LOCK-013/WE-DEL-003 ownership, WE-AUD-002 fallback). The rest run in the
# bench (bench/mutant_kill_table.py), where a whole stack per mutant is affordable.
SELF_TEST = (
    "double-status-write",
    "audit-in-retry",
    "no-audit-recorded",
    "wrong-pr-name",
    "failed-as-completed",
    "leak-pr-on-delete",
    "wrong-duration",
    "no-finalizer",
    "delete-by-name",
    "empty-correlation-label",
)

# Per variant, the tests whose string comparisons once failed it (the issue-14 false alarms):
# le="5" vs le="5.0", 30m vs 30m0s, a second-precision status time vs a sub-second payload.
VARIANT_SELECTIONS: dict[str, Selection] = {
    "go-metrics": Selection("test_metrics_count_outcomes_durations_and_creations"),
    "typed-client-update": Selection("test_valid_manifest_is_accepted_and_spec_preserved"),
    "precise-audit-times": Selection("test_workflow_completed_event_has_the_contract_fields"),
}


# The double-status-write mutant's run also checks its triage report (the issue's own scenario,
# test_double_status_write_run_opens_with_the_conflict_group): one run, not two, so its
# selection adds the test whose AuditRecorded the report names.
TRIAGED = "double-status-write"
TRIAGED_SELECTION = Selection(
    f"{SELECTIONS[TRIAGED].keyword} or test_audit_recorded_follows_each_transition"
)


def selected_by_the_mutants_and_variants() -> Selection:
    """Every test a mutant or variant run selects: what the reference must pass."""
    mutants = [SELECTIONS[name] for name in SELF_TEST if name != TRIAGED]
    return union([*mutants, TRIAGED_SELECTION, *VARIANT_SELECTIONS.values()])


def timed(run: Run) -> str:
    return f"{run.name}: {run.seconds:.0f}s for {run.selection.describe()} (log: {run.log})"


def test_every_registered_mutant_has_a_selection() -> None:
    assert set(SELECTIONS) == set(MUTANTS)
    assert set(SELF_TEST) <= set(SELECTIONS)


def test_every_mutant_names_the_root_cause_a_triage_should_give() -> None:
    """Interface 4: each mutant declares ``expected_root_cause`` from the published causes."""
    causes = set(CAUSES)
    missing = {
        name: getattr(cls, "expected_root_cause", None)
        for name, cls in MUTANTS.items()
        if getattr(cls, "expected_root_cause", None) not in causes
    }
    assert not missing, f"mutants without a known expected_root_cause: {missing}"


def test_reference_passes_every_selected_test(tmp_path: Path) -> None:
    """The other half of every kill below: the unmutated reference passes what they select.

    One run over the union of the selections, so the reference sees every test a mutant or
    variant run sees (node ids are the same in every run).
    """
    everything = selected_by_the_mutants_and_variants()
    ref = run_suites(REFERENCE, everything, tmp_path / "reference", WORKERS)
    assert ref.outcomes, f"the reference run recorded no test:\n{ref.log.read_text()[-3000:]}"
    assert not ref.failed(), f"the unmutated reference fails {ref.failed()} ({timed(ref)})"
    within_budget(ref)


@pytest.mark.parametrize("mutant", sorted(set(SELF_TEST) - {TRIAGED}))
def test_mutant_is_killed(tmp_path: Path, mutant: str) -> None:
    """A selected test fails against the mutant; the reference passes it (test above)."""
    run = run_suites(mutant, SELECTIONS[mutant], tmp_path / mutant, WORKERS)
    assert run.outcomes, f"{mutant}: no test selected by {run.selection.describe()}"
    assert run.failed(), (
        f"no test in {run.selection.describe()} fails against --mutant {mutant}: "
        f"outcomes {run.outcomes} ({timed(run)})"
    )
    within_budget(run)


def test_benign_variants_pass(tmp_path: Path) -> None:
    """The variants pass the tests that once raised false alarms on them.

    They replace different parts of the reference (its metrics renderer, its audit client,
    its reconciler), so one controller runs them all (``--variant a,b,c``,
    ``strategy.variant``): one stack instead of three.
    """
    assert set(VARIANT_SELECTIONS) <= set(VARIANTS)
    names = ",".join(sorted(VARIANT_SELECTIONS))
    selection = union(VARIANT_SELECTIONS.values())
    run = run_suites(REFERENCE, selection, tmp_path / "variants", WORKERS, variant=names)
    unselected = [
        name
        for name, sel in VARIANT_SELECTIONS.items()
        if not any(sel.keyword in node for node in run.outcomes)
    ]
    assert not unselected, f"{unselected}: no test ran ({timed(run)})"
    blamed = {
        node: [name for name, sel in VARIANT_SELECTIONS.items() if sel.keyword in node]
        for node in run.failed()
    }
    assert not blamed, (
        f"false alarm against the benign --variant {names}: {blamed} (each passes on the "
        "reference: test_reference_passes_every_selected_test); compare the value through "
        "wetest.domain.comparison instead of as a string"
    )
    within_budget(run)


def within_budget(run: Run) -> None:
    """A loose bound per run: only a selection grown by whole tests trips it."""
    assert run.seconds < RUN_BUDGET, (
        f"{timed(run)}; the limit is {RUN_BUDGET:.0f}s per run (aim: under 60s quiet). "
        "Narrow its selection in tests/mutants/killing.py to fewer tests."
    )


def test_double_status_write_run_opens_with_the_conflict_group(tmp_path: Path) -> None:
    """End to end: the seed bug under ``wetest run`` is killed and triaged as a conflict.

    The report must say conflict, name WE-STAT-002, count the 409s and give the fix, whether or
    not the run recorded API-call evidence (the reference controller logs each 409 with the
    API's text, which the conflict analyzer reads when api-calls.jsonl is absent).
    """
    run = run_suites(
        TRIAGED, TRIAGED_SELECTION, tmp_path / TRIAGED, WORKERS, timeout_scale=TRIAGED_SCALE
    )
    assert run.failed(), f"the mutant was not killed ({timed(run)})"
    text = (run.results_dir / "triage.md").read_text()
    first = next(line for line in text.splitlines() if line.startswith("### "))
    n = len(run.failed())
    assert first.startswith(
        f"### {n} test{'s' if n > 1 else ''}: status writes refused with 409 Conflict — the "
        "controller wrote status twice in one reconcile (WE-STAT-002)"
    ), text
    group = text[text.index(first) : text.find("\n### ", text.index(first) + 1)]
    conflicts = re.search(r"409 Conflict on workflowexecutions/status: (\d+)", group)
    assert conflicts, group
    assert int(conflicts.group(1)) >= n
    assert "never committed: AuditRecorded" in group
    assert "**Next action:** Merge the transition and the AuditRecorded condition" in group
    causes = {
        r["root_cause"]["cause"] for r in read_records(run.results_dir) if r["outcome"] in FAILED
    }
    assert causes == {"resource-version conflict"}
    within_budget(run)
