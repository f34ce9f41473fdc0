"""pytest with the plugin, stopped by a signal sent to the controlling process alone.

See interrupting.py for how the processes of a run are found and the measured stop times.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from interrupting import Run, assert_interrupted, pytest_argv, write_hanging


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_to_the_xdist_controller_alone_stops_workers_and_keeps_results(
    tmp_path: Path, sig: signal.Signals
) -> None:
    run = Run(pytest_argv(write_hanging(tmp_path, stack=False), tmp_path / "out", "2"), tmp_path)
    pids = run.await_running(3)
    code, _ = run.interrupt(sig, pids)
    assert code == 128 + sig
    assert_interrupted(tmp_path / "out", sig, cut_off=2)


def test_sigterm_without_xdist_interrupts_the_running_test(tmp_path: Path) -> None:
    run = Run(pytest_argv(write_hanging(tmp_path, stack=False), tmp_path / "out", "0"), tmp_path)
    pids = run.await_running(2)
    code, _ = run.interrupt(signal.SIGTERM, pids)
    assert code == 143
    assert_interrupted(tmp_path / "out", signal.SIGTERM, cut_off=1)


def test_sigterm_to_a_run_with_tests_in_flight_cuts_off_each_of_them(tmp_path: Path) -> None:
    """Three tests hang in lanes of one process: each is recorded as cut off."""
    test_file = write_hanging(tmp_path, stack=False, side_by_side=True)
    run = Run(pytest_argv(test_file, tmp_path / "out", "0"), tmp_path, in_flight=4)
    pids = run.await_running(4)
    code, _ = run.interrupt(signal.SIGTERM, pids)
    assert code == 143
    assert_interrupted(tmp_path / "out", signal.SIGTERM, cut_off=3)


def test_sigkilled_controller_takes_its_workers_along(tmp_path: Path) -> None:
    run = Run(pytest_argv(write_hanging(tmp_path, stack=False), tmp_path / "out", "2"), tmp_path)
    pids = run.await_running(3)
    code, _ = run.interrupt(signal.SIGKILL, pids)
    assert code == -signal.SIGKILL


def test_sigterm_stops_the_stack_a_worker_started(tmp_path: Path) -> None:
    run = Run(pytest_argv(write_hanging(tmp_path, stack=True), tmp_path / "out", "2"), tmp_path)
    pids = run.await_running(3)
    code, _ = run.interrupt(signal.SIGTERM, pids)
    assert code == 143
    assert_interrupted(tmp_path / "out", signal.SIGTERM, cut_off=2)


SLOW_CONTROLLER = """
import signal

def pytest_runtest_logstart(nodeid):  # in xdist's controller, never in a worker
    if nodeid.endswith("test_hang[0]") and not hasattr(pytest_runtest_logstart, "seen"):
        pytest_runtest_logstart.seen = True
        while True:  # until the signal: the workers' reports meanwhile wait in the queue
            signal.pause()
"""


def test_reports_still_queued_at_the_signal_are_kept(tmp_path: Path) -> None:
    # the controller reads worker events one at a time; held up (here, in a hook), the
    # finished test's report and the hanging tests' starts are still queued at the signal
    write_hanging(tmp_path, stack=False)
    (tmp_path / "conftest.py").write_text(
        "import os\n"
        "if not os.environ.get('PYTEST_XDIST_WORKER'):\n"
        + "".join(f"    {line}\n" for line in SLOW_CONTROLLER.strip().splitlines())
    )
    run = Run(pytest_argv(tmp_path / "test_hang.py", tmp_path / "out", "2"), tmp_path)
    pids = run.await_running(3)
    code, _ = run.interrupt(signal.SIGTERM, pids)
    assert code == 128 + signal.SIGTERM
    assert_interrupted(tmp_path / "out", signal.SIGTERM, cut_off=2)
