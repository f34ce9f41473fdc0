"""A per-test timeline of WE status transitions, audit events and Kubernetes Events."""

from __future__ import annotations

from typing import Any


def build(
    wes: list[dict[str, Any]], audit: list[dict[str, Any]], events: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Entries sorted by time: {t, kind, summary, detail}."""
    flat = [e for we in wes for e in _status(we)] + _audit(audit) + _events(events)
    return sorted((e for e in flat if e["t"]), key=lambda e: str(e["t"]))


def _status(we: dict[str, Any]) -> list[dict[str, Any]]:
    name = we.get("metadata", {}).get("name", "")
    status = we.get("status") or {}
    out = [
        {
            "t": we.get("metadata", {}).get("creationTimestamp"),
            "kind": "status",
            "summary": f"{name} created",
            "detail": None,
        }
    ]
    if status.get("startTime"):
        out.append(
            {
                "t": status["startTime"],
                "kind": "status",
                "summary": f"{name} Running",
                "detail": None,
            }
        )
    if status.get("completionTime"):
        out.append(
            {
                "t": status["completionTime"],
                "kind": "status",
                "summary": f"{name} {status.get('phase')}",
                "detail": status.get("failureDetails"),
            }
        )
    for cond in status.get("conditions") or []:
        out.append(
            {
                "t": cond.get("lastTransitionTime"),
                "kind": "status",
                "summary": f"{cond.get('type')}={cond.get('status')} ({cond.get('reason')})",
                "detail": cond.get("message"),
            }
        )
    return out


def _audit(audit: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "t": e.get("event_timestamp"),
            "kind": "audit",
            "summary": f"{e.get('event_type')} ({e.get('event_outcome')})",
            "detail": e.get("event_data"),
        }
        for e in audit
    ]


def _events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "t": e.get("time"),
            "kind": "event",
            "summary": f"{e.get('type')}/{e.get('reason')}",
            "detail": e.get("message"),
        }
        for e in events
    ]
