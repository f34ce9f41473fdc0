"""Go ``time.Duration.String()`` for whole seconds (``0s``, ``45s``, ``2m30s``, ``1h0m0s``).

The contract's durations (status.duration, executionTimeBeforeFailure) are rounded to whole
seconds and printed the way Go prints them, so suites compare strings written by a Go controller.
"""

from __future__ import annotations

from datetime import datetime


def go_duration(seconds: float) -> str:
    """Format a duration rounded to whole seconds in Go syntax."""
    total = round(seconds)
    sign = "-" if total < 0 else ""
    total = abs(total)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{sign}{minutes}m{secs}s"
    return f"{sign}{secs}s"


def go_string(seconds: float) -> str:
    """Go's ``time.Duration.String()`` to the millisecond: ``500ms``, ``1.5s``, ``1h0m0s``.

    For durations Tekton prints from a user's spec (``spec.timeouts.pipeline: 1500ms``).
    """
    millis = round(seconds * 1000)
    if millis == 0:
        return "0s"
    if abs(millis) < 1000:
        return f"{millis}ms"
    sign, millis = ("-" if millis < 0 else ""), abs(millis)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs = f"{rest // 1000}.{rest % 1000:03d}".rstrip("0").rstrip(".")
    if hours:
        return f"{sign}{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{sign}{minutes}m{secs}s"
    return f"{sign}{secs}s"


def between(start: datetime, end: datetime) -> str:
    """Go duration of end - start, rounded to seconds."""
    return go_duration((end - start).total_seconds())


def parse_go_duration(text: str) -> float:
    """Parse ``1h2m3.5s``, ``500ms``, ``10s``, ``2m`` or a bare number of seconds."""
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    total, number, i = 0.0, "", 0
    while i < len(text):
        ch = text[i]
        if ch.isdigit() or ch == ".":
            number += ch
            i += 1
            continue
        unit = "ms" if text.startswith("ms", i) else ch
        if unit not in units or not number:
            raise ValueError(f"invalid duration {text!r}: use Go syntax such as 10s, 2m30s, 500ms")
        total += float(number) * units[unit]
        number, i = "", i + len(unit)
    if number:
        raise ValueError(f"invalid duration {text!r}: missing unit after {number}")
    return total
