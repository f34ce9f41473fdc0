"""`wetest report <run-dir>`: rebuild triage.md, triage.html and conformance.yaml from files.

It reads only the run directory, so it works on an old run and in a separate CI step, and it
never imports pytest or the stack.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from wetest.cli import common
from wetest.report import build


def add_parser(
    subs: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    sub = subs.add_parser("report", help="Build the triage and conformance reports of a run")
    sub.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="The run directory to read")
    sub.add_argument("--json", action="store_true", help="Machine-readable output")
    return sub


def run(args: argparse.Namespace) -> int:
    paths = build.build(args.run_dir)
    data = {path.name: str(path) for path in paths}
    if args.json:
        common.emit(data, True)
    else:
        for path in paths:
            print(path)
    return 0
