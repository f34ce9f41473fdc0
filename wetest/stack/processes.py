"""Managed subprocesses: own process group, readiness wait, log capture, TERM then KILL.

Every stack component (etcd, kube-apiserver, kube-controller-manager, PostgreSQL, DataStorage,
the Tekton stand-in, the controller under test) runs through :class:`ManagedProcess`, so that
"no process outlives the run" is implemented once: each child is a session leader (its own
process group), its pid is recorded, and ``stop`` signals the whole group.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, cast

from wetest.errors import StartupFailed

Probe = Callable[[], bool]


class Child(Protocol):
    """What ManagedProcess needs of a started process: a ``Popen``, or a fork server's child."""

    @property
    def pid(self) -> int: ...

    @property
    def returncode(self) -> int | None: ...

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...


def tail(path: Path, lines: int = 30) -> str:
    """Return the last lines of a log file, or a note that there is none."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    kept = text.splitlines()[-lines:]
    return "\n".join(kept) if kept else "(log is empty)"


GOGC = "400"
"""The Go garbage collector's target for the control plane's servers (Go's default: 100).

GC was 14 % of kube-apiserver's CPU in a profiled full run; at 400 the main kube-apiserver of
a full run took 13.8 CPU-s instead of 16.8 (its heap stays well under 1 GB) and its start
4 % less (bench/apiserver_flags.py). On a 2-CPU machine the run is bound by CPU.
"""


def go_environment() -> dict[str, str]:
    """The environment for a Go server of the stack: ours, with GOGC unless the user set one."""
    return {**os.environ, "GOGC": os.environ.get("GOGC", GOGC)}


def python_environment(cache_dir: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for wetest's own Python processes: bytecode cached under cache_dir.

    With PYTHONDONTWRITEBYTECODE set (as on many CI images and this project's machine), every
    controller, DataStorage, stand-in and xdist worker compiled wetest's modules from source,
    and pytest rewrote every suite module in every worker: about 6 CPU-seconds of a full run
    on 2 CPUs. The cache goes to ``<cache_dir>/pycache`` (PYTHONPYCACHEPREFIX), never into the
    source tree, which is what that variable is usually set to keep clean. A prefix the user
    chose is kept.
    """
    env = dict(os.environ if base is None else base)
    if env.get("PYTHONDONTWRITEBYTECODE") and not env.get("PYTHONPYCACHEPREFIX"):
        del env["PYTHONDONTWRITEBYTECODE"]
        env["PYTHONPYCACHEPREFIX"] = str(cache_dir / "pycache")
    return env


Spawner = Callable[[Sequence[str], Mapping[str, str] | None, Path | None, Path], Child | None]
"""Starts argv (env, cwd, log) some other way than ``Popen``, or returns None to decline."""

spawner: Spawner | None = None
"""The process-wide alternative start, installed while a stack holds the fork server."""


@dataclass
class ManagedProcess:
    """One child process with a name, a log file and a readiness probe."""

    name: str
    argv: Sequence[str]
    log_path: Path
    env: Mapping[str, str] | None = None
    cwd: Path | None = None
    priority: int = 0
    """A nice value (negative: favoured over the rest of the run), set in the child before it
    runs, so every thread it starts has it, and kept across restarts. Lowering it needs root
    (CAP_SYS_NICE); without, the process runs at the usual priority."""
    popen: Child | None = field(default=None, init=False)
    # the readiness probe of the last wait_ready, reused by restart()
    ready_probe: tuple[Probe, float] | None = field(default=None, init=False, repr=False)

    @property
    def pid(self) -> int:
        return self.popen.pid if self.popen else 0

    def start(self) -> ManagedProcess:
        """Start the process in a new session, stdout and stderr appended to the log file.

        The installed :data:`spawner` may start it instead: the fork server
        (``wetest.stack.forkserver``) does for wetest's own Python programs, with the same
        command line and environment, without importing their modules again.
        """
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.popen = spawner(self.argv, self.env, self.cwd, self.log_path) if spawner else None
        if self.popen is not None:
            return self
        with self.log_path.open("ab") as log:
            try:
                self.popen = subprocess.Popen(
                    list(self.argv),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    env=dict(self.env) if self.env else None,
                    cwd=self.cwd,
                    start_new_session=True,
                    preexec_fn=_prioritised(parent_death_signal(signal.SIGKILL), self.priority),
                )
            except OSError as exc:
                raise StartupFailed(
                    f"{self.name} could not be started ({self.argv[0]}): {exc}. Run: wetest doctor"
                ) from exc
        return self

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def wait_ready(self, probe: Probe, timeout: float, interval: float = 0.05) -> float:
        """Poll probe until true; raise StartupFailed with the log tail on exit or timeout."""
        self.ready_probe = (probe, timeout)
        started = time.monotonic()
        while True:
            if not self.alive():
                code = self.popen.returncode if self.popen else None
                raise StartupFailed(
                    f"{self.name} exited with code {code} before it became ready. "
                    f"Log tail ({self.log_path}):\n{tail(self.log_path)}\n"
                    "Fix the cause above, then run: wetest doctor"
                )
            if _safe(probe):
                return time.monotonic() - started
            if time.monotonic() - started > timeout:
                raise StartupFailed(
                    f"{self.name} did not become ready within {timeout:.0f}s. "
                    f"Log tail ({self.log_path}):\n{tail(self.log_path)}\n"
                    "Raise KUBEBUILDER_CONTROLPLANE_START_TIMEOUT or run: wetest doctor"
                )
            time.sleep(interval)

    def terminate(self) -> None:
        """Send TERM to the process group without waiting (see :func:`stop_all`)."""
        if self.popen is not None and self.popen.poll() is None:
            signal_group(self.popen.pid, signal.SIGTERM)

    def stop(self, timeout: float = 10.0) -> int | None:
        """TERM the process group, then KILL it after timeout; return the exit code."""
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            signal_group(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                signal_group(self.popen.pid, signal.SIGKILL)
                self.popen.wait(5)
        signal_group(self.popen.pid, signal.SIGKILL)  # stragglers left in the group
        return self.popen.returncode

    def restart(self, stop: Callable[[ManagedProcess], object] | None = None) -> float:
        """Stop the process and start it again with the same command line, in place.

        Same argv (so the same ports and flags), same log file (appended), same object (so
        whatever holds it, a stopper or a backend's list, sees the new process). Waits with the
        readiness probe of the first start, if there was one; returns the seconds that took.
        ``stop``: how to stop this kind of process (default :meth:`stop`; PostgreSQL's fast
        shutdown is a SIGINT).
        """
        (stop or ManagedProcess.stop)(self)
        self.start()
        if self.ready_probe is None:
            return 0.0
        probe, timeout = self.ready_probe
        return self.wait_ready(probe, timeout)


def stop_all(procs: Sequence[ManagedProcess], timeout: float = 10.0) -> None:
    """TERM every process first, then wait for each: shutdowns overlap instead of adding up.

    kube-apiserver alone takes about a second to shut down (its ServiceCIDR allocator); in
    sequence with the controller and the rest, a teardown took three.
    """
    for proc in procs:
        proc.terminate()
    deadline = time.monotonic() + timeout
    for proc in procs:
        proc.stop(timeout=max(0.0, deadline - time.monotonic()))


PR_SET_PDEATHSIG = 1


@functools.cache
def _prctl() -> Callable[[int, int], int] | None:
    """Libc's ``prctl``, looked up once, in the parent.

    A ``preexec_fn`` runs in the forked child before exec, where only the forking thread is
    left but every lock the parent's other threads held at the fork stays held. Looking prctl
    up there (``dlopen``, ``dlsym``) takes the dynamic loader's lock: a child forked while
    another thread was loading a C extension hung before exec, and the Popen waiting for that
    exec hung with it (the supervisor stopped answering mid-run at ``-n 12``).
    """
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = (ctypes.c_int, ctypes.c_ulong)
    prctl.restype = ctypes.c_int
    return cast("Callable[[int, int], int]", prctl)


def parent_death_signal(signum: int, parent: int = 0) -> Callable[[], None]:
    """A ``preexec_fn``, built in the parent: Linux sends the child signum when parent dies.

    ``parent`` defaults to the calling process. Linux counts the *thread* that forked as the
    parent, so a child started from a thread that ends gets the signal too. A parent already
    gone when the child runs this (the race between fork and prctl) gets the signal at once.
    """
    prctl = _prctl()
    parent = parent or os.getpid()

    def preexec() -> None:
        if prctl is not None:
            prctl(PR_SET_PDEATHSIG, signum)
        if os.getppid() != parent:
            os.kill(os.getpid(), signum)

    return preexec


def _prioritised(preexec: Callable[[], None], priority: int) -> Callable[[], None]:
    """``preexec`` and then the nice increment (ignored where the user may not lower it)."""
    if not priority:
        return preexec

    def both() -> None:
        preexec()
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, 0, priority)

    return both


def renice(pid: int, priority: int) -> None:
    """Give a running process's every thread this nice value (best effort, see ``priority``).

    Linux keeps a nice value per thread: the process's own only reaches the threads it
    starts later, and a Go program has started its threads by the time it answers.
    """
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError, ValueError):
                os.setpriority(os.PRIO_PROCESS, int(task.name), priority)


def _safe(probe: Probe) -> bool:
    try:
        return probe()
    except Exception:  # a probe that raises is simply "not ready yet"
        return False


def signal_group(pid: int, sig: signal.Signals) -> None:
    """Signal a whole process group (our children are session leaders); ignore if gone."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def pid_alive(pid: int) -> bool:
    """True when a process with this pid exists and is not a zombie (reaping our own)."""
    with contextlib.suppress(ChildProcessError, OSError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False  # it was our child and has just been reaped
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return stat_fields(pid)[0] != "Z"
    except OSError:
        return True


def stat_fields(pid: int) -> list[str]:
    """/proc/<pid>/stat from its third field (state, ppid, ...); OSError once it is gone.

    The command name (field 2) may hold spaces and parentheses, so the split starts after it.
    """
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """Utime + stime of a live process, in seconds (stat fields 14 and 15)."""
    fields = stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop_pid(pid: int, timeout: float = 10.0) -> None:
    """Stop a recorded process group by pid (not our child): TERM, wait, then KILL."""
    signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and pid_alive(pid):
        time.sleep(0.05)
    signal_group(pid, signal.SIGKILL)
