"""`wetest config`: the resolved configuration, with the source of each value."""

from __future__ import annotations

import argparse

from wetest.cli import common
from wetest.config import sources


def add_parser(
    subs: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    sub = subs.add_parser("config", help="Print the resolved configuration with sources")
    sub.add_argument("--json", action="store_true", help="Machine-readable output")
    return sub


def run(args: argparse.Namespace) -> int:
    resolved = sources.resolve(common.options_of(args))
    if args.json:
        common.emit({k: {"value": r.value, "source": r.source} for k, r in resolved.items()}, True)
        return 0
    width = max(len(k) for k in resolved)
    for key, found in resolved.items():
        shown = found.value or '""'
        print(f"{key.ljust(width)}  {shown}  ({found.source})")
    return 0
