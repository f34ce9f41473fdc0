"""Timestamps the way the Go service reads and writes them.

``parse_rfc3339`` is strict (an offset or ``Z`` is required: Go's ``time.Time`` refuses a bare
local time), ``format_rfc3339nano`` matches Go's ``time.RFC3339Nano`` (UTC, trailing zeros of
the fraction dropped), and ``parse_bound`` reads the ``since``/``until`` query forms of
DS-API-031.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
_NAIVE = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2})?")
_DAYS = re.compile(r"(\d{1,6})d")
_GO_DURATION = re.compile(r"(?:\d{1,9}(?:\.\d{1,9})?(?:ns|us|µs|ms|s|m|h))+")
_GO_PART = re.compile(r"(\d{1,9}(?:\.\d{1,9})?)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
BOUND_ERROR = "invalid time format: {value} (expected: 24h, 7d, or RFC3339 timestamp)"


def parse_rfc3339(text: str) -> datetime | None:
    """Return an aware datetime for an RFC 3339 date-time, or None when it is not one."""
    upper = text.upper()
    if not _RFC3339.fullmatch(upper):
        return None
    head, _, frac_tz = upper.partition(".")
    if frac_tz:  # Python reads at most 6 fractional digits; RFC 3339 allows any number
        digits = re.match(r"\d+", frac_tz)
        assert digits is not None
        upper = f"{head}.{digits.group()[:6].ljust(6, '0')}{frac_tz[digits.end() :]}"
    try:
        return datetime.fromisoformat(upper)
    except ValueError:
        return None


def format_rfc3339nano(moment: datetime) -> str:
    """Format like Go's RFC3339Nano in UTC: ``2025-12-15T19:22:33.412Z``."""
    utc = moment.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}".rstrip("0")
    return text + "Z"


def format_rfc3339(moment: datetime) -> str:
    """Second precision, UTC (DS-API-011): ``2025-12-15T19:22:33Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_bound(value: str, now: datetime) -> datetime | None:
    """Read a ``since``/``until`` value; None when it is in none of the accepted forms."""
    try:
        found = _relative(value, now) or parse_rfc3339(value) or _naive_utc(value)
        return found.astimezone(UTC) if found else None
    except (OverflowError, ValueError):
        return None


def _relative(value: str, now: datetime) -> datetime | None:
    days = _DAYS.fullmatch(value)
    if days:
        return now - timedelta(days=int(days.group(1)))
    if not _GO_DURATION.fullmatch(value):
        return None
    seconds = sum(float(n) * _UNIT_SECONDS[u] for n, u in _GO_PART.findall(value))
    return now - timedelta(seconds=seconds)


def _naive_utc(value: str) -> datetime | None:
    if not _NAIVE.fullmatch(value):
        return None
    if len(value) == 10:
        return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)
