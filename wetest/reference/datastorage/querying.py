"""Read the query string of ``GET /api/v1/audit/events`` into a :class:`Query` (DS-API-031..033).

Everything is checked here, before SQL is built: filters are exact matches, ``since``/``until``
accept the forms of :mod:`timeparse`, ``limit`` is 1..1000 (default 50) and ``offset`` >= 0.
Unknown parameters are ignored, as the Go service does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from wetest.reference.datastorage import problems, timeparse
from wetest.reference.datastorage.problems import Problem

FILTERS = ("event_type", "event_category", "event_outcome", "severity", "correlation_id")
DEFAULT_LIMIT = 50
MAX_LIMIT = 1000
# 18 digits (_DIGITS): within PostgreSQL's bigint OFFSET; the OpenAPI document says the same
MAX_OFFSET = 10**18 - 1
_DIGITS = re.compile(r"\d{1,18}")


@dataclass(frozen=True)
class Query:
    """A validated query: AND-combined exact filters, time bounds and one page."""

    filters: dict[str, str] = field(default_factory=dict)
    since: datetime | None = None
    until: datetime | None = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0


def parse(params: Mapping[str, str], now: datetime) -> Query:
    """Validate the query parameters; raise a 400 Problem naming the parameter."""
    filters = {key: _text(key, params[key]) for key in FILTERS if params.get(key)}
    return Query(
        filters=filters,
        since=_bound(params, "since", now),
        until=_bound(params, "until", now),
        limit=_integer(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
        offset=_integer(params, "offset", 0, 0, MAX_OFFSET),
    )


def _text(key: str, value: str) -> str:
    if "\x00" in value:
        raise problems.validation(f"{key} must not contain NUL characters", field=key)
    return value


def _bound(params: Mapping[str, str], key: str, now: datetime) -> datetime | None:
    value = params.get(key)
    if not value:
        return None
    moment = timeparse.parse_bound(value, now)
    if moment is None:
        raise problems.validation(timeparse.BOUND_ERROR.format(value=value), field=key)
    return moment


def _integer(params: Mapping[str, str], key: str, default: int, low: int, high: int) -> int:
    value = params.get(key)
    if value is None or value == "":
        return default
    if not _DIGITS.fullmatch(value) or not low <= int(value) <= high:
        raise _out_of_range(key, value, low, high)
    return int(value)


def _out_of_range(key: str, value: str, low: int, high: int) -> Problem:
    upper = "" if high >= 10**18 else f" and at most {high}"
    return problems.validation(
        f"{key} must be an integer of at least {low}{upper} (got {value!r})", field=key
    )
