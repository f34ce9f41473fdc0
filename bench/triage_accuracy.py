"""Triage accuracy: does the report's first group name the root cause we know we caused?

Each scenario breaks one thing on purpose and runs ``wetest run`` (own stack) against the
reference controller as a ``command:`` target, the way ``bench/mutant_kill_table.py`` does:

- ``mutant:NAME``: the reference with one seeded bug; the expected cause is the mutant
  class's ``expected_root_cause`` (a mutant without one fails its row);
- ``datastorage-killed``, ``controller-killed``, ``apiserver-killed``, ``etcd-killed``: that
  process is SIGKILLed mid-run (after a few tests have finished);
- ``sigterm``: SIGTERM to the ``wetest run`` process alone, mid-run.

The named cause is the first group's, computed with the report's own analysis
(``wetest.report.analysis``). ``--quick`` runs each mutant on its known killers only
(``killing.SELECTIONS``). Prints one row per scenario with its wall time, then
"accuracy: N/M (P %)"; every run's results directory is kept, and ``--rescore --keep DIR``
scores kept runs again without running them (e.g. after the analysis changed).

    .venv/bin/python bench/triage_accuracy.py [--scenario NAME ...] [--mutant NAME ...]
        [-k EXPR] [--quick] [-n 2] [--keep DIR] [--json] [--rescore]

Exit code 1 unless every scenario names its expected cause.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "mutants"))
from killing import REFERENCE, SELECTIONS, Run, Selection, first_group_cause, run_suites

from wetest.reference.controller.mutants import ALL as MUTANTS
from wetest.stack import processes, state

KILL_AFTER_TESTS = 3
"""Kill mid-run once this many tests have finished (allure writes one file per test)."""
KILL_AT_THE_LATEST = 90.0
"""...or this many seconds after the stack is ready, whichever comes first."""

COMPONENTS = {
    "datastorage-killed": ("datastorage", "DataStorage unavailable"),
    "controller-killed": ("controller", "controller crashed"),
    "apiserver-killed": ("kube-apiserver", "stack component died"),
    "etcd-killed": ("etcd", "stack component died"),
}
DEFAULT_EXTRA = ("datastorage-killed", "controller-killed", "apiserver-killed", "sigterm")


@dataclass
class Row:
    """One scenario's outcome: what the first group named against what we caused."""

    scenario: str
    expected: str
    named: str
    correct: bool
    note: str
    seconds: float
    results_dir: str
    failed_tests: int


def say(message: str) -> None:
    print(f"[triage-accuracy] {message}", file=sys.stderr, flush=True)


def main() -> int:
    args = parse()
    names = scenarios(args)
    if args.rescore and not args.keep:
        sys.exit("--rescore needs --keep DIR, the folder of an earlier run of this bench.")
    keep = Path(args.keep or tempfile.mkdtemp(prefix="wetest-accuracy-")).resolve()
    keep.mkdir(parents=True, exist_ok=True)
    say(f"{len(names)} scenario(s); results kept in {keep}")
    if args.rescore:
        rows = [score(name, keep) for name in names]
    else:
        rows = [run_scenario(name, selection_of(name, args), keep, args.workers) for name in names]
    correct = sum(r.correct for r in rows)
    if args.json:
        print(json.dumps({"rows": [asdict(r) for r in rows], "correct": correct}, indent=2))
    else:
        print(format_rows(rows))
    return 0 if rows and correct == len(rows) else 1


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scenario", action="append", default=[], help="only these (repeatable)")
    p.add_argument("--mutant", action="append", default=[], help="mutant:NAME (repeatable)")
    p.add_argument("-k", dest="keyword", default="", help="pytest -k over the suites")
    p.add_argument("-n", dest="workers", type=int, default=2, help="xdist workers per run")
    p.add_argument(
        "--quick", action="store_true", help="each mutant on its known killers only (SELECTIONS)"
    )
    p.add_argument("--keep", default="", help="keep each run's results directory here")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.add_argument(
        "--rescore",
        action="store_true",
        help="score the runs kept in --keep again, without running (after the analysis changed)",
    )
    return p.parse_args()


def scenarios(args: argparse.Namespace) -> list[str]:
    """The chosen scenario names (every mutant and every kill by default), checked."""
    chosen = [*args.scenario, *(f"mutant:{m}" for m in args.mutant)]
    names = chosen or [*(f"mutant:{m}" for m in sorted(MUTANTS)), *DEFAULT_EXTRA]
    valid = {*(f"mutant:{m}" for m in MUTANTS), *COMPONENTS, "sigterm"}
    unknown = [n for n in names if n not in valid]
    if unknown:
        sys.exit(f"Unknown scenario(s) {', '.join(unknown)}. Valid: {', '.join(sorted(valid))}.")
    return names


def selection_of(name: str, args: argparse.Namespace) -> Selection:
    """-k for every scenario; with --quick a mutant runs on its known killers only."""
    mutant = name.split(":", 1)[1] if name.startswith("mutant:") else ""
    if args.quick and mutant in SELECTIONS:
        return SELECTIONS[mutant]
    return Selection(args.keyword)


def expected_cause(name: str) -> str:
    """What the first group must name; '' when a mutant declares nothing."""
    if name.startswith("mutant:"):
        return str(getattr(MUTANTS[name.split(":", 1)[1]], "expected_root_cause", "") or "")
    if name == "sigterm":
        return "run interrupted"
    return COMPONENTS[name][1]


def run_scenario(name: str, selection: Selection, keep: Path, workers: int) -> Row:
    """Run one scenario into keep/<name>, record what it did, then score it."""
    results_dir = keep / name.replace(":", "-")
    say(f"{name}: running ({selection.describe()}, -n {workers}) into {results_dir}")
    started = time.monotonic()
    if name.startswith("mutant:"):
        run = run_suites(name.split(":", 1)[1], selection, results_dir, workers)
        note = ""
    else:
        run, note = run_with_kill(name, selection, results_dir, workers)
    done = {"seconds": time.monotonic() - started, "note": note, "failed": len(run.failed())}
    (keep / f"{results_dir.name}.scenario.json").write_text(json.dumps(done))
    return score(name, keep)


def score(name: str, keep: Path) -> Row:
    """Compare the first group's cause of a kept run with the expected one."""
    results_dir = keep / name.replace(":", "-")
    done = json.loads((keep / f"{results_dir.name}.scenario.json").read_text())
    expected = expected_cause(name)
    named = first_group_cause(results_dir) or "(no failed test)"
    notes = [n for n in (done["note"],) if n]
    if not expected:
        notes.insert(0, "no expected cause declared")
    correct = bool(expected) and named == expected
    say(f"{name}: first group names {named!r} (expected {expected!r})")
    return Row(
        name,
        expected,
        named,
        correct,
        "; ".join(notes),
        float(done["seconds"]),
        str(results_dir),
        int(done["failed"]),
    )


def run_with_kill(
    name: str, selection: Selection, results_dir: Path, workers: int
) -> tuple[Run, str]:
    """Run the suites in a thread; once a few tests are done, kill the scenario's victim."""
    done: list[Run] = []
    thread = threading.Thread(
        target=lambda: done.append(run_suites(REFERENCE, selection, results_dir, workers)),
        daemon=True,
    )
    thread.start()
    note = kill_mid_run(name, results_dir, thread.is_alive)
    thread.join()
    if not done:
        raise SystemExit(f"The run of scenario {name} crashed; see {results_dir}.log.")
    return done[0], note


def kill_mid_run(name: str, results_dir: Path, running: Callable[[], bool]) -> str:
    """Wait for the stack and a few finished tests, then kill; return what was killed."""
    record = await_mid_run(results_dir / "stack", results_dir / "allure-results", running)
    if record is None:
        return "the run ended before the kill"
    if name == "sigterm":
        runner = parent_of(record.supervisor_pid)
        os.kill(runner, signal.SIGTERM)
        return f"SIGTERM to wetest run (pid {runner})"
    component = COMPONENTS[name][0]
    controller = record.endpoints.controller
    pid = (
        (controller.pid if controller else 0)
        if component == "controller"
        else (record.endpoints.pids.get(component, 0))
    )
    if not pid:
        return f"no pid recorded for {component} (recorded: {sorted(record.endpoints.pids)})"
    processes.signal_group(pid, signal.SIGKILL)
    return f"SIGKILL to {component} (pid {pid})"


def await_mid_run(
    stack_dir: Path, allure: Path, running: Callable[[], bool]
) -> state.StackState | None:
    """The ready stack's record once KILL_AFTER_TESTS tests are done (or time is up)."""
    ready_at = 0.0
    while running():
        record = state.read(stack_dir)
        if record is not None and record.status == "ready":
            ready_at = ready_at or time.monotonic()
            finished = len(list(allure.glob("*-result.json"))) if allure.is_dir() else 0
            if finished >= KILL_AFTER_TESTS or time.monotonic() - ready_at > KILL_AT_THE_LATEST:
                return record
        time.sleep(0.1)  # polling files another process writes; no event to wait on
    return None


def parent_of(pid: int) -> int:
    """The parent pid from /proc (the supervisor's parent is the `wetest run` process)."""
    return int(processes.stat_fields(pid)[1])


def format_rows(rows: list[Row]) -> str:
    width = max([len(r.scenario) for r in rows] + [8])
    lines = [f"{'scenario':<{width}}  {'ok':<4} {'time':>5}  {'failed':>6}  named / expected"]
    for r in rows:
        mark = "ok" if r.correct else "FAIL"
        lines.append(
            f"{r.scenario:<{width}}  {mark:<4} {r.seconds:>4.0f}s  {r.failed_tests:>6}  "
            f"{r.named!r} / {r.expected or '(none)'!r}" + (f"  [{r.note}]" if r.note else "")
        )
    correct = sum(r.correct for r in rows)
    percent = 100.0 * correct / len(rows) if rows else 0.0
    lines += ["", f"accuracy: {correct}/{len(rows)} ({percent:.0f} %)"]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
