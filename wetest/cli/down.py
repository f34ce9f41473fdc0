"""`wetest down`: stop everything `wetest up` started, by recorded pid and process group."""

from __future__ import annotations

import argparse

from wetest import progress
from wetest.cli import common
from wetest.stack import state
from wetest.supervision import spawning


def add_parser(
    subs: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    sub = subs.add_parser("down", help="Stop the stack started by `wetest up`")
    sub.add_argument("--json", action="store_true", help="Machine-readable output")
    return sub


def run(args: argparse.Namespace) -> int:
    s = common.load(args)
    if state.read(s.state_dir) is None:
        progress.say(f"no stack recorded in {s.state_dir}; nothing to stop")
        return 0
    common.emit({"stopped": spawning.stop(s.state_dir)}, args.json)
    return 0
