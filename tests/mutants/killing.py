"""Run the conformance suites against a mutant or variant of the reference: a two-sided table.

Shared by ``test_mutants_killed.py`` (small selections, in ``make test``) and
``bench/mutant_kill_table.py`` (every suite). The controller is started exactly as an alternate
controller would be, as a ``command:`` target of ``wetest run``, so the table measures the
suites through the same seam a user's controller goes through.

Two sides: a test *kills* a mutant (a controller with a known bug) when it fails or errors
against the mutant and passed against the unmutated reference in the same selection; every
mutant must be killed. A benign variant (a legal behaviour the reference does not have) must
*pass*: a test that fails against a variant and passed against the reference is a false alarm
of the suite, as wrong as a surviving mutant.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wetest.stack import processes

ROOT = Path(__file__).resolve().parents[2]
SUITES = ROOT / "suites"
WETEST = str(Path(sys.executable).parent / "wetest")
FAILED = ("failed", "error")
REFERENCE = ""  # the mutant name of the unmutated reference controller


def controller_command(mutant: str, python: str = sys.executable, variant: str = "") -> str:
    """The ``command:`` target line; ``mutant`` and ``variant`` empty mean the reference."""
    flag = f"--mutant {shlex.quote(mutant)} " if mutant else ""
    flag += f"--variant {shlex.quote(variant)} " if variant else ""
    return (
        f"command:{shlex.quote(python)} -m wetest.reference.controller {flag}"
        "--kubeconfig {kubeconfig} --execution-namespace {execution_namespace} "
        "--cooldown {cooldown} --datastorage-url {datastorage_url} "
        "--metrics-bind-address 127.0.0.1:{metrics_port} "
        "--health-probe-bind-address 127.0.0.1:{health_port} --spool-dir {spool_dir} "
        # as the bundled target: killers run on isolated instances as in a bundled run
        "--namespaces={watch_namespaces} --ignore-namespaces={ignore_namespaces}"
    )


@dataclass(frozen=True)
class Selection:
    """A ``-k`` expression over the suites; empty selects every test.

    ``-k`` also matches folder and module names, so ``deletion`` selects the whole deletion
    folder; node ids stay the same as in a full run, which keeps runs comparable.
    """

    keyword: str = ""

    def pytest_args(self) -> list[str]:
        return ["-k", self.keyword] if self.keyword else []

    def describe(self) -> str:
        return f"-k {self.keyword!r}" if self.keyword else "all suites"


def union(selections: Iterable[Selection]) -> Selection:
    """One selection covering all of them (empty if any of them selects everything)."""
    keys = [s.keyword for s in selections]
    if not keys or not all(keys):
        return Selection()
    return Selection(" or ".join(f"({k})" for k in dict.fromkeys(keys)))


# Per mutant, a -k expression selecting tests that observe the broken clause. Keep them few:
# every run starts a whole stack, and a killer of a lost condition waits out its timeout (the
# exactly-once test gives up after ~15 s, the four-conditions test after 30 s). One xdist-free
# run per controller: with one or two tests, starting workers costs more than it saves.
# Every entry is a known killer (measured by running it); `make test` runs only its SELF_TEST;
# ``bench/mutant_kill_table.py --quick`` and ``bench/triage_accuracy.py --quick`` run them all.
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
    # issue 16's fault mutants: the resilience tests under we_faults (measured killers)
    "watch-gives-up": Selection("test_executions_finish_across_an_apiserver_restart"),
    "audit-dropped-after-retries": Selection(
        "test_a_controller_killed_during_a_datastorage_outage_loses_no_event"
    ),
    "audit-buffer-in-memory": Selection(
        "test_a_controller_killed_during_a_datastorage_outage_loses_no_event"
    ),
    "stalled-pipelinerun-fails": Selection("test_executions_wait_out_a_tekton_pause"),
}


@dataclass
class Run:
    """One ``wetest run``: the outcome of every selected test."""

    mutant: str
    selection: Selection
    outcomes: dict[str, str]
    seconds: float
    exit_code: int
    results_dir: Path
    command: list[str] = field(default_factory=list)
    variant: str = ""
    clauses: dict[str, list[str]] = field(default_factory=dict)  # nodeid → cited clauses

    @property
    def name(self) -> str:
        return self.variant or self.mutant or "reference"

    @property
    def log(self) -> Path:
        """The run's ``wetest run`` output (beside its results folder)."""
        return self.results_dir.parent / f"{self.results_dir.name}.log"

    def failed(self) -> list[str]:
        return sorted(n for n, o in self.outcomes.items() if o in FAILED)


def run_suites(
    mutant: str,
    selection: Selection,
    results_dir: Path,
    workers: int = 2,
    timeout: float = 900.0,
    variant: str = "",
    timeout_scale: float | None = None,
) -> Run:
    """Run ``wetest run`` with the controller as a command target; read results.jsonl.

    ``timeout_scale``: the run's ``timeout_scale`` setting (its waits' budgets and windows);
    None leaves it to the environment.
    """
    cmd = [
        WETEST,
        "run",
        "--target",
        controller_command(mutant, variant=variant),
        "--results-dir",
        str(results_dir),
        "--suites",
        str(SUITES),
        "-n",
        str(workers),
        "--",
        *selection.pytest_args(),
    ]
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="wetest-mutant-state-") as state,
        (results_dir.parent / f"{results_dir.name}.log").open("w") as log,  # Run.log
    ):
        env = dict(os.environ, WETEST_STATE_DIR=state)
        if timeout_scale is not None:
            env["WETEST_TIMEOUT_SCALE"] = str(timeout_scale)
        proc = subprocess.run(  # a stopped bench stops its run, and the run its stack
            cmd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            check=False,
            preexec_fn=processes.parent_death_signal(signal.SIGTERM),
        )
    seconds = time.monotonic() - started
    records = read_records(results_dir)
    outcomes = {rec["nodeid"]: rec["outcome"] for rec in records}
    clauses = {rec["nodeid"]: failed_clauses(rec) for rec in records}
    return Run(
        mutant, selection, outcomes, seconds, proc.returncode, results_dir, cmd, variant, clauses
    )


def read_records(results_dir: Path) -> list[dict[str, Any]]:
    """The records of results.jsonl (empty when the run wrote none)."""
    path = results_dir / "results.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def read_outcomes(results_dir: Path) -> dict[str, str]:
    """``nodeid → outcome`` from results.jsonl (empty when the run wrote none)."""
    return {rec["nodeid"]: rec["outcome"] for rec in read_records(results_dir)}


def failed_clauses(record: dict[str, Any]) -> list[str]:
    """The clauses a failing test proves broken: its failed clause results when the run
    recorded per-clause results, else every clause the test cites."""
    per_clause = record.get("clause_results") or {}
    failed = [c for c, r in per_clause.items() if (r or {}).get("result") == "failed"]
    return sorted(failed or record.get("clauses") or [])


def first_group_cause(results_dir: Path) -> str:
    """The root cause the run's triage report names first ('' when no test failed)."""
    from wetest.report import analysis, results

    if not (results_dir / "results.jsonl").is_file():
        return "(no results)"
    groups = analysis.group(analysis.analyze(results.read(results_dir)))
    return str(groups[0].finding.cause) if groups else ""


def expected_root_cause(mutant: str) -> str:
    """What a triage of this mutant's run must name first (its class declares it)."""
    from wetest.reference.controller.mutants import ALL

    return str(getattr(ALL[mutant], "expected_root_cause", "") or "")


def killers(run: Run, reference: Run) -> list[str]:
    """Tests that fail against the mutant and passed against the reference."""
    return [n for n in run.failed() if reference.outcomes.get(n) == "passed"]


def false_alarms(run: Run, reference: Run) -> list[str]:
    """Tests that fail against a benign variant and passed against the reference."""
    return killers(run, reference)


def clause_proofs(runs: Sequence[Run], reference: Run) -> dict[str, list[str]]:
    """``clause → mutants`` whose killing tests fail on that clause."""
    proofs: dict[str, set[str]] = {}
    for run in runs:
        for test in killers(run, reference):
            for clause in run.clauses.get(test, []):
                proofs.setdefault(clause, set()).add(run.mutant)
    return {clause: sorted(proofs[clause]) for clause in sorted(proofs)}


def format_variants(runs: Sequence[Run], reference: Run) -> str:
    """The other side: each variant passed, or the tests that raise a false alarm on it."""
    lines = [f"{'variant':<32} {'result':>6}  {'time':>5}  false alarms (fail here, pass on ref)"]
    for run in runs:
        alarms = false_alarms(run, reference)
        unexplained = [n for n in run.failed() if n not in alarms]
        verdict = "NO RUN" if not run.outcomes else "FAILED" if run.failed() else "passed"
        first = alarms[0] if alarms else ""
        lines.append(f"{run.variant:<32} {verdict:>6}  {run.seconds:>4.0f}s  {first}".rstrip())
        lines.extend(f"{'':<48}{name}" for name in alarms[1:])
        lines.extend(f"{'':<48}{name} (fails on the reference too)" for name in unexplained)
    return "\n".join(lines)


def format_proofs(proofs: dict[str, list[str]]) -> str:
    """Per clause, the mutants that prove a suite can see it broken."""
    lines = [f"{'clause':<14} mutants whose killing tests fail on it"]
    lines.extend(f"{clause:<14} {', '.join(names)}" for clause, names in proofs.items())
    return "\n".join(lines)


def format_table(runs: Sequence[Run], reference: Run) -> str:
    """A plain-text kill table: mutant, selection, number and names of killing tests."""
    lines = [
        f"reference: {sum(o == 'passed' for o in reference.outcomes.values())}/"
        f"{len(reference.outcomes)} passed in {reference.seconds:.0f}s "
        f"({reference.selection.describe()})",
        "",
        f"{'mutant':<38} {'kills':>5}  {'time':>5}  {'root cause named first':<40}  killing tests",
    ]
    for run in runs:
        kills = killers(run, reference)
        first = kills[0] if kills else "NOT KILLED (no selected test fails against it)"
        named, expected = first_group_cause(run.results_dir), expected_root_cause(run.mutant)
        cause = named if named == expected else f"{named or '-'} (expected {expected or '?'})"
        lines.append(
            f"{run.mutant:<38} {len(kills):>5}  {run.seconds:>4.0f}s  {cause:<40}  {first}"
        )
        lines.extend(f"{'':<91}{name}" for name in kills[1:])
    right = sum(first_group_cause(r.results_dir) == expected_root_cause(r.mutant) for r in runs)
    if runs:
        lines.append(f"\nroot cause named correctly: {right}/{len(runs)}")
    return "\n".join(lines)
