"""Validate one AuditEventRequest (DOMAIN.md §5.3) into a storable :class:`Event`.

Validation happens before any storage logic (DS-API-002) and names the field that failed. It
also rejects what PostgreSQL would refuse (NUL characters, values longer than their column,
integers outside int32), because a valid-looking request must get a 400, never a 500.
Server-side defaults (DS-API-041) and the seed's legacy aliases (DS-API-042) are applied here.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import orjson

from wetest.domain import audit as contract
from wetest.reference.datastorage import timeparse

CATEGORIES = contract.CATEGORY_ORDER
OUTCOMES = contract.OUTCOME_ORDER
ALIASES = {"event_category": "service", "event_action": "operation", "event_outcome": "outcome"}
REQUIRED_TEXT = (
    ("version", 20),
    ("event_type", 100),
    ("event_action", 50),
    ("correlation_id", 255),
)
OPTIONAL_TEXT = (
    ("namespace", 253),
    ("cluster_name", 255),
    ("error_code", 50),
    ("error_message", 1 << 20),
)
DEFAULTED_TEXT = (
    ("actor_type", 50),
    ("actor_id", 255),
    ("resource_type", 100),
    ("resource_id", 255),
    ("severity", 20),
)
FUTURE_SKEW = timedelta(minutes=5)
MAX_AGE = timedelta(days=7)
INT32 = (-(2**31), 2**31 - 1)
_ESCAPED_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


class InvalidEvent(ValueError):
    """One field of one event is wrong; ``text`` is the full sentence for ``detail``."""

    def __init__(self, field: str, text: str) -> None:
        super().__init__(text)
        self.field = field
        self.text = text


@dataclass(frozen=True, slots=True)
class Event:
    """A validated event with defaults applied and a server-assigned id (DS-API-003)."""

    event_id: uuid.UUID
    version: str
    timestamp: datetime
    event_type: str
    category: str
    action: str
    outcome: str
    correlation_id: str
    text: dict[str, str | None]
    parent_event_id: uuid.UUID | None
    duration_ms: int
    event_data: str

    def record(self, parent_date: date | None) -> tuple[Any, ...]:
        """Return the row for ``store.COLUMNS``, in that order."""
        t = self.text
        return (
            self.event_id,
            self.version,
            self.timestamp,
            self.event_type,
            self.category,
            self.action,
            self.outcome,
            t["actor_type"],
            t["actor_id"],
            t["resource_type"],
            t["resource_id"],
            self.correlation_id,
            self.parent_event_id,
            parent_date,
            t["namespace"],
            t["cluster_name"],
            self.event_data,
            t["severity"],
            self.duration_ms,
            t["error_code"],
            t["error_message"],
            2555,
            False,
        )


def validate(raw: object, now: datetime) -> Event:
    """Check one decoded JSON value against §5.3; raise InvalidEvent naming the field."""
    if not isinstance(raw, dict):
        raise InvalidEvent("event", "event must be a JSON object")
    category = _enum(raw, "event_category", CATEGORIES)
    required = {key: _text(raw, key, limit) for key, limit in REQUIRED_TEXT}
    return Event(
        event_id=uuid.uuid4(),
        version=required["version"],
        timestamp=_timestamp(raw, now),
        event_type=required["event_type"],
        category=category,
        action=required["event_action"],
        outcome=_enum(raw, "event_outcome", OUTCOMES),
        correlation_id=required["correlation_id"],
        text=_optional_texts(raw, category, required["correlation_id"]),
        parent_event_id=_uuid(raw, "parent_event_id"),
        duration_ms=_int32(raw, "duration_ms"),
        event_data=_event_data(raw),
    )


def _value(raw: dict[str, Any], key: str) -> Any:
    value = raw.get(key)
    if value is None and key in ALIASES:
        return raw.get(ALIASES[key])
    return value


def _text(raw: dict[str, Any], key: str, limit: int) -> str:
    value = _value(raw, key)
    if value is None:
        raise InvalidEvent(key, f"{key} is required")
    if not isinstance(value, str) or not value:
        raise InvalidEvent(key, f"{key} must be a non-empty string")
    return _checked(key, value, limit)


def _checked(key: str, value: str, limit: int) -> str:
    if len(value) > limit:
        raise InvalidEvent(key, f"{key} must be at most {limit} characters (got {len(value)})")
    if "\x00" in value:
        raise InvalidEvent(key, f"{key} must not contain NUL characters")
    return value


def _enum(raw: dict[str, Any], key: str, allowed: tuple[str, ...]) -> str:
    value = _text(raw, key, 50)
    if value not in allowed:
        raise InvalidEvent(key, f"{key} must be one of {', '.join(allowed)} (got {value!r})")
    return value


def _optional_texts(raw: dict[str, Any], category: str, correlation: str) -> dict[str, str | None]:
    defaults = {
        "actor_type": "service",
        "actor_id": f"{category}-service",
        "resource_type": category,
        "resource_id": correlation,
        "severity": "info",
    }
    found: dict[str, str | None] = {}
    for key, limit in OPTIONAL_TEXT + DEFAULTED_TEXT:
        value = raw.get(key)
        if value is not None and not isinstance(value, str):
            raise InvalidEvent(key, f"{key} must be a string or null")
        found[key] = _checked(key, value, limit) if value else defaults.get(key, value)
    return found


def _timestamp(raw: dict[str, Any], now: datetime) -> datetime:
    value = raw.get("event_timestamp")
    if value is None:
        raise InvalidEvent("event_timestamp", "event_timestamp is required")
    moment = timeparse.parse_rfc3339(value) if isinstance(value, str) else None
    if moment is None:
        raise InvalidEvent("event_timestamp", "event_timestamp must be an RFC 3339 date-time")
    try:
        return _within_bounds(moment, now)
    except OverflowError:
        raise InvalidEvent("event_timestamp", "invalid timestamp: out of range") from None


def _within_bounds(moment: datetime, now: datetime) -> datetime:
    if moment - now > FUTURE_SKEW:
        raise InvalidEvent(
            "event_timestamp",
            "invalid timestamp: timestamp is in the future "
            f"(server time: {timeparse.format_rfc3339(now)}, "
            f"event time: {timeparse.format_rfc3339(moment)})",
        )
    age = now - moment
    if age > MAX_AGE:
        raise InvalidEvent(
            "event_timestamp",
            "invalid timestamp: timestamp is too old "
            f"(must be within 7 days, age: {_go_duration(age)})",
        )
    return moment


def _go_duration(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    return f"{seconds // 3600}h{seconds % 3600 // 60}m{seconds % 60}s"


def _uuid(raw: dict[str, Any], key: str) -> uuid.UUID | None:
    value = raw.get(key)
    if value is None:
        return None
    try:
        return uuid.UUID(value)
    except (TypeError, ValueError, AttributeError):
        raise InvalidEvent(key, f"{key} must be a UUID or null") from None


def _int32(raw: dict[str, Any], key: str) -> int:
    value = raw.get(key)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidEvent(key, f"{key} must be an integer or null")
    if not INT32[0] <= value <= INT32[1]:
        raise InvalidEvent(key, f"{key} must fit in a 32-bit integer")
    return value


def _event_data(raw: dict[str, Any]) -> str:
    value = raw.get("event_data")
    if value is None:
        raise InvalidEvent("event_data", "event_data is required")
    if not isinstance(value, dict):
        raise InvalidEvent("event_data", "event_data must be a JSON object")
    encoded = orjson.dumps(value)
    if _ESCAPED_NUL.search(encoded):
        raise InvalidEvent("event_data", "event_data must not contain NUL characters (\\u0000)")
    return encoded.decode()
