"""How much fault a controller survives: N lifecycles per fault kind, invariants counted.

.venv/bin/python bench/chaos.py [--n 50] [--faults conflicts,datastorage_outage,...]
    [--controllers reference,audit-in-retry,double-status-write]

For each controller (the reference, then the mutants side by side) it starts a bundled stack
with that controller as a ``command:`` target, and for each fault kind runs N lifecycles
(``succeed after=1s``) through the fault, with the same fixtures the suites use
(``wetest.faults``): 30 % status and finalizer conflicts for the whole round; a 10 s
DataStorage outage while they start; a kube-apiserver restart (etcd kept) half-way through
the creations; a controller SIGKILL + restart after every 10 creations. Then the harness's
invariants (``wetest.faults.invariants``) judge every WE and the table prints, per controller
and fault: lifecycles, faults injected, WEs finished, audit events lost, duplicated,
conditions lost, wall time; then how many stack processes outlived the stack's stop. The
reference must show 0/0/0; the mutants must show damage.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from wetest.domain import manifests
from wetest.faults import invariants
from wetest.faults.outages import Faults
from wetest.kube import clients, objects
from wetest.stack import apiaudit, control, processes, state
from wetest.supervision import spawning

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.mutants.killing import controller_command  # noqa: E402  (a bench, not a package)

FAULTS = ("conflicts", "datastorage_outage", "apiserver_restart", "controller_kill")
CONTROLLERS = ("reference", "audit-in-retry", "double-status-write")
SCENARIO = {"WETEST_SCENARIO": "succeed after=1s"}
OUTAGE, KILL_EVERY, CONFLICTS = 10.0, 10, 0.3


class Round:
    """One stack with one controller; runs the fault kinds against it."""

    def __init__(self, state_dir: Path, controller: str) -> None:
        mutant = "" if controller == "reference" else controller
        self.state_dir = state_dir
        self.proc = spawning.spawn(
            state_dir, {"target": controller_command(mutant)}, owner_pid=os.getpid()
        )
        record = spawning.wait_ready(state_dir, self.proc)
        self.pid = record.supervisor_pid
        self.endpoints = record.endpoints
        self.api = clients.api_client(
            record.endpoints.kubeconfig_of("harness"), user_agent=apiaudit.USER_AGENTS["harness"]
        )

    def command(self, line: str) -> dict[str, Any]:
        return control.send(self.state_dir, self.pid, line, timeout=180)

    def refresh(self) -> Any:
        record = state.read(self.state_dir)
        if record is not None:
            self.endpoints = record.endpoints
        return self.endpoints

    def stop(self) -> int:
        """Stop the stack; return how many of its processes were still alive after it."""
        pids = [*self.refresh().pids.values()]
        if self.endpoints.controller is not None:
            pids.append(self.endpoints.controller.pid)
        processes.stop_pid(self.pid, timeout=30)  # the supervisor stops its stack
        left = sum(1 for pid in pids if pid and processes.pid_alive(pid))
        spawning.stop(self.state_dir)  # kills any leftover, so the bench leaves none either
        return left

    def run(self, fault: str, n: int) -> tuple[invariants.Tally, int, float]:
        """N lifecycles through one fault kind; (tally, faults injected, wall seconds)."""
        token = secrets.token_hex(3)  # WE names are correlation ids: unique across rounds
        namespace = f"chaos-{token}"
        objects.create(
            self.api, objects.ObjectRef.core("namespaces"), {"metadata": {"name": namespace}}
        )
        faults = Faults(self.command, self.refresh)
        started = time.monotonic()
        wes: list[dict[str, Any]] = []

        def create(count: int) -> None:
            for _ in range(count):
                name = f"c{token}-{len(wes):03d}"
                body = manifests.workflow_execution(
                    name, namespace, f"{namespace}/deployment/{name}", parameters=SCENARIO
                )
                ref = objects.ObjectRef.workflow_execution(namespace)
                wes.append(objects.create(self.api, ref, body))

        injected = PLAYS[fault](faults, create, n)
        with httpx.Client(base_url=self.endpoints.datastorage, timeout=10.0) as audit:
            tally = invariants.observe(
                self.api,
                audit,
                wes,
                self.endpoints.execution_namespace,
                invariants.Budget(finish=120.0, wait_for_cooldown=False),
            )
        for fault_record in faults.restore():
            injected = max(injected, int(fault_record.get("injected", 0)))
        return tally, injected, time.monotonic() - started


def _conflicts(faults: Faults, create: Callable[[int], None], n: int) -> int:
    """The fault lasts through observe() (judged under it); its 409s are counted at restore()."""
    faults.conflicts(CONFLICTS, finalizers=True)
    create(n)
    return 0


def _outage(faults: Faults, create: Callable[[int], None], n: int) -> int:
    outage = faults.datastorage_outage(seconds=OUTAGE)
    create(n)
    outage.wait()
    return 1


def _restart(faults: Faults, create: Callable[[int], None], n: int) -> int:
    create(n // 2)
    faults.apiserver_restart()
    create(n - n // 2)
    return 1


def _kill(faults: Faults, create: Callable[[int], None], n: int) -> int:
    kills = 0
    for start in range(0, n, KILL_EVERY):
        create(min(KILL_EVERY, n - start))
        faults.controller_kill()  # mid-reconcile: the wave was just created
        kills += 1
    return kills


def _postgres(faults: Faults, create: Callable[[int], None], n: int) -> int:
    create(n // 2)
    faults.postgres_restart()
    create(n - n // 2)
    return 1


def _pause(faults: Faults, create: Callable[[int], None], n: int) -> int:
    pause = faults.tekton_pause(seconds=OUTAGE)
    create(n)
    pause.wait()
    return 1


PLAYS: dict[str, Callable[[Faults, Callable[[int], None], int], int]] = {
    "conflicts": _conflicts,
    "datastorage_outage": _outage,
    "apiserver_restart": _restart,
    "controller_kill": _kill,
    "postgres_restart": _postgres,  # not in the default set: --faults postgres_restart
    "tekton_pause": _pause,  # not in the default set: --faults tekton_pause
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50, help="lifecycles per fault kind")
    parser.add_argument("--faults", default=",".join(FAULTS))
    parser.add_argument("--controllers", default=",".join(CONTROLLERS))
    parser.add_argument("--show", type=int, default=3, help="violations printed per row")
    args = parser.parse_args()
    kinds = [f for f in args.faults.split(",") if f]
    unknown = sorted(set(kinds) - set(PLAYS))
    if unknown:
        parser.error(f"unknown fault kinds {unknown}; valid: {', '.join(PLAYS)}")
    header = (
        f"{'controller':<22}{'fault':<20}{'lifecycles':>10}{'faults':>8}{'finished':>9}"
        f"{'lost':>6}{'dup':>5}{'cond':>6}{'wall s':>8}"
    )
    print(header, flush=True)
    for controller in [c for c in args.controllers.split(",") if c]:
        with tempfile.TemporaryDirectory(prefix="wetest-chaos-") as folder:
            bench = Round(Path(folder), controller)
            try:
                for fault in kinds:
                    tally, injected, wall = bench.run(fault, args.n)
                    print(
                        f"{controller:<22}{fault:<20}{tally.lifecycles:>10}{injected:>8}"
                        f"{tally.finished:>9}{tally.events_lost:>6}{tally.events_duplicated:>5}"
                        f"{tally.conditions_lost:>6}{wall:>8.1f}",
                        flush=True,
                    )
                    for violation in tally.violations[: args.show]:
                        print(f"    {violation}", flush=True)
            finally:
                left = bench.stop()
                print(f"{controller:<22}stack processes left after stop: {left}", flush=True)


if __name__ == "__main__":
    main()
