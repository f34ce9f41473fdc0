"""The OpenAPI 3.0 document of the reference DataStorage, served at ``/api/v1/openapi.json``.

Written by hand from DOMAIN.md §5 (not generated from the code) so that it is an independent
statement of the contract: the schemathesis run in ``tests/datastorage`` fuzzes the service
against it and fails on any 5xx or any response that does not match it.
"""

from __future__ import annotations

from typing import Any

from wetest.reference.datastorage.payloads import CATEGORIES, OUTCOMES
from wetest.reference.datastorage.querying import MAX_OFFSET


def _text(max_length: int, nullable: bool = False) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "maxLength": max_length}
    return {**schema, "nullable": True} if nullable else {**schema, "minLength": 1}


def _json(schema_ref: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}}


def _problem(description: str) -> dict[str, Any]:
    ref = {"$ref": "#/components/schemas/Problem"}
    return {"description": description, "content": {"application/problem+json": {"schema": ref}}}


def _param(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    # allowEmptyValue: an empty parameter means "not given", as in the Go service
    return {
        "name": name,
        "in": "query",
        "required": False,
        "allowEmptyValue": True,
        "schema": schema,
    }


EVENT_REQUEST: dict[str, Any] = {
    "type": "object",
    "required": [
        "version",
        "event_type",
        "event_timestamp",
        "event_category",
        "event_action",
        "event_outcome",
        "correlation_id",
        "event_data",
    ],
    "properties": {
        "version": _text(20),
        "event_type": _text(100),
        "event_timestamp": {"type": "string", "format": "date-time"},
        "event_category": {"type": "string", "enum": list(CATEGORIES)},
        "event_action": _text(50),
        "event_outcome": {"type": "string", "enum": list(OUTCOMES)},
        "correlation_id": _text(255),
        "event_data": {"type": "object"},
        "actor_type": _text(50, True),
        "actor_id": _text(255, True),
        "resource_type": _text(100, True),
        "resource_id": _text(255, True),
        "parent_event_id": {"type": "string", "format": "uuid", "nullable": True},
        "namespace": _text(253, True),
        "cluster_name": _text(255, True),
        "severity": _text(20, True),
        "error_code": _text(50, True),
        "error_message": {"type": "string", "nullable": True},
        "duration_ms": {"type": "integer", "format": "int32", "nullable": True},
    },
}

BOUND: dict[str, Any] = {
    "type": "string",
    "format": "date-time",
    "description": "Inclusive bound on event_timestamp: RFC 3339, YYYY-MM-DDTHH:MM:SS or "
    "YYYY-MM-DD (UTC), or a relative duration back from now such as 24h, 30m or 7d.",
}
_NULLABLE_TEXT = {"type": "string", "nullable": True}
EVENT: dict[str, Any] = {
    "type": "object",
    "required": [
        "event_id",
        "version",
        "event_timestamp",
        "event_date",
        "event_type",
        "event_category",
        "event_action",
        "event_outcome",
        "correlation_id",
        "event_data",
    ],
    "properties": {
        "event_id": {"type": "string", "format": "uuid"},
        "event_timestamp": {"type": "string", "format": "date-time"},
        "event_date": {"type": "string", "format": "date"},
        "parent_event_id": {"type": "string", "format": "uuid", "nullable": True},
        "parent_event_date": {"type": "string", "format": "date", "nullable": True},
        "duration_ms": {"type": "integer", "nullable": True},
        "retention_days": {"type": "integer", "nullable": True},
        "is_sensitive": {"type": "boolean", "nullable": True},
        "event_data": {"type": "object"},
        **{
            k: {"type": "string"}
            for k in (
                "version",
                "event_type",
                "event_category",
                "event_action",
                "event_outcome",
                "correlation_id",
            )
        },
        **dict.fromkeys(
            (
                "resource_type",
                "resource_id",
                "namespace",
                "cluster_name",
                "severity",
                "error_code",
                "error_message",
                "actor_id",
                "actor_type",
            ),
            _NULLABLE_TEXT,
        ),
    },
}

PROBLEM: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "field": {"type": "string"},
        "index": {"type": "integer"},
    },
}

_WRITE_ERRORS = {
    "400": _problem("Validation failed"),
    "413": _problem("Body too large"),
    "415": _problem("Not application/json"),
    "500": _problem("Database error"),
}
_HEALTH = {"type": "object", "required": ["status"], "properties": {"status": {"type": "string"}}}

PATHS: dict[str, Any] = {
    "/api/v1/audit/events": {
        "post": {
            "operationId": "createAuditEvent",
            "requestBody": {"required": True, "content": _json("AuditEventRequest")},
            "responses": {
                "201": {"description": "Stored", "content": _json("CreatedEvent")},
                **_WRITE_ERRORS,
            },
        },
        "get": {
            "operationId": "queryAuditEvents",
            "parameters": [
                *[
                    _param(k, {"type": "string"})
                    for k in (
                        "event_type",
                        "event_category",
                        "event_outcome",
                        "severity",
                        "correlation_id",
                    )
                ],
                _param("since", BOUND),
                _param("until", BOUND),
                _param("limit", {"type": "integer", "minimum": 1, "maximum": 1000, "default": 50}),
                _param(
                    "offset",
                    {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
                ),
            ],
            "responses": {
                "200": {"description": "A page", "content": _json("EventPage")},
                "400": _problem("Bad parameter"),
                "500": _problem("Database error"),
            },
        },
    },
    "/api/v1/audit/events/batch": {
        "post": {
            "operationId": "createAuditEventsBatch",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/AuditEventRequest"},
                            "minItems": 1,
                        }
                    }
                },
            },
            "responses": {
                "201": {"description": "Stored", "content": _json("CreatedBatch")},
                **_WRITE_ERRORS,
            },
        },
    },
    **{
        path: {
            "get": {
                "operationId": op,
                "responses": {
                    "200": {
                        "description": "OK",
                        "content": {"application/json": {"schema": _HEALTH}},
                    },
                    "503": {
                        "description": "Unhealthy",
                        "content": {"application/json": {"schema": _HEALTH}},
                    },
                },
            }
        }
        for path, op in (("/health", "health"), ("/health/ready", "ready"))
    },
    "/health/live": {
        "get": {
            "operationId": "live",
            "responses": {
                "200": {
                    "description": "Alive",
                    "content": {"application/json": {"schema": _HEALTH}},
                }
            },
        }
    },
    "/metrics": {
        "get": {
            "operationId": "metrics",
            "responses": {
                "200": {
                    "description": "Prometheus text",
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                }
            },
        }
    },
}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {
        "title": "wetest reference DataStorage",
        "version": "1.0.0",
        "description": "The audit API of WE contract v1.0 (DOMAIN.md section 5).",
    },
    "paths": PATHS,
    "components": {
        "schemas": {
            "AuditEventRequest": EVENT_REQUEST,
            "AuditEvent": EVENT,
            "Problem": PROBLEM,
            "CreatedEvent": {
                "type": "object",
                "required": ["event_id", "event_timestamp", "message"],
                "properties": {
                    "event_id": {"type": "string", "format": "uuid"},
                    "event_timestamp": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
            "CreatedBatch": {
                "type": "object",
                "required": ["event_ids", "message"],
                "properties": {
                    "event_ids": {"type": "array", "items": {"type": "string", "format": "uuid"}},
                    "message": {"type": "string"},
                },
            },
            "EventPage": {
                "type": "object",
                "required": ["data", "pagination"],
                "properties": {
                    "data": {"type": "array", "items": {"$ref": "#/components/schemas/AuditEvent"}},
                    "pagination": {
                        "type": "object",
                        "required": ["limit", "offset", "total", "has_more"],
                        "properties": {
                            "limit": {"type": "integer"},
                            "offset": {"type": "integer"},
                            "total": {"type": "integer"},
                            "has_more": {"type": "boolean"},
                        },
                    },
                },
            },
        }
    },
}
