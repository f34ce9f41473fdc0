"""`wetest down`: stop everything `wetest up` started, by recorded pid and process group."""

from __future__ import annotations

import argparse

from wetest import progress
from wetest.cli import common
from wetest.stack import processes, state


def add_parser(
    subs: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    sub = subs.add_parser("down", help="Stop the stack started by `wetest up`")
    sub.add_argument("--json", action="store_true", help="Machine-readable output")
    return sub


def run(args: argparse.Namespace) -> int:
    s = common.load(args)
    record = state.read(s.state_dir)
    if record is None:
        progress.say(f"no stack recorded in {s.state_dir}; nothing to stop")
        return 0
    processes.stop_pid(record.supervisor_pid, timeout=30.0)
    stopped = [record.supervisor_pid]
    for pid in record.endpoints.pids.values():  # in case the supervisor was killed
        if processes.pid_alive(pid):
            processes.stop_pid(pid)
            stopped.append(pid)
    if record.endpoints.controller and processes.pid_alive(record.endpoints.controller.pid):
        processes.stop_pid(record.endpoints.controller.pid)
    state.clear(s.state_dir)
    common.emit({"stopped": stopped}, args.json)
    return 0
