"""`wetest status`: is the stack of `wetest up` running, and which processes are alive."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from wetest.cli import common
from wetest.stack import processes, state


def add_parser(
    subs: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    sub = subs.add_parser("status", help="Show the stack started by `wetest up`")
    sub.add_argument("--json", action="store_true", help="Machine-readable output")
    return sub


def run(args: argparse.Namespace) -> int:
    s = common.load(args)
    record = state.read(s.state_dir)
    if record is None:
        common.emit({"status": "down", "state_dir": str(s.state_dir)}, args.json)
        return 1
    alive = {name: processes.pid_alive(pid) for name, pid in record.endpoints.pids.items()}
    supervisor = processes.pid_alive(record.supervisor_pid)
    healthy = supervisor and all(alive.values()) and not record.exited
    status = record.status if healthy else "degraded"
    out = {
        "status": status,
        "supervisor_pid": record.supervisor_pid,
        "processes": alive,
        "exited": record.exited,  # reaped by the supervisor: bring back with restart-component
        "endpoints": asdict(record.endpoints),
    }
    common.emit(out, args.json)
    return 0 if status == "ready" else 1
