"""wetest.stack.postgres: a real local cluster, and the fail-fast paths (never a skip)."""

from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path

import asyncpg
import pytest

from wetest.errors import ConfigError, DependencyMissing, PortInUse
from wetest.stack import postgres
from wetest.stack.processes import pid_alive


def _query(dsn: str, sql: str) -> object:
    async def run() -> object:
        conn = await asyncpg.connect(dsn)
        try:
            return await conn.fetchval(sql)
        finally:
            await conn.close()

    return asyncio.run(run())


def test_local_cluster_starts_fast_on_tmpfs_and_is_removed_on_stop(tmp_path):
    handle = postgres.start(tmp_path)
    try:
        assert handle.kind == "local"
        assert handle.dsn.endswith("/action_history")
        assert _query(handle.dsn, "SHOW fsync") == "off"
        assert _query(handle.dsn, "SHOW listen_addresses") == "127.0.0.1"
        if Path("/dev/shm").is_dir():
            assert str(handle.data_dir).startswith("/dev/shm/")
        postgres.from_dsn(handle.dsn)  # the probe accepts a live server
    finally:
        handle.stop()
    assert not pid_alive(handle.pid)
    assert handle.data_dir is not None
    assert not handle.data_dir.exists()
    handle.stop()  # idempotent


def test_restart_keeps_the_port_and_the_data(tmp_path):
    handle = postgres.start(tmp_path)
    try:
        _query(handle.dsn, "CREATE TABLE kept (n int)")
        old_pid = handle.pid
        postgres.restart(handle)
        assert handle.pid != old_pid
        assert not pid_alive(old_pid)
        assert _query(handle.dsn, "SELECT count(*) FROM kept") == 0  # same data, same DSN
    finally:
        handle.stop()
    assert handle.data_dir is not None
    assert not handle.data_dir.exists()


def test_a_cached_template_is_built_once_and_each_start_is_a_copy_of_it(tmp_path):
    """The template holds the database; a start from it writes nothing back into it."""
    cache = tmp_path / "cache"
    first = postgres.start(tmp_path, cache=cache)
    try:
        (kept,) = (cache / postgres.TEMPLATES).iterdir()
        assert (kept / "PG_VERSION").is_file()
        assert not (kept / "postmaster.pid").exists()  # kept stopped
        _query(first.dsn, "CREATE TABLE mine (n int)")
        second = postgres.start(tmp_path, cache=cache)
        try:
            assert second.dsn.endswith("/action_history")
            assert _query(second.dsn, "SELECT to_regclass('mine') IS NULL") is True
            assert second.data_dir is not None
            assert second.data_dir != first.data_dir
        finally:
            second.stop()
    finally:
        first.stop()
    assert [p.name for p in (cache / postgres.TEMPLATES).iterdir()] == [kept.name]


def test_only_a_started_cluster_can_be_restarted():
    with pytest.raises(ConfigError, match="Unset WETEST_POSTGRES_DSN"):
        postgres.restart(postgres.PostgresHandle(dsn="postgresql://u@127.0.0.1:1/db", kind="dsn"))


def test_unreachable_dsn_is_dependency_missing_with_the_fix():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dsn = f"postgresql://u:secret@127.0.0.1:{port}/db"
    with pytest.raises(DependencyMissing) as caught:
        postgres.from_dsn(dsn, timeout=2)
    text = str(caught.value)
    assert "secret" not in text
    assert f"127.0.0.1:{port}" in text
    assert "unset WETEST_POSTGRES_DSN" in text


def test_missing_binaries_name_where_we_looked_and_the_install_command(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(postgres, "DEBIAN_ROOT", tmp_path / "nothing")
    with pytest.raises(DependencyMissing) as caught:
        postgres.start(tmp_path)
    text = str(caught.value)
    assert "PATH" in text
    assert str(tmp_path / "nothing") in text
    assert text.endswith("sudo apt-get install -y postgresql (or set WETEST_POSTGRES_DSN)")


def test_binaries_are_found_on_path_first(monkeypatch):
    bindir = postgres.find_bindir()
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    assert postgres.find_bindir() == bindir.resolve()


def test_testcontainers_without_docker_names_docker(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")
    with pytest.raises(DependencyMissing) as caught:
        postgres.provide(tmp_path, mode="testcontainers")
    assert "Docker" in str(caught.value)
    assert "WETEST_POSTGRES=local" in str(caught.value)


def test_requested_port_in_use_is_port_in_use(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        with pytest.raises(PortInUse):
            postgres.start(tmp_path, port=sock.getsockname()[1])
