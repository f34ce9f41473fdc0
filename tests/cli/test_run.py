"""`wetest run` end to end: DataStorage unreachable (the seed's category 1), interrupted runs."""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "plugin"))
import interrupting as hanging

from wetest import eventually
from wetest import expectations as ex
from wetest.cli import run as run_module
from wetest.stack import state


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_datastorage_fails_fast_and_is_triaged_as_datastorage_unavailable(
    tmp_path: Path,
) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    env = dict(os.environ, WETEST_DATASTORAGE_URL=url)
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "wetest", "run", "-n", "0", "--results-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert time.monotonic() - started < 60  # not the minutes of a run that goes on regardless
    assert result.returncode == 3
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(
        f"wetest: infrastructure missing: Data Storage REQUIRED but not available at {url}"
    )
    assert "Run: wetest up" in last
    triage = (tmp_path / "triage.md").read_text()
    assert ": DataStorage was not available to the controller or the harness" in triage
    assert "**Kind:** environment/infrastructure (expected, not a code defect)" in triage
    conformance = (tmp_path / "conformance.yaml").read_text()
    assert "session stopped" in conformance
    records = [json.loads(x) for x in (tmp_path / "results.jsonl").read_text().splitlines()]
    failed = [r for r in records if r["outcome"] != "passed"]
    assert {r["cause"] for r in failed} == {"missing infrastructure"}
    assert {r["root_cause"]["cause"] for r in failed} == {"DataStorage unavailable"}


def hanging_run(tmp_path: Path, sigint_ignored: bool = False) -> tuple[hanging.Run, Path]:
    """``wetest run -n 2`` on suites whose tests hang until stopped; the run, its results."""
    suites = tmp_path / "suites"
    suites.mkdir()
    hanging.write_hanging(suites, stack=True)
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "wetest", "run", "-n", "2", "--suites", str(suites)]
    run = hanging.Run([*argv, "--results-dir", str(out)], tmp_path, sigint_ignored=sigint_ignored)
    return run, out


@pytest.mark.parametrize(
    ("sig", "code", "recorded"),
    [
        (signal.SIGINT, 130, "SIGINT"),
        (signal.SIGTERM, 143, "SIGTERM"),
        (signal.SIGKILL, -signal.SIGKILL, "SIGHUP"),  # pytest's parent-death signal
    ],
)
def test_signal_to_the_runner_alone_stops_the_run_and_keeps_results(
    tmp_path: Path, sig: signal.Signals, code: int, recorded: str
) -> None:
    """A CI cancel (SIGINT/SIGTERM to `wetest run` only) or a killed runner: all stops in 5 s."""
    # SIGINT inherited as ignored, as from a CI runner's shell: the reported "kill -INT ignored"
    run, out = hanging_run(tmp_path, sigint_ignored=sig == signal.SIGINT)
    pids = run.await_running(3)
    exit_code, _ = run.interrupt(sig, pids)
    assert exit_code == code
    hanging.assert_interrupted(out, signal.Signals[recorded], cut_off=2)
    assert (out / "triage.md").is_file()


def test_sigterm_while_the_stack_starts_stops_at_once(tmp_path: Path) -> None:
    """A cancel in the first seconds (the stack still starting) must not wait for the start."""
    run, out = hanging_run(tmp_path)
    record = eventually(
        lambda: state.read(out / "stack"),
        ex.satisfies(lambda r: r is not None and r.status == "starting", "the stack starting"),
        description="the supervisor has recorded its start",
        timeout=60,
        interval=0.02,
    )
    assert isinstance(record, state.StackState)
    exit_code, _ = run.interrupt(signal.SIGTERM, {record.supervisor_pid})
    assert exit_code == 143


def test_named_tests_of_the_suites_replace_the_whole_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``-- failure/test_x.py`` runs that file only; options and their values select nothing."""
    suites = tmp_path / "suites"
    (suites / "failure").mkdir(parents=True)
    (suites / "failure" / "test_x.py").write_text("def test_a(): pass\n")
    monkeypatch.chdir(tmp_path)
    args = argparse.Namespace(suites=str(suites), numprocesses="0")
    monkeypatch.setattr(run_module.common, "options_of", lambda _args: {})

    whole = run_module.pytest_command(args, tmp_path / "r", ["-k", "failure"])
    narrowed = run_module.pytest_command(
        args, tmp_path / "r", ["failure/test_x.py::test_a", "-k", "suites"]
    )
    from_cwd = run_module.pytest_command(args, tmp_path / "r", ["suites/failure"])

    assert str(suites) in whole
    assert whole[-2:] == ["-k", "failure"]
    assert str(suites) not in narrowed
    assert f"{suites.resolve()}/failure/test_x.py::test_a" in narrowed
    assert narrowed[-2:] == ["-k", "suites"]  # an option's value that names a folder is kept
    assert str(suites) not in from_cwd
    assert str((suites / "failure").resolve()) in from_cwd


@pytest.mark.parametrize(
    ("workers", "fork_server", "started"),
    [("12", "true", True), ("0", "true", False), ("12", "false", False)],
)
def test_the_workers_fork_server_starts_before_pytest_only_for_forked_workers(
    workers: str, fork_server: str, started: bool
) -> None:
    from wetest.config import settings
    from wetest.stack.forkserver import workers as xdist_workers

    s = settings.load({"fork_server": fork_server})
    env: dict[str, str] = {}
    with run_module._workers_fork_server(argparse.Namespace(numprocesses=workers), s, env):
        socket_path = env.get(xdist_workers.SOCKET_ENV)
        assert (socket_path is not None) == started
        if socket_path:  # bound by the server, which the CLI does not wait for
            eventually(Path(socket_path).is_socket, ex.satisfies(bool, "a socket"), timeout=30)
    if socket_path:
        assert not Path(socket_path).parent.exists()  # stopped after pytest: folder removed


def test_pytest_killed_under_the_runner_is_said_and_nothing_outlives_the_run(
    tmp_path: Path,
) -> None:
    """A dying dependency (pytest SIGKILLed, as by the OOM killer): the runner says so, exits 1,
    and stops what it started (the stack, the workers' fork server and its workers)."""
    run, out = hanging_run(tmp_path)
    pids = run.await_running(2) | hanging.descendants(run.proc.pid)
    pytest_pid = next(
        pid
        for pid in hanging.descendants(run.proc.pid)
        if b"-m\0pytest\0" in Path(f"/proc/{pid}/cmdline").read_bytes()
    )
    os.kill(pytest_pid, signal.SIGKILL)
    assert run.proc.wait(timeout=60) == 1
    hanging.await_gone(pids)
    assert run.proc.stdout is not None
    said = run.proc.stdout.read().decode()
    run.proc.stdout.close()
    assert "wetest: pytest was killed by SIGKILL before the run ended" in said, said[-3000:]
    assert f"what it wrote is in {out}" in said


@pytest.mark.parametrize(
    ("given", "workers"),
    [([], str(len(os.sched_getaffinity(0)))), (["-n", "auto"], None), (["-n", "0"], "0")],
)
def test_workers_default_to_one_per_usable_cpu(given: list[str], workers: str | None) -> None:
    from wetest import cli

    args = cli.parser(["run", *given]).parse_args(["run", *given])
    assert args.numprocesses == (workers or str(len(os.sched_getaffinity(0))))


def test_a_worker_count_that_is_not_a_number_is_refused_naming_the_choices(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from wetest import cli

    with pytest.raises(SystemExit):
        cli.parser(["run", "-n", "many"]).parse_args(["run", "-n", "many"])
    assert "'many' is not a number of workers. Give a whole number" in capsys.readouterr().err
