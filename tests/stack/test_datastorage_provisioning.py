"""wetest.stack.datastorage: start, attach, provide, and the ENV-005 fail-fast message."""

from __future__ import annotations

import socket

import pytest

from wetest.errors import DependencyMissing, StartupFailed
from wetest.stack import datastorage, postgres
from wetest.stack.processes import pid_alive


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_url_fails_with_the_seed_message():
    url = f"http://127.0.0.1:{_free_port()}"
    with pytest.raises(DependencyMissing) as caught:
        datastorage.attach(url + "/")
    text = str(caught.value)
    assert text.startswith(f"Data Storage REQUIRED but not available at {url} ")
    assert text.endswith("Run: " + datastorage.ATTACH_FIX)
    assert isinstance(caught.value, FileNotFoundError)


def test_provide_starts_postgres_and_datastorage_and_stops_both(tmp_path):
    with datastorage.provide(tmp_path) as stack:
        assert stack.postgres is not None
        with stack.datastorage.client() as client:
            assert client.get("/health").json()["status"] == "healthy"
        attached = datastorage.provide(tmp_path, url=stack.datastorage.url)
        assert attached.postgres is None
        assert attached.datastorage.pid == 0
        attached.stop()  # stops nothing it did not start
        assert pid_alive(stack.datastorage.pid)
    assert not pid_alive(stack.datastorage.pid)
    assert not pid_alive(stack.postgres.pid)
    assert (tmp_path / "datastorage.log").exists()


def test_health_is_503_when_the_database_goes_away(tmp_path):
    database = postgres.start(tmp_path)
    service = datastorage.start(database.dsn, tmp_path, port=_free_port())
    try:
        database.stop()
        with service.client() as client:
            response = client.get("/health")
            assert response.status_code == 503
            assert response.json()["database"] == "unreachable"
            assert client.get("/health/ready").json()["reason"] == "database_unreachable"
            assert client.get("/health/live").status_code == 200
        with pytest.raises(DependencyMissing, match="HTTP 503"):
            datastorage.attach(service.url)
    finally:
        service.stop()
        database.stop()


def test_given_dsn_is_used_without_starting_postgres(tmp_path):
    database = postgres.start(tmp_path)
    try:
        with datastorage.provide(tmp_path, postgres_dsn=database.dsn) as stack:
            assert stack.postgres is not None
            assert stack.postgres.kind == "external"
            assert stack.datastorage.url.startswith("http://127.0.0.1:")
    finally:
        database.stop()


def test_bad_database_fails_fast_with_the_log_tail(tmp_path):
    dsn = f"postgresql://nobody@127.0.0.1:{_free_port()}/none"
    with pytest.raises(StartupFailed) as caught:
        datastorage.start(dsn, tmp_path)
    assert "datastorage exited" in str(caught.value)
    assert "Log tail" in str(caught.value)
