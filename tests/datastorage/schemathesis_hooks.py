"""Schemathesis hooks (loaded through SCHEMATHESIS_HOOKS by test_openapi_fuzz.py).

Two rules of the contract cannot be written in OpenAPI: ``event_timestamp`` must be within
[now - 7 days, now + 5 min] (DS-API-040) and ``parent_event_id`` must name a stored event.
Generated *valid* values are therefore moved into range (the timestamp becomes "now", a
well-formed parent id is dropped) so that schema-valid requests reach the database and the
write path is fuzzed too. Invalid values are left alone, so negative cases stay negative.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import schemathesis

from wetest.reference.datastorage import timeparse


def _fix(event: Any) -> Any:
    if not isinstance(event, dict):
        return event
    stamp = event.get("event_timestamp")
    if isinstance(stamp, str) and timeparse.parse_rfc3339(stamp) is not None:
        event["event_timestamp"] = datetime.now(UTC).isoformat()
    parent = event.get("parent_event_id")
    if isinstance(parent, str) and _is_uuid(parent):
        del event["parent_event_id"]
    return event


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    """Every phase (coverage, fuzzing) passes here, unlike ``map_body``."""
    body = case.body
    if isinstance(body, list):
        case.body = [_fix(item) for item in body]
    else:
        case.body = _fix(body)
