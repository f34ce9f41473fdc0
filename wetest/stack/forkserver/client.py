"""Start programs through the process's fork server; its lifetime follows the stacks using it.

A stack ``acquire``s the server when it starts and ``release``s it after it stopped everything
else: the server runs from the first program started until the last stack's stop, and its
children die with it (``server``). While held, ``spawn`` is installed as
``processes.spawner``, which ``ManagedProcess.start`` asks first: a command line that is one
of wetest's programs (``route``: ``python -m`` with this interpreter) is forked, so the
bundled controller, its isolated instances, DataStorage and the Tekton stand-in come from
the fork server; every other command is executed as before. The command a user gave is
unchanged, and so is what the program sees.

A :class:`Forked` child answers what ``ManagedProcess`` asks of a ``Popen``: ``pid``,
``poll``, ``wait`` and ``returncode``, from the server's ``X <code>`` line.
"""

from __future__ import annotations

import json
import os
import select
import shlex
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from wetest.errors import StartupFailed
from wetest.stack import processes, scratch

PROGRAMS = (
    "wetest.reference.controller.__main__",
    "wetest.reference.datastorage.__main__",
    "wetest.stack.tekton.driver",
)
"""Modules with a ``main(argv) -> int`` the server imports once and runs in each child."""
CONNECT_TIMEOUT = 30.0
"""A request waits in the socket's backlog while the server imports the programs (~1 CPU-s)."""


class Forked:
    """A child of the fork server, seen as a ``subprocess.Popen``: pid, poll, wait, returncode."""

    def __init__(self, conn: socket.socket, pid: int, args: Sequence[str]) -> None:
        self.conn = conn
        self.pid = pid
        self.args = list(args)
        self.returncode: int | None = None
        self._lock = threading.Lock()
        self._buffer = b""

    def poll(self) -> int | None:
        return self._await(0.0)

    def wait(self, timeout: float | None = None) -> int:
        code = self._await(timeout)
        if code is None:
            raise subprocess.TimeoutExpired(self.args, timeout or 0.0)
        return code

    def _await(self, timeout: float | None) -> int | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while self.returncode is None:
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                if not select.select([self.conn], [], [], left)[0]:
                    return None
                self._receive()
            return self.returncode

    def _receive(self) -> None:
        data = self.conn.recv(256)
        if not data:  # the server is gone, and with it the child (SIGKILL at its death)
            self.returncode = -9
        self._buffer += data
        for line in self._buffer.split(b"\n"):
            if line.startswith(b"X "):
                self.returncode = int(line[2:])
        if self.returncode is not None:
            self.conn.close()


class ForkServer:
    """The running server: its process and its socket."""

    def __init__(
        self, proc: processes.ManagedProcess, path: Path, held: threading.Event | None = None
    ) -> None:
        self.proc = proc
        self.path = path
        self.held = held  # set to let the thread that started the server end (see start)

    def spawn(
        self,
        module: str,
        argv: Sequence[str],
        env: Mapping[str, str],
        cwd: Path | None,
        log_path: Path,
        command: Sequence[str],
    ) -> Forked:
        """Ask for one child; return it once the server says its pid."""
        request = {
            "module": module,
            "argv": list(argv),
            "env": dict(env),
            "cwd": str(cwd or Path.cwd()),
            "log": str(log_path),
            "title": shlex.join(command),
        }
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.settimeout(CONNECT_TIMEOUT)
            self._connect(conn)
            conn.sendall(json.dumps(request).encode() + b"\n")
            reply = conn.makefile("rb").readline()
        except OSError as exc:
            conn.close()
            raise StartupFailed(self._failed(f"{exc}")) from exc
        if not reply.startswith(b"P "):
            conn.close()
            raise StartupFailed(self._failed(reply.decode(errors="replace").strip() or "EOF"))
        conn.settimeout(None)
        return Forked(conn, int(reply[2:]), command)

    def _connect(self, conn: socket.socket) -> None:
        """Connect, waiting for the socket while the server process starts (it binds first)."""
        deadline = time.monotonic() + CONNECT_TIMEOUT
        while True:
            try:
                conn.connect(str(self.path))
                return
            except (FileNotFoundError, ConnectionRefusedError):
                if not self.proc.alive() or time.monotonic() > deadline:
                    raise
                time.sleep(0.005)

    def _failed(self, what: str) -> str:
        return (
            f"The fork server (pid {self.proc.pid}) did not start a program: {what}. Log tail "
            f"({self.proc.log_path}):\n{processes.tail(self.proc.log_path)}\nRun: wetest doctor"
        )

    def stop(self) -> None:
        """Stop the server (its children die with it: stop them first) and remove its socket."""
        self.proc.stop()
        if self.held is not None:
            self.held.set()
        scratch.remove(self.path.parent)  # its socket, maybe its log


def start(
    log_dir: Path | None,
    programs: Sequence[str] = PROGRAMS,
    env: Mapping[str, str] | None = None,
    *,
    run_code: bool = False,
) -> ForkServer:
    """Start a fork server for programs; it accepts requests at once, answers once loaded.

    ``run_code``: it also runs ``python -c`` requests (``shim``), whose modules it imports
    from programs without running them (the pytest-xdist workers' server). ``log_dir`` None:
    the log stays in the server's own folder, removed at its stop.

    It is started from a thread of its own that lives until :meth:`ForkServer.stop`: Linux
    sends the parent-death signal when the *thread* that forked a child ends, and the first
    program may be started from any thread (DataStorage's start beside the cluster, a
    supervisor command), whose end would take the server and every program down.
    """
    # A scratch folder: when pytest or the supervisor that started the server is SIGKILLed,
    # nobody removes it, and the next scratch folder made on this machine sweeps it.
    folder = scratch.make("wetest-fork-")
    path = folder / "socket"
    argv = [sys.executable, "-m", "wetest.stack.forkserver.server", "--socket", str(path)]
    if run_code:
        argv.append("--run-code")
    proc = processes.ManagedProcess(
        "fork-server",
        [*argv, "--preload", ",".join(programs)],
        (log_dir or folder) / "fork-server.log",
        env,
    )
    started, held = threading.Event(), threading.Event()
    failure: list[BaseException] = []

    def hold() -> None:
        try:
            proc.start()
        except BaseException as exc:  # handed to the caller below
            failure.append(exc)
        started.set()
        held.wait()

    threading.Thread(target=hold, name="wetest-fork-server", daemon=True).start()
    started.wait()
    if failure:
        held.set()
        raise failure[0]
    return ForkServer(proc, path, held)


_guard = threading.Lock()
_server: ForkServer | None = None
_users = 0
_log_dir: Path | None = None


def supported() -> bool:
    """Whether this system can run a fork server: Linux >= 5.3, whose pidfds it reaps through."""
    return hasattr(os, "pidfd_open")


def acquire(log_dir: Path) -> None:
    """Count one more user of the process's fork server; the first program started starts it.

    Started on demand, a stack that runs none of wetest's programs (a bare cluster for the
    project's own tests) does not pay for one.
    """
    global _users, _log_dir
    if not supported():
        return
    with _guard:
        _users += 1
        _log_dir = _log_dir or log_dir
        processes.spawner = spawn


def release() -> None:
    """Count one user less; stop the server after the last (its children die with it)."""
    global _server, _users, _log_dir
    with _guard:
        if _users == 0:
            return
        _users -= 1
        if _users > 0:
            return
        server, _server, _log_dir = _server, None, None
        processes.spawner = None
    if server is not None:
        server.stop()


def current() -> ForkServer | None:
    """The process's fork server if it runs."""
    return _server


def _running() -> ForkServer | None:
    global _server
    with _guard:
        if _server is not None and not _server.proc.alive():  # killed: start another
            _server = None
        if _server is None and _users > 0 and _log_dir is not None:
            _server = start(_log_dir)
        return _server


def route(argv: Sequence[str]) -> tuple[str, list[str]] | None:
    """The program module and its arguments when argv is ``<this python> -m <program> ...``."""
    if len(argv) < 3 or argv[0] != sys.executable or argv[1] != "-m":
        return None
    for module in (argv[2], f"{argv[2]}.__main__"):
        if module in PROGRAMS:
            return module, list(argv[3:])
    return None


def spawn(
    argv: Sequence[str], env: Mapping[str, str] | None, cwd: Path | None, log_path: Path
) -> Forked | None:
    """Start argv through the fork server when a stack holds one and argv is one of its programs."""
    routed = route(argv)
    server = None if routed is None else _running()
    if server is None or routed is None:
        return None
    module, args = routed
    return server.spawn(module, args, os.environ if env is None else env, cwd, log_path, argv)
