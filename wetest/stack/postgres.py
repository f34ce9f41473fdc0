"""PostgreSQL for the reference DataStorage: a local cluster, a container, or a given DSN.

Library API (used by ``wetest up`` and the ``we_datastorage`` fixture)::

    handle = postgres.provide(log_dir, dsn="", mode="local")  # picks one of the three below
    handle = postgres.start(log_dir, port=None)  # initdb + postgres on loopback, tmpfs, fsync=off
    handle = postgres.start_container()  # testcontainers; needs a reachable Docker
    handle = postgres.from_dsn(dsn)  # someone else's server, probed with SELECT 1
    handle.dsn, handle.pid, handle.data_dir, handle.stop()   # stop() is a no-op for from_dsn

Why a local cluster by default: it starts in about a second and needs no Docker. Its data
directory lives on ``/dev/shm`` when present and runs with ``fsync=off``,
``synchronous_commit=off`` and ``full_page_writes=off``: durability against a *database*
crash does not matter for tests (the DataStorage still waits for each commit). initdb and
postgres refuse to run as root, so as root both run as the ``postgres`` system user (from the
Debian package; ``nobody`` otherwise). Missing binaries, Docker or server raise
:class:`~wetest.errors.DependencyMissing` with where we looked and the fix; never a skip.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from wetest import progress
from wetest.errors import ConfigError, DependencyMissing, StartupFailed
from wetest.stack import ports, scratch, templates
from wetest.stack.processes import ManagedProcess

DATABASE = "action_history"  # ENV-005: the seed's database name
SUPERUSER = "postgres"
INSTALL_FIX = "sudo apt-get install -y postgresql (or set WETEST_POSTGRES_DSN)"
READY_TIMEOUT = 30.0
SETTINGS = (
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
    "max_connections=200",
    "shared_buffers=128MB",
    "log_min_messages=warning",
    # parallel-query segments in the data directory (itself on tmpfs), not /dev/shm/PostgreSQL.*
    # files: a killed server left those behind, and the data directory is swept (stack.scratch)
    "dynamic_shared_memory_type=mmap",
)
DEBIAN_ROOT = Path("/usr/lib/postgresql")  # where the Debian package puts <version>/bin
CONTAINER_IMAGE = "postgres:16-alpine"  # ENV-005: the seed ran PostgreSQL 16


@dataclass
class PostgresHandle:
    """A PostgreSQL the DataStorage can use; ``stop`` releases whatever was started."""

    dsn: str
    kind: str
    pid: int = 0
    data_dir: Path | None = None
    log_path: Path | None = None
    on_stop: Callable[[], None] | None = field(default=None, repr=False)
    process: ManagedProcess | None = field(default=None, repr=False)  # a local cluster's server

    def stop(self) -> None:
        """Stop the server and remove its data (idempotent; no-op for a given DSN)."""
        action, self.on_stop = self.on_stop, None
        if action:
            action()

    def __enter__(self) -> PostgresHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def provide(
    log_dir: Path, dsn: str = "", mode: str = "local", cache: Path | None = None
) -> PostgresHandle:
    """Choose by precedence: a given DSN, else a container when asked, else a local cluster."""
    if dsn:
        return from_dsn(dsn)
    if mode == "testcontainers":
        return start_container()
    return start(log_dir, cache=cache)


def redact(dsn: str) -> str:
    """Hide a password in a DSN before it goes into a message or a log."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", dsn)


def run_sync(coro_factory: Callable[[], object]) -> object:
    """Run an asyncpg coroutine from sync code, even when the caller has a running loop."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro_factory()).result()  # type: ignore[arg-type]


async def _select_one(dsn: str, timeout: float) -> None:
    conn = await asyncpg.connect(dsn, timeout=timeout)
    try:
        await conn.fetchval("SELECT 1", timeout=timeout)
    finally:
        await conn.close()


def from_dsn(dsn: str, timeout: float = 5.0) -> PostgresHandle:
    """Use an existing server; raise DependencyMissing when it does not answer SELECT 1."""
    try:
        run_sync(lambda: _select_one(dsn, timeout))
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
        raise DependencyMissing(
            f"A PostgreSQL server answering at {redact(dsn)} ({type(exc).__name__}: {exc})",
            [f"WETEST_POSTGRES_DSN={redact(dsn)}"],
            "unset WETEST_POSTGRES_DSN so that wetest starts a local PostgreSQL, or start the "
            "server that DSN names",
        ) from exc
    return PostgresHandle(dsn=dsn, kind="external")


def find_bindir() -> Path:
    """Return the directory holding initdb and postgres: PATH first, then the newest Debian one."""
    on_path = shutil.which("initdb")
    if on_path and (Path(on_path).parent / "postgres").exists():
        return Path(on_path).resolve().parent
    versions = sorted(
        DEBIAN_ROOT.glob("*/bin/initdb"),
        key=lambda p: _version_key(p.parent.parent.name),
        reverse=True,
    )
    if versions:
        return versions[0].parent
    raise DependencyMissing(
        "The PostgreSQL server binaries (initdb, postgres)",
        ["PATH", f"{DEBIAN_ROOT}/*/bin"],
        INSTALL_FIX,
    )


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", name)) or (0,)


def start(log_dir: Path, port: int | None = None, cache: Path | None = None) -> PostgresHandle:
    """Start a throw-away local cluster on loopback with database ``action_history``.

    ``cache``: the cache directory; the cluster is then a copy of a template kept there (see
    :func:`template`) instead of a fresh ``initdb`` and ``CREATE DATABASE``.
    """
    bindir = find_bindir()
    owner = _owner()
    port = ports.ensure_free(port, "PostgreSQL") if port else ports.reserve()
    data_dir = _make_data_dir(owner)
    try:
        with progress.step(f"Starting PostgreSQL on 127.0.0.1:{port}"):
            if cache is not None:
                _copy(template(bindir, owner, cache), data_dir)
            else:
                _initdb(bindir, data_dir, owner)
            process = _launch(bindir, data_dir, port, owner, log_dir / "postgres.log")
    except BaseException:
        scratch.remove(data_dir)
        raise
    handle = PostgresHandle(
        dsn=f"postgresql://{SUPERUSER}@127.0.0.1:{port}/{DATABASE}",
        kind="local",
        pid=process.pid,
        data_dir=data_dir,
        log_path=process.log_path,
        on_stop=lambda: _stop(process, data_dir),
        process=process,
    )
    if cache is None:
        try:
            run_sync(lambda: _create_database(port))
        except BaseException:
            handle.stop()
            raise
    return handle


TEMPLATES = "postgres-templates"
"""Folder under the cache directory: one stopped cluster per server, its database created."""


def template(bindir: Path, owner: pwd.struct_passwd | None, cache: Path) -> Path:
    """A stopped cluster with ``action_history`` created, built once per server and kept.

    Why: ``initdb`` and ``CREATE DATABASE`` cost 0.45 CPU-s at every start, and a test run
    starts dozens (every stack, every isolated PostgreSQL); copying the 39 MB template on
    /dev/shm takes 0.04 s. Two stacks may build it at once (``templates.publish``).
    """
    key = hashlib.sha256(f"{bindir.resolve()}|{SUPERUSER}|{DATABASE}|1".encode()).hexdigest()
    kept = cache / TEMPLATES / key[:16]
    if (kept / "PG_VERSION").is_file():
        return kept
    building = _make_data_dir(owner)
    try:
        _initdb(bindir, building, owner)
        port = ports.reserve()
        process = _launch(bindir, building, port, owner, building.parent / f"{building.name}.log")
        try:
            run_sync(lambda: _create_database(port))
        finally:
            _fast_shutdown(process)
        templates.publish(kept, lambda private: _copy(building, private))
    finally:
        scratch.remove(building)
        (building.parent / f"{building.name}.log").unlink(missing_ok=True)
    return kept


def _copy(source: Path, into: Path) -> None:
    """Copy a cluster's files with their owner and modes (PostgreSQL checks both)."""
    into.mkdir(mode=0o700, exist_ok=True)
    done = subprocess.run(
        ["cp", "-a", f"{source}/.", str(into)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise StartupFailed(
            f"Copying the PostgreSQL template {source} to {into} failed: {done.stderr.strip()}. "
            f"Remove {source.parent} (it is rebuilt), then re-run."
        )


def _owner() -> pwd.struct_passwd | None:
    """Return the unprivileged account to run as when we are root (initdb refuses root)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise DependencyMissing(
        "An unprivileged user to run PostgreSQL as (we run as root)",
        ["/etc/passwd (postgres, nobody)"],
        INSTALL_FIX,
    )


def _make_data_dir(owner: pwd.struct_passwd | None) -> Path:
    data_dir = scratch.make("wetest-pg-")
    if owner:
        os.chown(data_dir, owner.pw_uid, owner.pw_gid)
    return data_dir


def _initdb(bindir: Path, data_dir: Path, owner: pwd.struct_passwd | None) -> None:
    argv = [
        str(bindir / "initdb"),
        "-D",
        str(data_dir),
        "-U",
        SUPERUSER,
        "--auth=trust",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
        "--no-instructions",
    ]
    done = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        cwd=data_dir,
        check=False,
        env={"PATH": os.environ.get("PATH", ""), "LC_ALL": "C"},
        user=owner.pw_uid if owner else None,
        group=owner.pw_gid if owner else None,
        extra_groups=[] if owner else None,
    )
    if done.returncode != 0:
        raise StartupFailed(
            f"initdb failed with exit code {done.returncode} in {data_dir}:\n"
            f"{done.stderr.strip()}\nFix the cause above, then run: wetest doctor"
        )


def _launch(
    bindir: Path, data_dir: Path, port: int, owner: pwd.struct_passwd | None, log_path: Path
) -> ManagedProcess:
    argv = [
        str(bindir / "postgres"),
        "-D",
        str(data_dir),
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
        "-k",
        str(data_dir),
    ]
    for setting in SETTINGS:
        argv += ["-c", setting]
    process = ManagedProcess(
        "postgres",
        _as_owner(owner) + argv,
        log_path,
        env={"PATH": os.environ.get("PATH", ""), "LC_ALL": "C"},
    )
    process.start()
    try:
        process.wait_ready(lambda: _accepting(data_dir), READY_TIMEOUT)
    except BaseException:
        process.stop()
        raise
    return process


def _as_owner(owner: pwd.struct_passwd | None) -> list[str]:
    """Prefix that drops root; setpriv keeps PDEATHSIG set after the uid change."""
    if owner is None:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        raise DependencyMissing(
            "setpriv (util-linux), needed to run PostgreSQL as non-root",
            ["PATH"],
            "sudo apt-get install -y util-linux",
        )
    return [
        setpriv,
        f"--reuid={owner.pw_uid}",
        f"--regid={owner.pw_gid}",
        "--clear-groups",
        "--pdeathsig=KILL",
        "--",
    ]


def _accepting(data_dir: Path) -> bool:
    """Tell whether postmaster.pid says 'ready' (line 8): pg_ctl's own readiness test."""
    lines = (data_dir / "postmaster.pid").read_text().splitlines()
    return len(lines) >= 8 and lines[7].strip() == "ready"


async def _create_database(port: int) -> None:
    conn = await asyncpg.connect(f"postgresql://{SUPERUSER}@127.0.0.1:{port}/postgres", timeout=10)
    try:
        await conn.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await conn.close()


def _stop(process: ManagedProcess, data_dir: Path) -> None:
    """Fast shutdown (SIGINT: disconnect clients, no waiting), then remove the data."""
    _fast_shutdown(process)
    scratch.remove(data_dir)


def _fast_shutdown(process: ManagedProcess) -> None:
    if process.popen is not None and process.alive():
        os.kill(process.pid, signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.popen.wait(10)
    process.stop()


def restart(handle: PostgresHandle) -> float:
    """Restart a local cluster's server on its port, keeping its data (a database restart).

    Clients see their connections dropped and refused until it accepts again, as when a
    managed database fails over. Returns the seconds until it accepted connections.
    """
    if handle.process is None:
        raise ConfigError(
            f"Only a PostgreSQL started by wetest can be restarted; this one is {handle.kind} "
            f"({redact(handle.dsn)}). Unset WETEST_POSTGRES_DSN to use the bundled one."
        )
    took = handle.process.restart(stop=_fast_shutdown)
    handle.pid = handle.process.pid
    return took


def start_container(image: str = CONTAINER_IMAGE) -> PostgresHandle:
    """Start PostgreSQL with testcontainers; DependencyMissing when Docker is not reachable."""
    _require_docker()
    from testcontainers.postgres import PostgresContainer

    container = PostgresContainer(
        image, username="slm_user", password="test_password", dbname=DATABASE, driver=None
    )
    with progress.step(f"Starting PostgreSQL container {image}"):
        container.start()
    return PostgresHandle(
        dsn=str(container.get_connection_url()), kind="testcontainers", on_stop=container.stop
    )


def _require_docker() -> None:
    where = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    try:
        _ping_docker(where)
    except Exception as exc:  # the docker SDK raises several unrelated types
        raise DependencyMissing(
            f"A reachable Docker engine for WETEST_POSTGRES=testcontainers ({exc})",
            [where],
            "sudo systemctl start docker, or set WETEST_POSTGRES=local",
        ) from exc


def _ping_docker(where: str) -> None:
    """Connect to a unix socket ourselves first: the docker SDK leaks it when that fails."""
    if where.startswith("unix://"):
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(2)
            sock.connect(where.removeprefix("unix://"))
    import docker  # type: ignore[import-untyped]  # testcontainers' dependency, untyped

    client = docker.from_env()
    try:
        client.ping()
    finally:
        client.close()
