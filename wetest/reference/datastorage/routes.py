"""The endpoints of DOMAIN.md §5.2, as Starlette handlers over a :class:`Service`.

Each handler raises :class:`~problems.Problem` for anything that is not a success; one wrapper
(:func:`endpoint`) turns it into ``application/problem+json``, counts the request and hides
unexpected exceptions behind a 500 ``internal-error`` so no traceback leaks to clients.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response

from wetest.reference.datastorage import openapi, payloads, problems, querying, timeparse
from wetest.reference.datastorage.metrics import Metrics
from wetest.reference.datastorage.problems import Problem
from wetest.reference.datastorage.store import ParentMissing, Store

LOG = logging.getLogger("wetest.reference.datastorage")
MAX_BODY_BYTES = 32 * 1024 * 1024
DB_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError)
Handler = Callable[["Service", Request], Awaitable[Response]]


@dataclass
class Service:
    """What the handlers share: the store (set by the lifespan), metrics, shutdown flag."""

    store: Store | None = None
    metrics: Metrics = field(default_factory=Metrics)
    shutting_down: bool = False
    max_body: int = MAX_BODY_BYTES

    @property
    def db(self) -> Store:
        if self.store is None:
            raise problems.database("Database connection pool is not open")
        return self.store


def json_response(status: int, body: Any) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def endpoint(service: Service, route: str, handler: Handler) -> Callable[[Request], Any]:
    """Wrap a handler: Problem -> problem+json, unexpected error -> 500, count the request."""

    async def run(request: Request) -> Response:
        try:
            response = await handler(service, request)
        except Problem as problem:
            response = problem.response(request.url.path)
        except Exception:
            LOG.exception("unexpected error on %s", route)
            response = Problem(500, problems.INTERNAL, "Internal server error").response(
                request.url.path
            )
        service.metrics.requests.labels(route, str(response.status_code)).inc()
        return response

    return run


async def read_json(request: Request, limit: int) -> Any:
    """Return the decoded JSON body; 415 for another content type, 413 above ``limit`` bytes."""
    ctype = request.headers.get("content-type", "")
    if ctype.split(";")[0].strip().lower() != "application/json":
        raise problems.invalid_request(
            f"Content-Type must be application/json (got {ctype or 'none'!r})", 415
        )
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise problems.invalid_request(f"request body exceeds {limit} bytes", 413)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise problems.invalid_request(f"request body exceeds {limit} bytes", 413)
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise problems.invalid_request(f"request body is not valid JSON: {exc}") from None


def validated(raw: object, now: datetime, index: int | None) -> payloads.Event:
    try:
        return payloads.validate(raw, now)
    except payloads.InvalidEvent as exc:
        prefix = "" if index is None else f"event at index {index}: "
        raise problems.validation(prefix + exc.text, field=exc.field, index=index) from None


async def commit(service: Service, events: list[payloads.Event], kind: str, failed: str) -> None:
    """Insert and wait for the commit; map a missing parent to 400 and database errors to 500."""
    started = time.perf_counter()
    try:
        await service.db.insert(events)
    except ParentMissing as exc:
        prefix = "" if kind == "single" else f"event at index {exc.index}: "
        raise problems.validation(
            prefix + "parent_event_id: parent event does not exist",
            field="parent_event_id",
            index=None if kind == "single" else exc.index,
        ) from None
    except DB_ERRORS as exc:
        LOG.error("%s: %s", failed, exc)
        raise problems.database(failed) from None
    service.metrics.write_seconds.labels(kind).observe(time.perf_counter() - started)
    service.metrics.events.labels(kind).inc(len(events))


async def write_single(service: Service, request: Request) -> Response:
    """DS-API-010: one event -> 201 {event_id, event_timestamp, message}."""
    raw = await read_json(request, service.max_body)
    if isinstance(raw, list):
        raise problems.validation(
            "request body must be a single JSON object, not an array; "
            "send arrays to /api/v1/audit/events/batch",
            field="body",
        )
    event = validated(raw, datetime.now(UTC), None)
    await commit(service, [event], "single", "Failed to write audit event to database")
    return json_response(
        201,
        {
            "event_id": str(event.event_id),
            "event_timestamp": timeparse.format_rfc3339(event.timestamp),
            "message": "Audit event created successfully",
        },
    )


async def write_batch(service: Service, request: Request) -> Response:
    """DS-API-020/021: an array -> 201 {event_ids in request order, message}; all or nothing."""
    raw = await read_json(request, service.max_body)
    if isinstance(raw, dict):
        raise problems.validation(
            "request body must be a JSON array, not a single object", field="body"
        )
    if not isinstance(raw, list):
        raise problems.validation("request body must be a JSON array", field="body")
    if not raw:
        raise problems.validation("batch cannot be empty", field="body")
    now = datetime.now(UTC)
    events = [validated(item, now, index) for index, item in enumerate(raw)]
    await commit(service, events, "batch", "Failed to write audit events batch to database")
    return json_response(
        201,
        {
            "event_ids": [str(e.event_id) for e in events],
            "message": f"{len(events)} audit events created successfully",
        },
    )


async def list_events(service: Service, request: Request) -> Response:
    """DS-API-030..034: filtered page, newest first, with pagination."""
    query = querying.parse(request.query_params, datetime.now(UTC))
    try:
        rows, total = await service.db.query(query)
    except DB_ERRORS as exc:
        LOG.error("query failed: %s", exc)
        raise problems.database("Failed to query audit events from database") from None
    data = [event_json(row) for row in rows]
    return json_response(
        200,
        {
            "data": data,
            "pagination": {
                "limit": query.limit,
                "offset": query.offset,
                "total": total,
                "has_more": query.offset + len(data) < total,
            },
        },
    )


def event_json(row: asyncpg.Record) -> dict[str, Any]:
    """One stored event in the DS-API-034 shape; event_data is passed through unparsed."""
    out = {"event_id": "", "version": row["event_version"], **dict(row)}
    del out["event_version"]
    out["event_id"] = str(row["event_id"])
    out["event_timestamp"] = timeparse.format_rfc3339nano(row["event_timestamp"])
    out["event_date"] = row["event_date"].isoformat()
    parent, parent_date = row["parent_event_id"], row["parent_event_date"]
    out["parent_event_id"] = str(parent) if parent else None
    out["parent_event_date"] = parent_date.isoformat() if parent_date else None
    for key in ("namespace", "cluster_name", "error_code", "error_message"):
        out[key] = out[key] or ""
    out["event_data"] = orjson.Fragment(row["event_data"])
    return out


async def health(service: Service, request: Request) -> Response:
    """DS-HLT-001: 200 when the database answers, else 503 with the error."""
    try:
        await service.db.ping()
    except (Problem, *DB_ERRORS) as exc:
        return json_response(
            503,
            {
                "status": "unhealthy",
                "database": "unreachable",
                "error": str(exc) or type(exc).__name__,
            },
        )
    return json_response(200, {"status": "healthy", "database": "connected"})


async def ready(service: Service, request: Request) -> Response:
    """DS-HLT-002: not ready while shutting down or when the database is unreachable."""
    if service.shutting_down:
        return json_response(503, {"status": "not_ready", "reason": "shutting_down"})
    try:
        await service.db.ping()
    except (Problem, *DB_ERRORS) as exc:
        return json_response(
            503,
            {
                "status": "not_ready",
                "reason": "database_unreachable",
                "error": str(exc) or type(exc).__name__,
            },
        )
    return json_response(200, {"status": "ready"})


async def live(service: Service, request: Request) -> Response:
    """DS-HLT-003: the process answers; dependencies are not checked."""
    return json_response(200, {"status": "alive"})


async def metrics(service: Service, request: Request) -> Response:
    """DS-HLT-004: Prometheus text format."""
    return Response(service.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


async def openapi_document(service: Service, request: Request) -> Response:
    """Serve the OpenAPI 3 document of this service (schemathesis runs against it)."""
    return json_response(200, openapi.DOCUMENT)
