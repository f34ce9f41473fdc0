"""The supervisor's commands run side by side by what they act on (wetest.supervision.dispatch)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from wetest.supervision import dispatch

WAIT = 10.0  # seconds a barrier or an event may take before the test fails


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ('isolated start 3 {"cooldown": "2s"}', "slot 3"),
        ("isolated stop 11", "slot 11"),
        ("isolated 3 restart-component postgres", "slot 3"),
        ("isolated x stop", dispatch.MAIN),
        ("apiserver-replica spawn iso-7", "replica iso-7"),
        ("apiserver-replica start", "replica replica"),
        ("restart-component kube-apiserver-iso-7", "replica iso-7"),
        ("restart-component kube-apiserver", dispatch.MAIN),
        ("restart-controller", dispatch.MAIN),
        ("", dispatch.MAIN),
    ],
)
def test_a_command_is_keyed_by_what_it_acts_on(line: str, key: str) -> None:
    assert dispatch.key(line) == key


def test_slot_of_names_only_isolated_slots() -> None:
    assert dispatch.slot_of("slot 4") == 4
    assert dispatch.slot_of("replica iso-4") is None
    assert dispatch.slot_of(dispatch.MAIN) is None


def test_commands_on_different_things_overlap_and_one_things_keep_their_order() -> None:
    """A slow command on one slot must not hold another slot's (the replica restart's 5 s)."""
    both_running = threading.Barrier(2, timeout=WAIT)
    order: list[str] = []

    def run(key: str, request: Path, line: str) -> None:
        if line.endswith("restart"):
            both_running.wait()  # raises BrokenBarrierError if the other never runs meanwhile
        order.append(line)

    dispatcher = dispatch.Dispatcher(run)
    dispatcher.submit(Path("a"), "isolated 1 restart")
    dispatcher.submit(Path("b"), "isolated 2 restart")
    dispatcher.submit(Path("c"), "isolated 1 after")
    assert dispatcher.drain(WAIT)
    assert order.index("isolated 1 restart") < order.index("isolated 1 after")
    assert sorted(order) == ["isolated 1 after", "isolated 1 restart", "isolated 2 restart"]
    assert dispatcher.busy() == frozenset()


def test_a_request_already_taken_is_not_run_twice_and_busy_names_its_key() -> None:
    release = threading.Event()
    runs: list[str] = []

    def run(key: str, request: Path, line: str) -> None:
        runs.append(line)
        release.wait(WAIT)

    dispatcher = dispatch.Dispatcher(run)
    dispatcher.submit(Path("a"), "isolated 5 kill-controller")
    dispatcher.submit(Path("a"), "isolated 5 kill-controller")  # seen again before its answer
    assert dispatcher.busy() == frozenset({"slot 5"})
    assert not dispatcher.drain(0.05)
    release.set()
    assert dispatcher.drain(WAIT)
    assert runs == ["isolated 5 kill-controller"]


def test_a_request_listed_before_its_answer_and_submitted_after_it_is_not_run_again() -> None:
    """The supervisor lists the unanswered requests, then submits each: a key's thread may
    answer one in between. Run again, an ``isolated start`` stopped the instance its test
    was awaiting."""
    runs: list[str] = []
    dispatcher = dispatch.Dispatcher(lambda key, request, line: runs.append(line))
    dispatcher.submit(Path("a"), "isolated start 0 {}")
    assert dispatcher.drain(WAIT)  # answered: its key's thread is done with it
    dispatcher.submit(Path("a"), "isolated start 0 {}")  # from a listing made before the answer
    assert dispatcher.drain(WAIT)
    assert runs == ["isolated start 0 {}"]


def test_a_failing_command_leaves_its_key_serving(capsys: pytest.CaptureFixture[str]) -> None:
    done = threading.Event()

    def run(key: str, request: Path, line: str) -> None:
        if line == "restart-controller boom":
            raise RuntimeError("boom")
        done.set()

    dispatcher = dispatch.Dispatcher(run)
    dispatcher.submit(Path("a"), "restart-controller boom")
    dispatcher.submit(Path("b"), "restart-controller")
    assert done.wait(WAIT)
    assert dispatcher.drain(WAIT)
    assert "RuntimeError: boom" in capsys.readouterr().err
