"""A per-test timeline of WE status transitions, audit events, Kubernetes Events, API calls.

API calls (from kube-apiserver's audit log, see ``wetest.stack.apiaudit``) are the writes and
every refused request: reads succeed by the hundred and would bury the story.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

READS = frozenset({"get", "list", "watch"})


def build(
    wes: list[dict[str, Any]],
    audit: list[dict[str, Any]],
    events: list[dict[str, Any]],
    calls: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Entries sorted by time: {t, kind, summary, detail}."""
    flat = (
        [e for we in wes for e in _status(we)]
        + _audit(audit)
        + _events(events)
        + _api_calls(calls or [])
    )
    return sorted((e for e in flat if e["t"]), key=lambda e: _instant(e["t"]))


def _instant(value: Any) -> tuple[float, str]:
    """Sort key: seconds-resolution status stamps and µs audit stamps on one time line."""
    text = str(value)
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp(), text
    except ValueError:
        return float("inf"), text


def _api_calls(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for c in calls:
        code = c.get("code")
        if c.get("verb") in READS and isinstance(code, int) and code < 300:
            continue
        resource = c.get("resource", "") + (f"/{c['subresource']}" if c.get("subresource") else "")
        where = "/".join(str(part) for part in (c.get("namespace"), c.get("name")) if part)
        answer = f"{code} {c.get('reason') or ''}".strip()
        out.append(
            {
                "t": c.get("time"),
                "kind": "api",
                "summary": f"{c.get('actor')} {c.get('verb')} {resource} {where} -> {answer}",
                "detail": c.get("message") or None,
            }
        )
    return out


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
