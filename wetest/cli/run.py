"""`wetest run`: the conformance suites against a target, then the triage report.

pytest runs in a child process (so a crash, an interrupt or module state of one run never
leaks into the next), writing JUnit XML, Allure results, results.jsonl, run.json and the triage
report into one run directory. ``--rerun-failures`` re-runs each failed test alone and labels
it flaky or deterministic. Exit code 0 only when every selected test passed.

SIGINT, SIGTERM or SIGHUP sent to this process alone (a CI runner's cancel) stop the run
within 5 s: the signal is passed on to pytest, which records the tests that finished and the
ones cut off (run.json ``interrupted``), the stack stops meanwhile, the report is built, and
the exit code is 130/143/129. pytest dies with this process even when it is SIGKILLed
(``wetest.supervision.interruption``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from wetest import bundled, progress
from wetest.cli import common
from wetest.config import names
from wetest.config.settings import Settings
from wetest.stack import processes
from wetest.supervision import interruption, leftovers, spawning

PROFILES = ("core", "conditions", "audit", "extended", "datastorage")
PLUGINS = ("xdist.plugin", "wetest.plugin", "allure_pytest.plugin")
"""What a conformance run loads, with plugin autoloading off: whatever else is installed in the
environment (hypothesis, schemathesis, a team's own plugins) can neither change the run nor
slow down the start of each xdist worker. Add one with ``wetest run -- -p NAME``."""


def add_parser(
    subs: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    sub = subs.add_parser("run", help="Run the conformance suites and write the triage report")
    sub.add_argument(
        "-n",
        "--numprocesses",
        default="auto",
        type=_workers,
        help=(
            "pytest-xdist workers (0 = in one process); default auto: one per CPU this process "
            "may use. The tests mostly wait, so each process keeps several in flight "
            "(--wetest-in-flight, 12 in all by default): 132 tests on 2 CPUs take 28-32 s at "
            "-n 0, 2 or 4"
        ),
    )
    sub.add_argument(
        "--rerun-failures",
        action="store_true",
        help="Re-run each failed test alone and label it flaky or deterministic",
    )
    sub.add_argument("--suites", default="", help="Suites folder (default: the bundled suites)")
    sub.add_argument(
        "pytest_args",
        nargs="*",
        help="Extra pytest arguments (after --); paths or node IDs of the suites run only those",
    )
    return sub


def _workers(value: str) -> str:
    """``auto`` is one worker per CPU available to this process; else a count as given."""
    if value == "auto":
        return str(len(os.sched_getaffinity(0)))
    if not value.isdigit():
        raise argparse.ArgumentTypeError(
            f"'{value}' is not a number of workers. Give a whole number (0 runs in one "
            "process) or auto."
        )
    return value


def pytest_env(cache_dir: Path) -> dict[str, str]:
    """The environment of the suites' pytest: only the plugins it needs (see PLUGINS).

    Its bytecode and rewritten suite modules are cached (``processes.python_environment``).
    """
    return {**processes.python_environment(cache_dir), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}


VALUE_OPTIONS = frozenset(
    {
        "-k",
        "-m",
        "-p",
        "-c",
        "-o",
        "-n",
        "-W",
        "-r",
        "--deselect",
        "--ignore",
        "--ignore-glob",
        "--dist",
        "--maxfail",
        "--durations",
        "--tb",
        "--basetemp",
        "--confcutdir",
        "--rootdir",
    }
)
"""pytest options whose value is the next argument: that value never selects tests."""


def selection(arg: str, suites: Path) -> str | None:
    """The absolute form of a pytest argument that names tests of the suites, else None.

    ``wetest run -- failure/test_create_error.py`` (relative to the suites folder),
    ``-- suites/failure`` (relative to the working directory) and node IDs
    (``path::test[param]``) select those tests only; an option or its value never does.
    """
    if arg.startswith("-"):
        return None
    path, sep, node = arg.partition("::")
    root = suites.resolve()
    for candidate in (Path(path), suites / path):
        if candidate.exists() and candidate.resolve().is_relative_to(root):
            return f"{candidate.resolve()}{sep}{node}"
    return None


def pytest_command(args: argparse.Namespace, run_dir: Path, extra: list[str]) -> list[str]:
    """The pytest command line: suites, settings as --wetest-* options, report outputs.

    The whole suites folder runs unless ``extra`` names some of its tests (``selection``):
    given both, pytest would collect the folder and drop the narrower argument as a duplicate.
    """
    suites = Path(args.suites) if args.suites else bundled.path("suites")
    chosen = [
        None if previous in VALUE_OPTIONS else selection(arg, suites)
        for previous, arg in zip(["", *extra], extra, strict=False)
    ]
    extra = [picked or arg for picked, arg in zip(chosen, extra, strict=True)]
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        *([] if any(chosen) else [str(suites)]),
        *(arg for plugin in PLUGINS for arg in ("-p", plugin)),
        "-p",
        "no:cacheprovider",
        f"--rootdir={suites}",
        *(["-c", str(suites / "pytest.ini")] if (suites / "pytest.ini").is_file() else []),
        f"--junitxml={run_dir / 'junit.xml'}",
        f"--alluredir={run_dir / 'allure-results'}",
        f"--wetest-results-dir={run_dir}",
    ]
    if args.numprocesses not in ("0", ""):
        cmd += ["-n", str(args.numprocesses), "--dist", "loadgroup"]
    for key, value in common.options_of(args).items():
        if value not in (None, "") and key != "results_dir":
            cmd.append(f"{names.BY_KEY[key].option}={value}")
    return cmd + extra


def run(args: argparse.Namespace) -> int:
    s = common.load(args)
    _check_profiles(s.profile)
    run_dir = s.results_dir.resolve()
    _fresh(run_dir)
    guard = interruption.Guard()
    with interruption.handling(guard.handle):
        code = _run_with_stack(args, s, run_dir, guard)
        session_error = _report(run_dir, rebuild=guard.received is None)
    if guard.received is not None:
        progress.say(
            f"the run was interrupted by {guard.received.name}; "
            f"the results written so far are in {run_dir}"
        )
        return interruption.exit_code(guard.received.signum)
    if session_error and "infrastructure missing" in session_error:
        return 3  # the CLI's code for missing infrastructure, whatever pytest said
    return 0 if code == 0 else 1


def _run_with_stack(
    args: argparse.Namespace, s: Settings, run_dir: Path, guard: interruption.Guard
) -> int:
    """Run pytest against the given stack, or against our own one, stopped when pytest ends.

    On a signal our stack starts stopping at once, while pytest records its results: the two
    overlap, which keeps an interrupted run within its 5 s.
    """
    env = pytest_env(s.cache_dir)
    with _workers_fork_server(args, s, env):
        if s.stack_dir:
            return _run_pytest(args, s, run_dir, Path(s.stack_dir).expanduser(), guard, env)
        stack_dir = run_dir / "stack"
        supervisor = _start_stack(args, stack_dir)
        guard.on_signal.append(lambda: processes.signal_group(supervisor.pid, signal.SIGTERM))
        try:
            return _run_pytest(args, s, run_dir, stack_dir, guard, env)
        finally:
            left = leftovers.stop(stack_dir)
            _reap(supervisor)
            if leftovers.record(run_dir, left) and left:
                progress.say(leftovers.describe(left))


@contextlib.contextmanager
def _workers_fork_server(
    args: argparse.Namespace, s: Settings, env: dict[str, str]
) -> Iterator[None]:
    """Start the xdist workers' fork server first, for pytest to find in ``env``.

    Its imports then run beside pytest's start (and the stack's), not after pytest's
    configuration, where ``wetest.plugin.forked_workers`` would otherwise start it: on a stack
    ``wetest up`` started, that was the wait for the first worker (``workers``).
    """
    from wetest.stack.forkserver import client, workers

    if args.numprocesses in ("0", "") or not s.fork_server or not client.supported():
        yield
        return

    server = workers.start(env)
    env[workers.SOCKET_ENV] = str(server.path)
    try:
        yield
    finally:
        server.stop()  # after pytest: its workers have exited by then


def _run_pytest(
    args: argparse.Namespace,
    s: Settings,
    run_dir: Path,
    stack_dir: Path,
    guard: interruption.Guard,
    env: dict[str, str],
) -> int:
    """Run pytest in a child that dies with us; SIGINT/SIGTERM reach it through the guard."""
    extra = [f"--wetest-stack-dir={stack_dir}", *args.pytest_args]
    cmd = pytest_command(args, run_dir, extra)
    progress.say(f"running the suites against target {s.target} into {run_dir}")
    code = guard.call(cmd, env)
    if code < 0 and guard.received is None:  # not our stop: something killed pytest (OOM...)
        print(
            f"wetest: pytest was killed by {signal.Signals(-code).name} before the run ended; "
            f"its workers and the stack are stopped, and what it wrote is in {run_dir}. Look "
            "for the killer in the system log (dmesg for the OOM killer), then run again.",
            file=sys.stderr,
        )
        return 1
    if args.rerun_failures and code == 1:
        rerun_failures(args, run_dir, stack_dir, guard, env)
    return code


def _start_stack(args: argparse.Namespace, stack_dir: Path) -> subprocess.Popen[bytes]:
    """Start the stack while pytest starts its workers and collects (they overlap)."""
    options = {k: v for k, v in common.options_of(args).items() if k != "stack_dir"}
    proc = spawning.spawn(stack_dir, options, owner_pid=os.getpid())
    spawning.wait_recorded(stack_dir, proc)
    return proc


def _reap(supervisor: subprocess.Popen[bytes]) -> None:
    """Wait until the supervisor has stopped every component, so none outlives the run."""
    try:
        supervisor.wait(timeout=30)
    except subprocess.TimeoutExpired:
        processes.signal_group(supervisor.pid, signal.SIGKILL)
        supervisor.wait()


def _check_profiles(profiles: tuple[str, ...]) -> None:
    unknown = [p for p in profiles if p not in PROFILES]
    if unknown:
        from wetest.errors import ConfigError

        raise ConfigError(f"Unknown profile(s) {', '.join(unknown)}. Valid: {', '.join(PROFILES)}.")


def _fresh(run_dir: Path) -> None:
    """Start from an empty run directory so no file of an older run is mistaken for this one."""
    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)


def rerun_failures(
    args: argparse.Namespace,
    run_dir: Path,
    stack_dir: Path,
    guard: interruption.Guard,
    env: dict[str, str],
) -> None:
    """Run each failed test alone (own stack) and record flaky/deterministic in results.jsonl."""
    path = run_dir / "results.jsonl"
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    for rec in records:
        if rec["outcome"] not in ("failed", "error"):
            continue
        progress.say(f"re-running {rec['nodeid']} alone")
        again = run_dir / "reruns" / str(abs(hash(rec["nodeid"])))
        base = Path(args.suites) if args.suites else bundled.path("suites")
        args_one = argparse.Namespace(**{**vars(args), "numprocesses": "0"})
        cmd = pytest_command(
            args_one, again, [f"--wetest-stack-dir={stack_dir}", str(base / rec["nodeid"])]
        )
        cmd = [c for c in cmd if not c.startswith(("--junitxml", "--alluredir"))]
        if guard.received is not None:
            break  # interrupted: keep the records as they are
        outcome = "passed" if guard.call(cmd, env) == 0 else "failed"
        rec["rerun"] = {
            "outcome": outcome,
            "label": "flaky" if outcome == "passed" else "deterministic",
        }
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def _report(run_dir: Path, rebuild: bool = True) -> str | None:
    """Build the reports; print their paths and the session's one-line error, if any.

    ``rebuild=False`` (an interrupted run, short of time) keeps the report pytest built.
    """
    if not (run_dir / "results.jsonl").exists() and not (run_dir / "junit.xml").exists():
        progress.say("no results were written: pytest ended before it wrote any")
        return None
    from wetest.report import build  # after the run: its import would delay pytest's start

    built = [run_dir / "triage.md"] if not rebuild and (run_dir / "triage.md").exists() else []
    for written in built or build.build(run_dir):
        print(written)
    session_error = (
        json.loads((run_dir / "run.json").read_text()).get("session_error")
        if (run_dir / "run.json").exists()
        else None
    )
    if session_error:
        print(session_error, file=sys.stderr)
    return str(session_error) if session_error else None
