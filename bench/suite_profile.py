"""Where a full conformance run's time goes: per test waiting vs working, and the critical path.

Runs ``wetest run`` once (or reads a kept run with ``--run-dir``) and splits each test's wall
time (its setup start to its teardown end) from what the plugin records in results.jsonl:

- ``lock``: setup waiting for the stack's locks (a disruptive test waits for every test in
  flight; an ordinary one for a disruptive test holding the stack), ``timing.lock``;
- ``fixtures``: the rest of setup and teardown (namespace, clients, evidence), ``phases``;
- waits inside ``eventually``/``consistently`` (``timing.waits``), by what they waited on:
  ``controller`` (a WorkflowExecution's status: the controller's reconcile, which includes the
  stand-in's PipelineRun progress the status mirrors), ``pipelinerun`` (a PipelineRun the
  controller creates or deletes), ``polled`` (DataStorage audit queries, Events, metrics),
  ``held`` (``consistently``: a deliberate window in which nothing may change), and
  ``cooldown`` (every wait of a ``we_long`` test, which waits out the controller's cooldown);
- ``working``: the call minus its waits (API writes, reads, assertions, restarts).

The critical path starts at the test that finished last and walks back: through the test it
waited for when its lock wait was long (the last one to release the stack), else through the
test before it on its worker, down to the first test; before it is the stack start, after it
the stack stop and report. The machine's load average is printed beside the numbers: on a
shared machine they are only comparable within one run.

    .venv/bin/python bench/suite_profile.py [-n 2] [--keep DIR] [--run-dir DIR] [--top 15]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CATEGORIES = ("lock", "fixtures", "controller", "pipelinerun", "polled", "held", "cooldown")
LOCK_PATH = 0.5
"""A lock wait longer than this (s) puts the test it waited for on the critical path."""


@dataclass
class Test:
    nodeid: str
    worker: str
    start: float
    stop: float
    outcome: str
    marks: list[str]
    split: dict[str, float] = field(default_factory=dict)

    @property
    def wall(self) -> float:
        return self.stop - self.start

    @property
    def working(self) -> float:
        return max(0.0, self.wall - sum(self.split.values()))

    @property
    def short(self) -> str:
        return self.nodeid.rsplit("/", 1)[-1]


def _instant(text: str) -> float:
    return dt.datetime.fromisoformat(text).timestamp()


def _wait_category(key: str, marks: list[str]) -> str:
    wait, _, subject = key.partition(" ")
    if "we_long" in marks:
        return "cooldown"
    if wait == "consistently":
        return "held"
    if subject == "workflowexecutions":
        return "controller"
    if subject == "pipelineruns":
        return "pipelinerun"
    return "polled"


def load_tests(results: Path) -> list[Test]:
    tests = []
    for line in results.read_text().splitlines():
        rec: dict[str, Any] = json.loads(line)
        if not rec.get("stop"):
            continue
        timing: dict[str, Any] = rec.get("timing") or {}
        phases: dict[str, float] = rec.get("phases") or {}
        marks = list(timing.get("marks") or [])
        lock = float(timing.get("lock") or 0.0)
        split = dict.fromkeys(CATEGORIES, 0.0)
        split["lock"] = lock
        split["fixtures"] = max(0.0, phases.get("setup", 0.0) - lock) + phases.get("teardown", 0.0)
        for key, seconds in (timing.get("waits") or {}).items():
            split[_wait_category(key, marks)] += float(seconds)
        tests.append(
            Test(
                rec["nodeid"],
                rec.get("worker", "master"),
                _instant(rec["start"]),
                _instant(rec["stop"]),
                rec["outcome"],
                marks,
                split,
            )
        )
    return sorted(tests, key=lambda t: t.start)


def predecessor(test: Test, tests: list[Test]) -> tuple[Test | None, str]:
    """The test whose end let this one start: the lock's last holder, else its worker's previous."""
    lock = test.split["lock"]
    if lock > LOCK_PATH:
        acquired = test.start + lock
        holders = [
            u
            for u in tests
            if u is not test and u.start + u.split["lock"] < acquired <= u.stop + 1.0
        ]
        if holders:  # the one that released last, just before this test got the lock
            return min(holders, key=lambda u: abs(u.stop - acquired)), "lock"
    before = [u for u in tests if u.worker == test.worker and u.stop <= test.start + 0.05]
    return (max(before, key=lambda u: u.stop), "worker") if before else (None, "")


def critical_path(tests: list[Test]) -> list[tuple[Test, str]]:
    path: list[tuple[Test, str]] = []
    current: Test | None = max(tests, key=lambda t: t.stop)
    via = "last to finish"
    seen: set[str] = set()
    while current is not None and current.nodeid not in seen:
        seen.add(current.nodeid)
        path.append((current, via))
        current, via = predecessor(current, tests)
    return path[::-1]


def _split_text(split: dict[str, float], working: float) -> str:
    parts = [f"{k} {v:.1f}" for k, v in split.items() if v >= 0.05]
    return ", ".join([*parts, f"working {working:.1f}"])


def report(run_dir: Path, top: int, wall: float | None, loads: list[float]) -> dict[str, Any]:
    tests = load_tests(run_dir / "results.jsonl")
    run = json.loads((run_dir / "run.json").read_text())
    started, finished = _instant(run["started"]), _instant(run["finished"])
    first = min(t.start for t in tests)
    last = max(t.stop for t in tests)
    totals = {k: sum(t.split[k] for t in tests) for k in CATEGORIES}
    working = sum(t.working for t in tests)
    busy = sum(t.wall for t in tests)
    load = ", ".join(f"{x:.1f}" for x in loads)
    print(f"run {run_dir}: {len(tests)} tests, {os.cpu_count()} CPUs, load average {load}")
    if wall is not None:
        print(f"  wetest run wall time        {wall:6.1f}s")
        print(f"  before the session starts   {wall - (finished - started):6.1f}s  (CLI, pytest)")
    print(f"  session start → first test  {first - started:6.1f}s  (stack start, workers)")
    print(f"  first test → last test end  {last - first:6.1f}s")
    print(f"  last test end → session end {finished - last:6.1f}s  (results, report)")
    print(f"  sum of test wall times      {busy:6.1f}s, of which:")
    for key in CATEGORIES:
        print(f"    {key:12} {totals[key]:7.1f}s  {100 * totals[key] / busy:5.1f} %")
    print(f"    {'working':12} {working:7.1f}s  {100 * working / busy:5.1f} %")
    print(f"longest {top} tests (wall: split):")
    for t in sorted(tests, key=lambda t: -t.wall)[:top]:
        marks = f" [{','.join(t.marks)}]" if t.marks else ""
        print(f"  {t.wall:5.1f}s {t.short}{marks}\n         {_split_text(t.split, t.working)}")
    path = critical_path(tests)
    print("critical path (what the last test to finish waited for), from the session start:")
    print(f"  {first - started:5.1f}s  stack start and worker start-up")
    for t, via in path:
        marks = f" [{','.join(t.marks)}]" if t.marks else ""
        print(
            f"  {t.wall:5.1f}s  +{t.start - started:5.1f} {t.worker:4} {t.short}{marks} ({via})"
            f"\n          {_split_text(t.split, t.working)}"
        )
    print(f"  {finished - last:5.1f}s  stack stop, results and report")
    disruptive = [t for t in tests if "we_disruptive" in t.marks]
    if disruptive:
        tail_from = min(t.start for t in disruptive)
        print(
            f"disruptive tail: {len(disruptive)} tests from +{tail_from - started:.1f}s to the "
            f"last test end, {last - tail_from:.1f}s "
            f"(their lock waits {sum(t.split['lock'] for t in disruptive):.1f}s)"
        )
    return {
        "tests": len(tests),
        "load": loads,
        "wall": wall,
        "before_session": None if wall is None else wall - (finished - started),
        "stack_start": first - started,
        "tests_span": last - first,
        "teardown": finished - last,
        "totals": {**totals, "working": working},
        "critical_path": [
            {"nodeid": t.nodeid, "via": via, "wall": t.wall, **t.split} for t, via in path
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-n", default=None, help="wetest run workers (default: its own default)")
    parser.add_argument("--run-dir", type=Path, help="profile a kept run instead of running one")
    parser.add_argument("--keep", type=Path, help="results directory for the run")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--json", type=Path, help="also write the profile as JSON here")
    parser.add_argument("wetest_args", nargs="*", help="passed to wetest run after --")
    args = parser.parse_args()
    loads = [os.getloadavg()[0]]
    wall = None
    run_dir = args.run_dir
    if run_dir is None:
        run_dir = args.keep or Path(tempfile.mkdtemp(prefix="wetest-profile-"))
        workers = ["-n", args.n] if args.n is not None else []
        started = time.monotonic()
        code = subprocess.call(
            [sys.executable, "-m", "wetest", "run", *workers, "--results-dir", str(run_dir)]
            + (["--", *args.wetest_args] if args.wetest_args else []),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wall = time.monotonic() - started
        loads.append(os.getloadavg()[0])
        print(f"wetest run exit {code}")
    profile = report(run_dir, args.top, wall, loads)
    if args.json:
        args.json.write_text(json.dumps(profile, indent=2))


if __name__ == "__main__":
    main()
