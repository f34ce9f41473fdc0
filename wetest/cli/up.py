"""`wetest up`: start the stack in the background and print its endpoints.

Checks what it can in-process first (binaries, ports, configuration) so that a missing
dependency fails in well under a second; then spawns the supervisor and waits until it
reports ready or failed.
"""

from __future__ import annotations

import argparse

from wetest import progress
from wetest.cli import common, preflight
from wetest.stack import processes, state
from wetest.supervision import spawning


def add_parser(
    subs: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    sub = subs.add_parser("up", help="Start the stack in the background")
    sub.add_argument("--json", action="store_true", help="Print the endpoints as JSON")
    sub.add_argument(
        "--components",
        default="",
        help="Comma-separated subset of cluster,tekton,datastorage,controller",
    )
    return sub


def run(args: argparse.Namespace) -> int:
    s = common.load(args)
    existing = state.read(s.state_dir)
    if existing and existing.status == "ready" and processes.pid_alive(existing.supervisor_pid):
        progress.say(f"a stack is already running (state in {s.state_dir}); reusing it")
        return _print(existing, args.json)
    preflight.check(s)
    state.clear(s.state_dir)
    proc = spawning.spawn(s.state_dir, common.options_of(args), args.components)
    record = spawning.wait_ready(s.state_dir, proc)
    return _print(record, args.json)


def _print(record: state.StackState, as_json: bool) -> int:
    ep = record.endpoints
    if as_json:
        print(ep.to_json())
    else:
        print(f"kubeconfig: {ep.kubeconfig}\napiserver:  {ep.apiserver}\netcd:       {ep.etcd}")
        if ep.datastorage:
            print(f"datastorage: {ep.datastorage}")
        if ep.controller:
            print(f"controller: pid {ep.controller.pid} ({ep.controller.target})")
        print(f"export KUBECONFIG={ep.kubeconfig}")
    return 0
