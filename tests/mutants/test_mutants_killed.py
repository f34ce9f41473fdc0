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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from killing import (
    REFERENCE,
    SELECTIONS,
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
from wetest.report.analysis.causes import CAUSES

WORKERS = 0
PARALLEL_RUNS = 3
# seconds; about twice the 13 runs' sequential time (three run at a time: about 150 s), so
# only a real regression of the selections trips it
BUDGET = 640.0

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
    """One run per mutant and per variant, and the reference over the union of the selections.

    The reference sees every test a mutant saw because the union is taken from the selections
    themselves; it is the longest run (every selected test), so it starts first and overlaps
    the others instead of adding its whole length after them.
    """

    def __init__(self, base: Path) -> None:
        self.base = base
        started = time.monotonic()
        everything = union(
            [*(SELECTIONS[name] for name in SELF_TEST), *VARIANT_SELECTIONS.values()]
        )
        # Three runs at a time: each mostly waits (a killer waits out its timeout), so on two
        # CPUs three overlap without slowing each other much (the sequential chain took 346 s).
        with ThreadPoolExecutor(max_workers=PARALLEL_RUNS) as pool:
            reference = pool.submit(run_suites, REFERENCE, everything, base / "reference", WORKERS)
            mutants = {
                name: pool.submit(run_suites, name, SELECTIONS[name], base / name, WORKERS)
                for name in sorted(SELF_TEST)
            }
            variants = {
                name: pool.submit(
                    run_suites, REFERENCE, sel, base / f"variant-{name}", WORKERS, variant=name
                )
                for name, sel in sorted(VARIANT_SELECTIONS.items())
            }
            self.mutants: dict[str, Run] = {n: f.result() for n, f in mutants.items()}
            self.variants: dict[str, Run] = {n: f.result() for n, f in variants.items()}
            self.reference: Run = reference.result()
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
    causes = set(CAUSES)
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
        f"the mutant self-test took {runs.seconds:.0f}s (aim: under 300s, limit {BUDGET:.0f}s); "
        "narrow SELECTIONS to fewer tests per mutant"
    )
