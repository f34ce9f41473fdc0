"""The fork server starts wetest's programs as ``python -m`` would, and none outlives it."""

from __future__ import annotations

import inspect
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from wetest import eventually
from wetest import expectations as ex
from wetest.config import settings
from wetest.errors import StartupFailed
from wetest.stack import assembly, processes, scratch
from wetest.stack.forkserver import client, execnet_bootstrap, workers

PROGRAMS = Path(__file__).parent / "programs"


def start_server(tmp_path: Path, *more: str) -> client.ForkServer:
    """A server for the test program (and python -c code, as the xdist workers' server)."""
    env = {**os.environ, "PYTHONPATH": f"{PROGRAMS}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    return client.start(tmp_path, ("forkable_program", *more), env, run_code=True)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[client.ForkServer]:
    started = start_server(tmp_path)
    yield started
    started.stop()


def test_a_forked_program_gets_its_argv_directory_environment_log_and_exit_code(
    server: client.ForkServer, tmp_path: Path
) -> None:
    report, log = tmp_path / "report.json", tmp_path / "program.log"
    command = [sys.executable, "-m", "forkable_program", "report", str(report), "3"]
    child = server.spawn(
        "forkable_program",
        ["report", str(report), "3"],
        {"WETEST_PROBE": "given"},
        tmp_path,
        log,
        command,
    )
    assert child.wait(30) == 3
    seen = json.loads(report.read_text())
    assert seen["argv"] == ["forkable_program", "report", str(report), "3"]
    assert seen["cwd"] == str(tmp_path)
    assert seen["probe"] == "given"
    assert seen["title"].startswith(f"{sys.executable} -m forkable_program report")
    assert seen["stdin"] == ""  # /dev/null, not the server's
    assert "reported to the log" in log.read_text()


def test_a_program_the_server_did_not_load_is_refused_with_the_reason(
    server: client.ForkServer, tmp_path: Path
) -> None:
    with pytest.raises(StartupFailed, match="runs only forkable_program"):
        server.spawn("os", [], {}, tmp_path, tmp_path / "x.log", ["os"])


def test_stop_signals_the_forked_program_and_reports_the_signal(
    server: client.ForkServer, tmp_path: Path
) -> None:
    proc = processes.ManagedProcess("sleeper", ["sleeper"], tmp_path / "sleeper.log")
    proc.popen = server.spawn(
        "forkable_program", ["sleep"], dict(os.environ), tmp_path, proc.log_path, ["sleeper"]
    )
    proc.wait_ready(lambda: "up" in proc.log_path.read_text(), timeout=30)
    assert proc.alive()
    assert os.getpgid(proc.pid) == proc.pid  # a session of its own: stop signals its group
    assert proc.stop(timeout=10) == -signal.SIGTERM
    assert not processes.pid_alive(proc.pid)


def test_forked_programs_die_with_the_server(server: client.ForkServer, tmp_path: Path) -> None:
    log = tmp_path / "sleeper.log"
    child = server.spawn("forkable_program", ["sleep"], dict(os.environ), tmp_path, log, ["s"])
    eventually(
        lambda: log.exists() and "up" in log.read_text(), ex.satisfies(bool, "up"), timeout=30
    )
    os.kill(server.proc.pid, signal.SIGKILL)
    assert child.wait(10) == -signal.SIGKILL
    eventually(
        lambda: processes.pid_alive(child.pid), ex.satisfies(lambda a: not a, "gone"), timeout=10
    )


OWNER_OF_A_SERVER = """
import sys
from wetest.stack.forkserver import client, execnet_bootstrap, workers
server = client.start(None, ("forkable_program",))
print(server.path, server.proc.pid, flush=True)
sys.stdin.read()
"""


def test_a_sigkilled_owners_server_folder_is_swept_by_the_next_scratch_folder() -> None:
    # Nobody stops a server whose owner (pytest, the supervisor) is SIGKILLed: its folder
    # (socket, log) is a scratch folder, removed by whoever makes the next one
    env = {**os.environ, "PYTHONPATH": f"{PROGRAMS}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER_OF_A_SERVER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert owner.stdout is not None
    path, pid = owner.stdout.readline().split()
    folder = Path(path).parent
    assert folder.parent == scratch.root()
    os.kill(owner.pid, signal.SIGKILL)
    owner.communicate(timeout=10)
    eventually(lambda: processes.pid_alive(int(pid)), ex.satisfies(lambda a: not a, "gone"))
    assert folder.is_dir()  # left behind: nothing ran the server's stop
    removed = scratch.make("wetest-probe-")
    scratch.remove(removed)
    assert not folder.exists()
    assert not scratch.owner_file(folder).exists()


def test_only_this_interpreter_running_a_wetest_program_is_routed() -> None:
    controller = [sys.executable, "-m", "wetest.reference.controller", "--kubeconfig", "k"]
    assert client.route(controller) == (
        "wetest.reference.controller.__main__",
        ["--kubeconfig", "k"],
    )
    assert client.route([sys.executable, "-m", "wetest.stack.tekton.driver"]) == (
        "wetest.stack.tekton.driver",
        [],
    )
    assert client.route(["python3", "-m", "wetest.reference.controller"]) is None
    assert client.route([sys.executable, "-m", "my_controller"]) is None
    assert client.route(["/usr/local/bin/manager", "--leader-elect"]) is None


def test_the_server_outlives_the_thread_that_started_it(tmp_path: Path) -> None:
    # PR_SET_PDEATHSIG follows the forking *thread*: a server started from a thread that
    # ends (a supervisor command, DataStorage's start beside the cluster) must not die with it
    servers: list[client.ForkServer] = []
    starter = threading.Thread(target=lambda: servers.append(start_server(tmp_path)))
    starter.start()
    starter.join()
    server = servers[0]
    try:
        report = tmp_path / "report.json"
        child = server.spawn(
            "forkable_program", ["report", str(report), "0"], {}, tmp_path, tmp_path / "l", ["r"]
        )
        assert child.wait(30) == 0
        assert server.proc.alive()
    finally:
        server.stop()


def shim_run(server: client.ForkServer, code: str, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*workers.shim(server.path), "-u", "-c", code, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "WETEST_PROBE": "from the caller"},
    )


def test_the_shim_runs_code_as_python_c_with_its_callers_pipes(
    server: client.ForkServer, tmp_path: Path
) -> None:
    code = (
        "import os, sys; line = sys.stdin.readline().strip(); "
        "print(line, sys.argv, os.environ['WETEST_PROBE'], os.getcwd()); "
        "print('to stderr', file=sys.stderr); sys.exit(5)"
    )
    with shim_run(server, code, "first") as proc:
        out, err = proc.communicate(b"a line\n", timeout=30)
    assert proc.returncode == 5
    assert out.decode().split("\n")[0] == f"a line ['-c', 'first'] from the caller {Path.cwd()}"
    assert err.decode() == "to stderr\n"


def test_the_shim_forwards_sigterm_and_dies_of_the_same_signal(
    server: client.ForkServer,
) -> None:
    with shim_run(server, "import signal; print('up', flush=True); signal.pause()") as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"up\n"
        proc.terminate()
        assert proc.wait(10) == -signal.SIGTERM


def test_a_killed_shim_takes_its_child_along(server: client.ForkServer) -> None:
    code = "import os, time; print(os.getpid(), flush=True); time.sleep(60)"
    with shim_run(server, code) as proc:
        assert proc.stdout is not None
        child = int(proc.stdout.readline())
        assert child != proc.pid
        assert processes.pid_alive(child)
        proc.kill()  # what xdist does to a worker that does not stop
        proc.wait(10)
    gone = ex.satisfies(lambda alive: not alive, "gone")
    eventually(lambda: processes.pid_alive(child), gone, timeout=10)


def test_an_execnet_bootstrap_serves_from_the_servers_gateway_module(tmp_path: Path) -> None:
    # xdist's workers through the shim get execnet's whole source on stdin (python= specs);
    # the forked worker runs the statements after it with the module the server imported
    import execnet.gateway_base
    import execnet.gateway_io

    assert execnet.gateway_io.popen_bootstrapline == execnet_bootstrap.BOOTSTRAP_LINE
    server = start_server(tmp_path, "execnet")
    probe = "import sys\nprint(serve is sys.modules['execnet.gateway_base'].serve)"
    try:
        for line, printed in [
            (inspect.getsource(execnet.gateway_base) + "\n" + probe, b"True\n"),
            ("print(40 + 2)", b"42\n"),  # any other line runs as it came
        ]:
            with shim_run(server, execnet_bootstrap.BOOTSTRAP_LINE) as proc:
                out, err = proc.communicate(f"{line!r}\n".encode(), timeout=30)
            assert (proc.returncode, out) == (0, printed), err.decode()[-2000:]
    finally:
        server.stop()


@pytest.mark.parametrize(("setting", "forks"), [("true", True), ("false", False)])
def test_a_stack_forks_its_programs_unless_fork_server_is_off(
    tmp_path: Path, setting: str, forks: bool
) -> None:
    stack = assembly.Stack(settings.load({"state_dir": str(tmp_path), "fork_server": setting}))
    stack._acquire_forkserver()  # what start() does first; the server itself starts on demand
    try:
        assert (processes.spawner is not None) is forks
    finally:
        stack.stop()
    assert processes.spawner is None
    assert client.current() is None
