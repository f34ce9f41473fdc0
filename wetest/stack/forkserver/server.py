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
import json
import os
import selectors
import signal
import socket
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import setproctitle

from wetest.stack import processes


@dataclass
class Job:
    """What a forked child runs: the program's module and its command line."""

    module: str
    argv: list[str]
    env: dict[str, str]
    cwd: str
    log: str
    title: str


@dataclass
class _Child:
    pid: int
    conn: socket.socket


@dataclass
class Server:
    """The listening socket, the children not yet reaped, and what a child must close."""

    listener: socket.socket
    preloaded: frozenset[str]
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
            self._close_in_child(conn)
            return job
        pidfd = os.pidfd_open(pid)
        self.children[pidfd] = _Child(pid, conn)
        self.selector.register(pidfd, selectors.EVENT_READ, "exit")
        with contextlib.suppress(OSError):
            conn.sendall(f"P {pid}\n".encode())
        return None

    def _read(self, conn: socket.socket) -> Job:
        conn.settimeout(10.0)
        line = conn.makefile("rb").readline(1 << 22)
        request: dict[str, Any] = json.loads(line)
        job = Job(
            module=str(request["module"]),
            argv=[str(a) for a in request["argv"]],
            env={str(k): str(v) for k, v in request["env"].items()},
            cwd=str(request.get("cwd") or Path.cwd()),
            log=str(request["log"]),
            title=str(request.get("title") or job_title(request)),
        )
        if job.module not in self.preloaded:
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

    def _close_in_child(self, keep: socket.socket) -> None:
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
        keep.close()


def become(job: Job, die_with_server: Callable[[], None]) -> None:
    """In the forked child: take the job's session, output, directory and environment."""
    os.setsid()
    die_with_server()
    _set_title(job.title)  # before the environment changes: it takes over that memory
    log = os.open(job.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    os.close(null)
    os.chdir(job.cwd)
    os.environ.clear()
    os.environ.update(job.env)
    sys.argv = [job.module, *job.argv]


def job_title(request: dict[str, Any]) -> str:
    return " ".join(["python", "-m", str(request["module"]), *map(str, request["argv"])])


def _set_title(title: str) -> None:
    """Show the program's own command line in ``ps`` and /proc/PID/cmdline, not the server's.

    People triaging a run (and ``pgrep -f wetest.reference.controller``) look for it there.
    """
    setproctitle.setproctitle(title)


def run(job: Job) -> int:
    """Run the program as ``python -m`` would, returning its exit code."""
    main: Callable[[Sequence[str]], int | None] = importlib.import_module(job.module).main
    return int(main(job.argv) or 0)


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m wetest.stack.forkserver.server")
    parser.add_argument("--socket", required=True, help="Unix socket path to listen on")
    parser.add_argument("--preload", required=True, help="comma-separated program modules")
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
    job = Server(listener, preloaded).serve()
    become(job, die_with_server)
    return run(job)


if __name__ == "__main__":
    sys.exit(main())
