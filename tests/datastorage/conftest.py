"""Session fixtures for the reference DataStorage tests: one real PostgreSQL and one service.

Everything is real: a local PostgreSQL cluster started by ``wetest.stack.postgres`` and the
service process started by ``wetest.stack.datastorage``, both stopped at session end even when
tests fail. Helpers that several test modules share live here (no ``__init__.py`` in tests).
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from wetest.stack import datastorage

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "audit"
EVENTS = "/api/v1/audit/events"
BATCH = "/api/v1/audit/events/batch"


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def now_rfc3339(offset: timedelta = timedelta(0)) -> str:
    return rfc3339(datetime.now(UTC) + offset)


def load_fixture(kind: str, name: str) -> dict[str, Any]:
    """A payload from fixtures/audit with its placeholder timestamp made current."""
    data: dict[str, Any] = json.loads((FIXTURES / kind / f"{name}.json").read_text())
    event = data["event"] if kind == "malformed" else data
    if event.get("event_timestamp") == "2025-12-15T19:22:33.412Z":
        event["event_timestamp"] = now_rfc3339()
    return data


def fixture_names(kind: str) -> list[str]:
    return sorted(p.stem for p in (FIXTURES / kind).glob("*.json"))


@pytest.fixture(scope="session")
def ds_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[datastorage.AuditStack]:
    stack = datastorage.provide(tmp_path_factory.mktemp("datastorage-logs"))
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def ds_url(ds_stack: datastorage.AuditStack) -> str:
    return ds_stack.datastorage.url


@pytest.fixture(scope="session")
def pg_dsn(ds_stack: datastorage.AuditStack) -> str:
    assert ds_stack.postgres is not None
    return ds_stack.postgres.dsn


@pytest.fixture
def client(ds_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=ds_url, timeout=10) as c:
        yield c


@pytest.fixture
def correlation() -> str:
    """A correlation id no other test uses, so queries see only this test's events."""
    return f"test-{uuid.uuid4().hex[:12]}"


Make = Callable[..., dict[str, Any]]


@pytest.fixture
def make_event(correlation: str) -> Make:
    """Build a valid event for this test's correlation id; keyword arguments override keys."""
    base = load_fixture("valid", "workflow_started")

    def make(**overrides: Any) -> dict[str, Any]:
        event = copy.deepcopy(base)
        event.update(correlation_id=correlation, event_timestamp=now_rfc3339())
        event.update(overrides)
        return {k: v for k, v in event.items() if v is not ...}

    return make


class Audit:
    """Helpers shared by the test modules, handed out by the ``audit`` fixture (test modules
    cannot import this conftest under --import-mode=importlib)."""

    events = EVENTS
    batch = BATCH
    now = staticmethod(now_rfc3339)
    load = staticmethod(load_fixture)

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def stored(self, correlation: str, **params: Any) -> dict[str, Any]:
        """GET the events of one correlation id; assert the call itself succeeded."""
        response = self.client.get(EVENTS, params={"correlation_id": correlation, **params})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    @staticmethod
    def problem(response: httpx.Response, status: int, detail: str = "") -> dict[str, Any]:
        """Check an RFC 7807 answer: status, content type, body shape, detail substring."""
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        body: dict[str, Any] = response.json()
        assert body["status"] == status
        assert body["type"].startswith("https://kubernaut.ai/problems/")
        assert body["title"]
        assert detail in body["detail"], body
        return body


@pytest.fixture
def audit(client: httpx.Client) -> Audit:
    return Audit(client)
