"""`wetest up`: start the stack in the background and print its endpoints.

Attaches to a running stack, or starts one, through the library's ``ensure`` (the pytest plugin
calls the same function). Before starting one it checks what it can in-process (binaries,
ports, configuration) so that a missing dependency fails in well under a second; then spawns
the supervisor and waits until it reports ready or failed.
"""

from __future__ import annotations

import argparse

from wetest import progress
from wetest.cli import common, preflight
from wetest.stack.endpoints import Endpoints
from wetest.supervision import handle


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
    stack = handle.ensure(
        s.state_dir,
        common.options_of(args),
        components=args.components,
        before_start=lambda: preflight.check(s),
    )
    if not stack.started:
        progress.say(f"a stack is already running (state in {s.state_dir}); reusing it")
    return _print(stack.endpoints, args.json)


def _print(ep: Endpoints, as_json: bool) -> int:
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
