"""`wetest compare <run-a> <run-b>`: clause-by-clause differences between two runs.

Exit 0 whatever the differences (a comparison is information, not a verdict); exit 2 when an
input cannot be read.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from wetest.cli import common
from wetest.report import compare


def add_parser(
    subs: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    sub = subs.add_parser("compare", help="Compare the conformance of two runs clause by clause")
    sub.add_argument("run_a", type=Path, metavar="RUN_A", help="The earlier run directory")
    sub.add_argument("run_b", type=Path, metavar="RUN_B", help="The later run directory")
    sub.add_argument("--json", action="store_true", help="Machine-readable output")
    return sub


def run(args: argparse.Namespace) -> int:
    result = compare.compare(args.run_a, args.run_b)
    if args.json:
        common.emit(result.as_dict(), True)
        return 0
    print(f"A: {result.a}\nB: {result.b}")
    for note in result.notes:
        print(f"note: {note}")
    print(f"regressions ({len(result.regressions)}): {', '.join(result.regressions) or 'none'}")
    print(f"fixes ({len(result.fixes)}): {', '.join(result.fixes) or 'none'}")
    for clause_id, change in result.changed.items():
        print(f"changed: {clause_id} {change}")
    counts = ", ".join(f"{n} {status}" for status, n in sorted(result.unchanged.items()))
    print(f"unchanged: {counts or 'none'}")
    return 0
