from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from wetest import eventually
from wetest import expectations as ex
from wetest.errors import PortInUse, StartupFailed
from wetest.stack import ports, processes


def test_early_exit_raises_startup_failed_with_the_log_tail(tmp_path: Path) -> None:
    argv = [sys.executable, "-c", "print('boom: bad flag'); raise SystemExit(7)"]
    proc = processes.ManagedProcess("demo", argv, tmp_path / "demo.log").start()
    with pytest.raises(StartupFailed) as info:
        proc.wait_ready(lambda: False, timeout=10)
    assert "demo exited with code 7" in str(info.value)
    assert "boom: bad flag" in str(info.value)


def test_stop_terminates_the_whole_process_group(tmp_path: Path) -> None:
    script = (
        "import subprocess,sys,time; subprocess.Popen([sys.executable,'-c',"
        "'import time; time.sleep(60)']); print('up', flush=True); time.sleep(60)"
    )
    proc = processes.ManagedProcess(
        "tree", [sys.executable, "-c", script], tmp_path / "tree.log"
    ).start()
    proc.wait_ready(lambda: "up" in (tmp_path / "tree.log").read_text(), timeout=10)
    proc.stop(timeout=5)
    assert not processes.pid_alive(proc.pid) or not proc.alive()


def test_a_priority_holds_for_every_thread_and_across_a_restart(tmp_path: Path) -> None:
    """Set before the program runs, so the threads it starts have it too (a Go server's)."""
    script = (
        "import os,threading\n"
        "seen = []\n"
        "t = threading.Thread(target=lambda: seen.append(os.getpriority(os.PRIO_PROCESS, 0)))\n"
        "t.start(); t.join()\n"
        "print('nice', os.getpriority(os.PRIO_PROCESS, 0), seen[0], flush=True)\n"
        "threading.Event().wait(60)\n"
    )
    log = tmp_path / "nice.log"
    base = os.getpriority(os.PRIO_PROCESS, 0)
    proc = processes.ManagedProcess("nice", [sys.executable, "-c", script], log, priority=5)
    proc.start().wait_ready(lambda: "nice" in log.read_text(), timeout=10)
    assert log.read_text().split() == ["nice", str(base + 5), str(base + 5)]
    log.write_text("")
    proc.restart()  # awaits "nice" in the log again
    assert log.read_text().split() == ["nice", str(base + 5), str(base + 5)]
    proc.stop(timeout=5)


def test_reserved_ports_are_not_handed_out_twice() -> None:
    assert len({ports.reserve() for _ in range(20)}) == 20


def test_a_taken_port_raises_port_in_use_naming_its_user(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(PortInUse) as info:
            ports.ensure_free(port, "DataStorage")
    assert f"127.0.0.1:{port} requested for DataStorage is already in use" in str(info.value)


def test_a_child_started_to_terminate_with_its_parent_gets_sigterm_when_it_dies(
    tmp_path: Path,
) -> None:
    """The parent (a bench, say) starts a child that records SIGTERM; killing the parent ends it."""
    marker = tmp_path / "got-sigterm"
    child = (
        "import pathlib,signal,sys\n"
        f"signal.signal(signal.SIGTERM, lambda *_: (pathlib.Path({str(marker)!r}).touch(), "
        "sys.exit(0)))\n"
        "print('up', flush=True)\n"
        "signal.pause()\n"
    )
    parent = (
        "import signal,subprocess,sys\n"
        "from wetest.stack import processes\n"
        f"p = subprocess.Popen([sys.executable, '-c', {child!r}], stdout=subprocess.PIPE,\n"
        "                     preexec_fn=processes.parent_death_signal(signal.SIGTERM))\n"
        "p.stdout.readline()\n"
        "print('child up', flush=True)\n"
        "signal = __import__('signal'); signal.pause()\n"
    )
    with subprocess.Popen(
        [sys.executable, "-c", parent], stdout=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "child up"
        proc.kill()
    eventually(marker.exists, ex.satisfies(bool, "the child saw SIGTERM"), timeout=10)


def test_the_parent_death_hook_loads_nothing_in_the_child(monkeypatch: pytest.MonkeyPatch) -> None:
    """prctl is looked up in the parent: the child, forked from a threaded parent, only calls it.

    A lookup in the child (dlopen) hung it before exec whenever another thread of the parent
    held the dynamic loader's lock at the fork, and the parent's Popen with it.
    """
    import ctypes
    import signal

    hook = processes.parent_death_signal(signal.SIGTERM)

    def loader_in_the_child(*args: object, **kwargs: object) -> None:
        raise AssertionError("the preexec hook looked prctl up in the forked child")

    monkeypatch.setattr(ctypes, "CDLL", loader_in_the_child)
    read_back = (
        "import ctypes; v = ctypes.c_int(); "
        "ctypes.CDLL(None).prctl(2, ctypes.byref(v)); print(v.value)"  # PR_GET_PDEATHSIG
    )
    done = subprocess.run(
        [sys.executable, "-c", read_back],
        preexec_fn=hook,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    assert int(done.stdout) == signal.SIGTERM


def test_renice_reaches_every_thread_of_a_running_process(tmp_path: Path) -> None:
    """A Go server has its threads by the time it answers: each keeps its own nice value."""
    script = (
        "import threading\n"
        "for _ in range(3): threading.Thread(target=threading.Event().wait, daemon=True).start()\n"
        "print('up', flush=True)\n"
        "threading.Event().wait(60)\n"
    )
    log = tmp_path / "threads.log"
    proc = processes.ManagedProcess("threads", [sys.executable, "-c", script], log).start()
    proc.wait_ready(lambda: "up" in log.read_text(), timeout=10)
    base = os.getpriority(os.PRIO_PROCESS, 0)
    processes.renice(proc.pid, base + 3)
    tasks = list(Path(f"/proc/{proc.pid}/task").iterdir())
    assert len(tasks) == 4
    assert {os.getpriority(os.PRIO_PROCESS, int(t.name)) for t in tasks} == {base + 3}
    proc.stop(timeout=5)
