"""RFC 3339 timestamps as Kubernetes writes them (second precision, ``Z``)."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)


def rfc3339(moment: datetime) -> str:
    """Second precision, UTC, ``Z`` suffix: the metav1.Time wire format."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_micro(moment: datetime) -> str:
    """Fractional seconds for audit ``event_timestamp`` (WE-AUD-001)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse(text: str | None) -> datetime | None:
    """Parse an RFC 3339 timestamp (any zone, any precision); None for empty."""
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
