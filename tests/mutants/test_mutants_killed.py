"""Every mutant of the reference controller is killed; a few benign variants pass.

A mutant (``wetest/reference/controller/mutants.py``) is the reference with one known bug. For
each one, a few relevant conformance tests run against it through ``wetest run --target
command:... --mutant NAME``; at least one of them must fail, while all of them pass against
the unmutated reference. The other side: a benign variant (``variants.py``, a legal behaviour
the reference does not have) must pass the tests that would raise a false alarm on it; three
variants whose false alarms were real (issue 14) are checked here. The selections are small
so that this fits ``make test`` (about a minute per mutant whose killer waits out a timeout,
far less for the others); the full two-sided table over every suite is
``bench/mutant_kill_table.py``. Runs are sequential: each is a whole stack.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from killing import (
    REFERENCE,
    Run,
    Selection,
    false_alarms,
    format_table,
    format_variants,
    killers,
    run_suites,
    union,
)

from wetest.reference.controller.strategy import MUTANTS, VARIANTS

WORKERS = 0
# seconds; twice the aim (240 s for 9 runs, +80 s for the three one-test variant runs), so
# only a real regression of the selections trips it
BUDGET = 640.0

# Per mutant, a -k expression selecting tests that observe the broken clause. Keep them few:
# every run starts a whole stack, and a killer of a lost condition waits out its timeout (the
# exactly-once test gives up after ~15 s, the four-conditions test after 30 s). One xdist-free
# run per controller: with one or two tests, starting workers costs more than it saves.
# Every entry is a known killer (measured by running it); `make test` runs only SELF_TEST.
SELECTIONS: dict[str, Selection] = {
    "double-status-write": Selection("test_exactly_once_under_concurrent_writes_to_the_object"),
    # deterministic: the API server refuses the Completed write until the test lifts a policy
    "audit-in-retry": Selection("test_refused_transition_writes_emit_no_audit_event"),
    "no-audit-recorded": Selection("test_exactly_once_under_concurrent_writes_to_the_object"),
    "wrong-pr-name": Selection("test_deterministic_name_from_target_hash"),
    "failed-as-completed": Selection("test_failed_completion_time_is_observation_time"),
    "leak-pr-on-delete": Selection("test_deleting_running_we_deletes_pipelinerun"),
    "wrong-duration": Selection("test_pending_running_completed"),
    "no-finalizer": Selection("test_deleting_running_we_deletes_pipelinerun"),
    "failed-does-not-block": Selection("test_failed_executions_block_the_next_on_their_target"),
    "cooldown-by-name": Selection("test_cooldown_gate_compares_namespace_and_name"),
    "no-cooldown-gate": Selection("test_cooldown_gate_compares_namespace_and_name"),
    "terminal-without-completion-releases": Selection(
        "test_terminal_execution_without_completion_time_keeps_its_pipelinerun"
    ),
    "release-without-cooldown": Selection("test_lock_is_held_during_cooldown_then_released"),
    "delete-by-name": Selection("test_losers_never_delete_the_winners_pipelinerun"),
    "single-underscore-label": Selection("test_pipelinerun_matches_documented_example"),
    "target-param-first": Selection("test_parameters_are_passed_with_target_resource_last"),
    "sa-from-spec": Selection("test_execution_config_service_account_and_timeout_are_ignored"),
    "pipelinerun-timeout": Selection(
        "test_execution_config_service_account_and_timeout_are_ignored"
    ),
    "non-enum-create-reason": Selection("test_workflow_id_with_spaces_and_slashes"),
    "no-empty-part-check": Selection("test_invalid_spec_fails_before_execution and empty"),
    "timeout-before-oom": Selection("test_failure_classification and beats"),
    "pipeline-task-name": Selection("test_failed_task_is_first_failed_taskrun_in_child_references"),
    "start-time-on-pre-execution": Selection("test_invalid_spec_fails_before_execution and image"),
    "writes-failure-reason": Selection("test_failure_reason_is_not_written"),
    "completion-time-now": Selection("test_success_takes_pipelinerun_completion_time and 1m5s"),
    "empty-correlation-label": Selection("test_empty_correlation_label_falls_back"),
    "started-twice-on-adoption": Selection("test_own_pipelinerun_created_before_reconcile"),
    "zero-duration-observed": Selection("test_metrics_count_outcomes_durations_and_creations"),
    "terminal-mirror-cleared": Selection("test_terminal_write_keeps_a_truthful_pipelinerun_status"),
    "recreate-after-external-deletion": Selection("test_external_pipelinerun_deletion_fails_we"),
    "created-condition-in-follow-up-write": Selection(
        "test_pipeline_created_is_set_in_the_running_write"
    ),
    "running-message-without-reason": Selection(
        "test_pipeline_running_reflects_the_executing_pipelinerun"
    ),
    "adopt-foreign-pipelinerun": Selection("test_concurrent_creates_on_one_target"),
    "double-counted-outcome": Selection("test_metrics_use_only_the_defined_outcomes"),
    "audit-phase-before-transition": Selection("test_workflow_started_event_has_the_contract"),
    "correlation-from-remediation-request": Selection("test_correlation_label_becomes_the"),
    "audit-on-deletion": Selection("test_lifecycle_events_are_ordered_exactly_once"),
    "missing-spec-crashes": Selection("test_manifest_without_spec_fails"),
    "no-target-param-without-parameters": Selection(
        "test_without_parameters_target_resource_is_the_only_param"
    ),
    "hard-coded-service-account": Selection("test_controller_service_account_is_used"),
    "terminal-rewritten": Selection("test_completed_is_final"),
    "no-completion-time-from-pipelinerun": Selection(
        "test_success_without_pipelinerun_completion_time_uses_now"
    ),
    "mirror-ignores-child-references": Selection(
        "test_pipelinerun_status_is_mirrored_while_running"
    ),
    "finalizer-update-drops-spec-fields": Selection(
        "test_valid_manifest_is_accepted_and_spec_preserved"
    ),
}

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


class Runs:
    """One run per mutant, then the reference over the union of the selections.

    The reference runs last so that it sees every test a mutant saw, even if a suite file
    changed in between (suites are edited while this runs on a developer's machine).
    """

    def __init__(self, base: Path) -> None:
        self.base = base
        started = time.monotonic()
        self.mutants: dict[str, Run] = {
            name: run_suites(name, SELECTIONS[name], base / name, WORKERS)
            for name in sorted(SELF_TEST)
        }
        self.variants: dict[str, Run] = {
            name: run_suites(REFERENCE, sel, base / f"variant-{name}", WORKERS, variant=name)
            for name, sel in sorted(VARIANT_SELECTIONS.items())
        }
        everything = union(
            [*(SELECTIONS[name] for name in SELF_TEST), *VARIANT_SELECTIONS.values()]
        )
        self.reference = run_suites(REFERENCE, everything, base / "reference", WORKERS)
        self.seconds = time.monotonic() - started


@pytest.fixture(scope="module")
def runs() -> Iterator[Runs]:
    with tempfile.TemporaryDirectory(prefix="wetest-mutants-") as tmp:
        yield Runs(Path(tmp))


def test_every_registered_mutant_has_a_selection() -> None:
    assert set(SELECTIONS) == set(MUTANTS)
    assert set(SELF_TEST) <= set(SELECTIONS)


def test_every_mutant_names_the_root_cause_a_triage_should_give() -> None:
    """Interface 4: each mutant declares ``expected_root_cause`` from the published causes."""
    causes = {
        "resource-version conflict", "multiple status writes per transition",
        "DataStorage unavailable", "stack component died", "run interrupted",
        "controller crashed", "controller not reconciling", "admission denied",
        "audit delivery", "contract deviation", "infrastructure missing", "configuration",
        "unknown",
    }  # fmt: skip
    missing = {
        name: getattr(cls, "expected_root_cause", None)
        for name, cls in MUTANTS.items()
        if getattr(cls, "expected_root_cause", None) not in causes
    }
    assert not missing, f"mutants without a known expected_root_cause: {missing}"


def test_reference_passes_every_selected_test(runs: Runs) -> None:
    ref = runs.reference
    log = runs.base / "reference.log"
    assert ref.outcomes, f"the reference run recorded no test:\n{log.read_text()[-3000:]}"
    assert not ref.failed(), f"the unmutated reference fails {ref.failed()}"
    selected = {
        n for run in [*runs.mutants.values(), *runs.variants.values()] for n in run.outcomes
    }
    assert selected <= set(ref.outcomes), "a mutant ran a test the reference did not"


@pytest.mark.parametrize("mutant", sorted(SELF_TEST))
def test_mutant_is_killed(runs: Runs, mutant: str) -> None:
    run = runs.mutants[mutant]
    assert run.outcomes, f"{mutant}: no test selected by {run.selection.describe()}"
    assert killers(run, runs.reference), (
        f"no test in {run.selection.describe()} fails against --mutant {mutant}: "
        f"outcomes {run.outcomes}"
    )


@pytest.mark.parametrize("variant", sorted(VARIANT_SELECTIONS))
def test_variant_passes(runs: Runs, variant: str) -> None:
    run = runs.variants[variant]
    assert set(VARIANT_SELECTIONS) <= set(VARIANTS)
    assert run.outcomes, f"{variant}: no test selected by {run.selection.describe()}"
    assert not run.failed(), (
        f"false alarm: {run.failed()} fail against the benign --variant {variant} "
        f"(passing on the reference: {false_alarms(run, runs.reference)}); compare the value "
        "through wetest.domain.comparison instead of as a string"
    )


def test_kill_table_is_printed_and_fits_the_budget(
    runs: Runs, capsys: pytest.CaptureFixture[str]
) -> None:
    with capsys.disabled():
        print(f"\n{format_table(list(runs.mutants.values()), runs.reference)}")
        print(f"\n{format_variants(list(runs.variants.values()), runs.reference)}")
        count = 1 + len(runs.mutants) + len(runs.variants)
        print(f"mutant self-test: {runs.seconds:.0f}s for {count} runs")
    assert runs.seconds < BUDGET, (
        f"the mutant self-test took {runs.seconds:.0f}s (aim: under 320s, limit {BUDGET:.0f}s); "
        "narrow SELECTIONS to fewer tests per mutant"
    )
