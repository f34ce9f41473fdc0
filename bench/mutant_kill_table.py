"""The two-sided kill table: every suite against the reference, each mutant and each variant.

A mutant is the reference controller with one known bug (``wetest/reference/controller/
mutants.py``): a test kills it when it fails against the mutant and passes against the
reference; a mutant no test kills is a gap in the suites. A benign variant
(``variants.py``) is a legal behaviour the reference does not have: it must pass every test,
and a test that fails against it while passing against the reference is a false alarm of the
suites. Each controller runs as a ``command:`` target of ``wetest run`` (own stack per run),
one run after the other, so this takes one full suite run per controller.

    .venv/bin/python bench/mutant_kill_table.py [--mutant NAME ...] [--variant NAME ...]
        [--only-mutants | --only-variants] [-k EXPR] [--quick] [-n 2] [--keep DIR] [--json]

``--quick`` runs each mutant on its known killers only (``killing.SELECTIONS``, each measured),
while the variants and the reference still run every selected test: a mutant's row then proves
it is killed and names the root cause its triage reports, in seconds instead of a full run.

Prints: mutants killed (with their killing tests and the root cause the triage report names
first, against the mutant's ``expected_root_cause``: issue 13's accuracy), variants passed
(with the false alarms of a failing one), and per clause which mutant proves it. Exit code 1
if the reference fails a test, a mutant survives or a variant fails.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "mutants"))
from killing import (
    REFERENCE,
    SELECTIONS,
    Run,
    Selection,
    clause_proofs,
    controller_command,
    false_alarms,
    format_proofs,
    format_table,
    format_variants,
    killers,
    run_suites,
)

from wetest.reference.controller.strategy import MUTANTS, VARIANTS


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mutant", action="append", default=[], help="only these (repeatable)")
    p.add_argument("--variant", action="append", default=[], help="only these (repeatable)")
    side = p.add_mutually_exclusive_group()
    side.add_argument("--only-mutants", action="store_true", help="skip the variants")
    side.add_argument("--only-variants", action="store_true", help="skip the mutants")
    p.add_argument("-k", dest="keyword", default="", help="pytest -k over the suites")
    p.add_argument(
        "--quick",
        action="store_true",
        help="run each mutant on its known killers only (killing.SELECTIONS), not on -k",
    )
    p.add_argument("-n", dest="workers", type=int, default=2, help="xdist workers per run")
    p.add_argument("--keep", default="", help="keep each run's results directory here")
    p.add_argument("--json", action="store_true", help="print the table as JSON")
    args = p.parse_args()
    for given, known, what in (
        (args.mutant, MUTANTS, "mutant"),
        (args.variant, VARIANTS, "variant"),
    ):
        unknown = [n for n in given if n not in known]
        if unknown:
            p.error(f"unknown {what}(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return args


def main() -> int:
    args = parse_args()
    mutants = [] if args.only_variants else (args.mutant or sorted(MUTANTS))
    variants = [] if args.only_mutants else (args.variant or sorted(VARIANTS))
    base = Path(args.keep or tempfile.mkdtemp(prefix="wetest-kill-table-"))
    base.mkdir(parents=True, exist_ok=True)
    selection = Selection(args.keyword)
    started = time.monotonic()
    runs: list[Run] = []
    for name in mutants:
        print(f"mutant {name} ...", file=sys.stderr, flush=True)
        chosen = SELECTIONS[name] if args.quick and name in SELECTIONS else selection
        runs.append(run_suites(name, chosen, base / name, args.workers))
    checked: list[Run] = []
    for name in variants:
        print(f"variant {name} ...", file=sys.stderr, flush=True)
        checked.append(
            run_suites("", selection, base / f"variant-{name}", args.workers, variant=name)
        )
    # Last, so the reference has run every test the others ran even if suites changed meanwhile.
    print(f"reference: {controller_command(REFERENCE)}", file=sys.stderr, flush=True)
    reference = run_suites(REFERENCE, selection, base / "reference", args.workers)
    total = time.monotonic() - started
    proofs = clause_proofs(runs, reference)
    if args.json:
        table = {
            "reference_failed": reference.failed(),
            "kills": {run.mutant: killers(run, reference) for run in runs},
            "false_alarms": {run.variant: false_alarms(run, reference) for run in checked},
            "variant_failed": {run.variant: run.failed() for run in checked},
            "clause_proofs": proofs,
        }
        print(json.dumps(table, indent=2))
    else:
        killed = sum(bool(killers(run, reference)) for run in runs)
        passed = sum(bool(run.outcomes) and not run.failed() for run in checked)
        if runs:
            print(format_table(runs, reference))
        else:
            ok = sum(o == "passed" for o in reference.outcomes.values())
            print(f"reference: {ok}/{len(reference.outcomes)} passed in {reference.seconds:.0f}s")
            if reference.failed():
                print("reference failed: " + ", ".join(reference.failed()))
        print(f"\nmutants killed: {killed}/{len(runs)}; variants passed: {passed}/{len(checked)}")
        if checked:
            print(f"\n{format_variants(checked, reference)}")
        if proofs:
            print(f"\n{format_proofs(proofs)}")
        print(f"\ntotal {total:.0f}s; results under {base}")
        print(f"command: {controller_command('<NAME>')}")
    survived = [run.mutant for run in runs if not killers(run, reference)]
    failing = [run.variant for run in checked if run.failed() or not run.outcomes]
    return 1 if reference.failed() or survived or failing or not reference.outcomes else 0


if __name__ == "__main__":
    sys.exit(main())
