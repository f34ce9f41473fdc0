"""The full kill table: every conformance suite against the reference and each of its mutants.

A mutant is the reference controller with one known bug (``wetest/reference/controller/
mutants.py``). A test kills a mutant when it fails against the mutant and passes against the
reference; a mutant no test kills is a gap in the suites. Each controller runs as a
``command:`` target of ``wetest run`` (own stack per run), one run after the other, so this
takes one full suite run per mutant plus one for the reference.

    .venv/bin/python bench/mutant_kill_table.py [--mutant NAME ...] [-k EXPR] [-n 2]
        [--keep DIR] [--json]

Exit code 1 if the reference fails a test or a mutant survives.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "mutants"))
from killing import REFERENCE, Selection, controller_command, format_table, killers, run_suites

from wetest.reference.controller.strategy import MUTANTS


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mutant", action="append", default=[], help="only these (repeatable)")
    p.add_argument("-k", dest="keyword", default="", help="pytest -k over the suites")
    p.add_argument("-n", dest="workers", type=int, default=2, help="xdist workers per run")
    p.add_argument("--keep", default="", help="keep each run's results directory here")
    p.add_argument("--json", action="store_true", help="print the table as JSON")
    args = p.parse_args()
    names = args.mutant or sorted(MUTANTS)
    unknown = [n for n in names if n not in MUTANTS]
    if unknown:
        p.error(f"unknown mutant(s) {', '.join(unknown)}; known: {', '.join(sorted(MUTANTS))}")
    base = Path(args.keep or tempfile.mkdtemp(prefix="wetest-kill-table-"))
    base.mkdir(parents=True, exist_ok=True)
    selection = Selection(args.keyword)
    started = time.monotonic()
    runs = []
    for name in names:
        print(f"mutant {name} ...", file=sys.stderr)
        runs.append(run_suites(name, selection, base / name, args.workers))
    # Last, so the reference has run every test a mutant ran even if suites changed meanwhile.
    print(f"reference: {controller_command(REFERENCE)}", file=sys.stderr)
    reference = run_suites(REFERENCE, selection, base / "reference", args.workers)
    total = time.monotonic() - started
    if args.json:
        table = {run.mutant: killers(run, reference) for run in runs}
        print(json.dumps({"reference_failed": reference.failed(), "kills": table}, indent=2))
    else:
        print(format_table(runs, reference))
        print(f"\ntotal {total:.0f}s; results under {base}")
        print(f"command: {controller_command('<NAME>')}")
    survived = [run.mutant for run in runs if not killers(run, reference)]
    return 1 if reference.failed() or survived or not reference.outcomes else 0


if __name__ == "__main__":
    sys.exit(main())
