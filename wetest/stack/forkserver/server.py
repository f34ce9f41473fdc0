"""The fork server: one interpreter with wetest's programs imported, forking each start.

``python -m wetest.stack.forkserver.server --socket PATH --preload M1,M2`` binds PATH, imports
the modules, then serves one request per connection: a JSON line ``{"module", "argv", "env",
"cwd", "log"}``. It forks; the child becomes the program (``module.main(argv)``, exit code
returned as from ``python -m``) and the server answers ``P <pid>``, later ``X <exit code>``
(negative: killed by that signal) once it has reaped the child, then closes the connection.

Why: every isolated controller, DataStorage and stand-in driver of a run is a Python process
that spent 0.25-0.5 CPU-s importing the kubernetes client, httpx and wetest before doing
anything (about 10 CPU-s of a full run on two CPUs). A fork of an interpreter that imported
them once starts in milliseconds.

The server stays single-threaded (a fork copies only the forking thread; a lock held by
another thread would stay locked in the child forever). Each child starts a session of its
own (``stop`` signals its process group, as for any stack process), appends its output to its
log, and gets SIGKILL when the server dies, as the server does when its owner dies: nothing
outlives the run. The child leaves through the interpreter's normal exit (atexit handlers,
non-daemon threads joined), not ``os._exit``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import io
import json
import os
import selectors
import signal
import socket
import sys
import threading
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import setproctitle

from wetest.stack import processes
from wetest.stack.forkserver import execnet_bootstrap


@dataclass
class Job:
    """What a forked child runs: a program's module, or code as ``python -c`` would."""

    module: str
    argv: list[str]
    env: dict[str, str]
    cwd: str
    log: str
    title: str
    code: str = ""
    """``python -c`` code (a pytest-xdist worker's bootstrap line), run instead of a module."""
    fds: list[int] = field(default_factory=list)
    """Standard input, output and error passed with the request (its pipes), instead of log."""
    unbuffered: bool = False
    caller: socket.socket | None = None
    """A shim's connection, kept in its child: the child dies when the shim does."""


@dataclass
class _Child:
    pid: int
    conn: socket.socket


@dataclass
class Server:
    """The listening socket, the children not yet reaped, and what a child must close."""

    listener: socket.socket
    preloaded: frozenset[str]
    runs_code: bool = False
    selector: selectors.BaseSelector = field(default_factory=selectors.DefaultSelector)
    children: dict[int, _Child] = field(default_factory=dict)  # by pidfd

    def serve(self) -> Job:
        """Answer requests until one fork returns in the child: then return its job there."""
        self.selector.register(self.listener, selectors.EVENT_READ, None)
        while True:
            for key, _ in self.selector.select():
                if key.data is None:
                    job = self._accept()
                    if job is not None:
                        return job
                else:
                    self._reap(int(key.fd))

    def _accept(self) -> Job | None:
        conn, _ = self.listener.accept()
        try:
            job = self._read(conn)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            with contextlib.suppress(OSError):
                conn.sendall(f"E {type(exc).__name__}: {exc}\n".encode())
            conn.close()
            return None
        for stream in (sys.stdout, sys.stderr):
            stream.flush()  # or the child would write the server's pending output again
        pid = os.fork()
        if pid == 0:
            self._close_in_child()
            if job.code:  # a shim's request: the child keeps it, to die with the shim
                job.caller = conn
            else:
                conn.close()
            return job
        for fd in job.fds:  # the child has them now
            os.close(fd)
        pidfd = os.pidfd_open(pid)
        self.children[pidfd] = _Child(pid, conn)
        self.selector.register(pidfd, selectors.EVENT_READ, "exit")
        with contextlib.suppress(OSError):
            conn.sendall(f"P {pid}\n".encode())
        return None

    def _read(self, conn: socket.socket) -> Job:
        conn.settimeout(10.0)
        data, fds, _, _ = socket.recv_fds(conn, 1 << 16, 3)
        try:
            while not data.endswith(b"\n"):
                more = conn.recv(1 << 16)
                if not more:
                    raise ValueError("the request ended before its end of line")
                data += more
            return self._job(json.loads(data), fds)
        except BaseException:
            for fd in fds:
                os.close(fd)
            raise

    def _job(self, request: dict[str, Any], fds: list[int]) -> Job:
        job = Job(
            module=str(request["module"]),
            argv=[str(a) for a in request["argv"]],
            env={str(k): str(v) for k, v in request["env"].items()},
            cwd=str(request.get("cwd") or Path.cwd()),
            log=str(request["log"]),
            title=str(request["title"]),
            code=str(request.get("code") or ""),
            fds=fds,
            unbuffered=bool(request.get("unbuffered")),
        )
        if job.code:
            if not self.runs_code or len(fds) != 3:
                raise ValueError("this fork server runs no code, or stdin/out/err were not passed")
        elif job.module not in self.preloaded:
            raise ValueError(f"this fork server runs only {', '.join(sorted(self.preloaded))}")
        return job

    def _reap(self, pidfd: int) -> None:
        child = self.children.pop(pidfd)
        self.selector.unregister(pidfd)
        os.close(pidfd)
        _, status = os.waitpid(child.pid, 0)
        with contextlib.suppress(OSError):
            child.conn.sendall(f"X {os.waitstatus_to_exitcode(status)}\n".encode())
        child.conn.close()

    def _close_in_child(self) -> None:
        """Close every descriptor of the server's in the child, through its Python object.

        Closing raw numbers instead would leave objects that close them again later, by then
        maybe a socket of the program's under the same number.
        """
        self.selector.close()
        self.listener.close()
        for pidfd, child in self.children.items():
            os.close(pidfd)
            child.conn.close()
        self.children.clear()


def become(job: Job, die_with_server: Callable[[], None]) -> None:
    """In the forked child: take the job's session, output, directory and environment."""
    os.setsid()
    die_with_server()
    _set_title(job.title)  # before the environment changes: it takes over that memory
    if job.fds:
        for target, fd in enumerate(job.fds):
            os.dup2(fd, target)
        for fd in set(job.fds) - {0, 1, 2}:
            os.close(fd)
        _reopen_stdio(job.unbuffered)
    else:
        log = os.open(job.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        os.close(null)
    if job.caller is not None:
        _die_with_caller(job.caller)
    os.chdir(job.cwd)
    os.environ.clear()
    os.environ.update(job.env)
    sys.argv = list(job.argv) if job.code else [job.module, *job.argv]


def _die_with_caller(caller: socket.socket) -> None:
    """SIGKILL this child when the shim that asked for it is gone (its connection ends).

    The shim is the process its caller knows and kills (xdist kills a worker's process that
    does not stop); the child must not outlive it.
    """
    caller.settimeout(None)  # the server read the request with a timeout

    def watch() -> None:
        with contextlib.suppress(OSError):
            while caller.recv(64):
                pass
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="wetest-fork-caller", daemon=True).start()


def _reopen_stdio(unbuffered: bool) -> None:
    """New stdin, stdout and stderr objects on the passed pipes, buffered as ``python [-u]``."""
    sys.stdin = open(0, closefd=False)  # noqa: SIM115 - lives as long as the process
    for fd, name in ((1, "stdout"), (2, "stderr")):
        raw = io.FileIO(fd, "w", closefd=False)
        binary = cast("io.BufferedWriter", raw) if unbuffered else io.BufferedWriter(raw)
        stream = io.TextIOWrapper(
            binary,
            write_through=unbuffered,
            line_buffering=name == "stderr",
            errors="backslashreplace" if name == "stderr" else "strict",
        )
        setattr(sys, name, stream)


def _set_title(title: str) -> None:
    """Show the program's own command line in ``ps`` and /proc/PID/cmdline, not the server's.

    People triaging a run (and ``pgrep -f wetest.reference.controller``) look for it there.
    """
    setproctitle.setproctitle(title)


def run(job: Job) -> int:
    """Run the program as ``python -m`` (or the code as ``python -c``) would; its exit code."""
    if job.code:
        module = types.ModuleType("__main__")
        sys.modules["__main__"] = module
        sys.path[0] = ""  # what -c puts first
        if not execnet_bootstrap.run(job.code, module):
            exec(compile(job.code, "<string>", "exec"), module.__dict__)  # as python -c
        return 0
    main: Callable[[Sequence[str]], int | None] = importlib.import_module(job.module).main
    return int(main(job.argv) or 0)


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m wetest.stack.forkserver.server")
    parser.add_argument("--socket", required=True, help="Unix socket path to listen on")
    parser.add_argument("--preload", required=True, help="comma-separated modules to import")
    parser.add_argument("--run-code", action="store_true", help="also run python -c requests")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(args.socket)  # first: a client may connect while the modules load
    listener.listen(128)
    preloaded = frozenset(m for m in args.preload.split(",") if m)
    for module in sorted(preloaded):
        importlib.import_module(module)
    die_with_server = processes.parent_death_signal(signal.SIGKILL)
    gc.collect()
    gc.freeze()  # children do not copy pages for the collector's sake
    print(f"fork server ready: {', '.join(sorted(preloaded))}", flush=True)
    job = Server(listener, preloaded, runs_code=args.run_code).serve()
    become(job, die_with_server)
    return run(job)


if __name__ == "__main__":
    sys.exit(main())
