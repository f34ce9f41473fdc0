"""The failure text of a wait: what was expected, for how long, what was seen, and when.

The first line is a full sentence (it becomes JUnit's message and pytest's short summary);
then the last observed state as YAML (for objects: name, namespace, resourceVersion,
finalizers, deletionTimestamp and the whole status, never managedFields or spec noise), then
the history of distinct states, one line each, with times relative to the start of the wait.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wetest.waiting.history import History, Seen

META_KEYS = ("name", "namespace", "resourceVersion", "finalizers", "deletionTimestamp")
ABSENT = "<the object does not exist>"
LINE_LIMIT = 160


def is_object(state: object) -> bool:
    return isinstance(state, Mapping) and isinstance(state.get("metadata"), Mapping)


def excerpt(state: object) -> object:
    """Return the part of a state worth showing: metadata essentials and status for objects."""
    if is_object(state):
        assert isinstance(state, Mapping)
        meta = {k: state["metadata"][k] for k in META_KEYS if k in state["metadata"]}
        return {"metadata": meta, "status": state.get("status", {})}
    if isinstance(state, list) and all(is_object(s) for s in state):
        return [excerpt(s) for s in state]
    return state


def as_yaml(state: object) -> str:
    """Return the excerpt as block YAML; values YAML cannot encode are shown by repr."""
    import yaml  # only a failing wait pays for it, not `import wetest`

    if state is None:
        return ABSENT
    try:
        return yaml.safe_dump(
            excerpt(state), sort_keys=False, default_flow_style=False, width=100
        ).rstrip()
    except yaml.YAMLError:
        return repr(state)


def summary(state: object) -> str:
    """One line per state, for the history: phase, conditions, finalizers, resourceVersion."""
    if state is None:
        return ABSENT
    if is_object(state):
        assert isinstance(state, Mapping)
        return _object_summary(state)
    if isinstance(state, list) and all(is_object(s) for s in state):
        names = ", ".join(_name(s) for s in state)
        return _clip(f"{len(state)} items: {names}" if state else "0 items")
    return _clip(repr(state))


def _object_summary(obj: Mapping[str, Any]) -> str:
    meta, status = obj["metadata"], obj.get("status") or {}
    parts = [f"rv={meta.get('resourceVersion')}", f"phase={status.get('phase') or '-'}"]
    conditions = [
        f"{c.get('type')}={c.get('status')}/{c.get('reason')}"
        for c in status.get("conditions") or []
        if isinstance(c, Mapping)
    ]
    if conditions:
        parts.append(f"conditions=[{', '.join(conditions)}]")
    if status.get("failureDetails"):
        parts.append(f"failureDetails.reason={status['failureDetails'].get('reason')}")
    if meta.get("finalizers"):
        parts.append(f"finalizers={meta['finalizers']}")
    if meta.get("deletionTimestamp"):
        parts.append("deleting")
    return _clip(" ".join(parts))


def _name(obj: Mapping[str, Any]) -> str:
    phase = (obj.get("status") or {}).get("phase")
    return str(obj["metadata"].get("name", "?")) + (f" ({phase})" if phase else "")


def _clip(text: str) -> str:
    return text if len(text) <= LINE_LIMIT else text[: LINE_LIMIT - 3] + "..."


def history_lines(history: History) -> list[str]:
    """Return one line per distinct state, oldest first, with repeats folded."""
    lines = [_entry(history.entries[0])] if history.entries else []
    if history.omitted:
        lines.append(f"  ... {history.omitted} more distinct states omitted ...")
    return lines + [_entry(seen) for seen in history.entries[1:]]


def _entry(seen: Seen) -> str:
    repeat = f"  (seen {seen.count} times, until +{seen.last:.3f}s)" if seen.count > 1 else ""
    return f"  +{seen.first:.3f}s  {summary(seen.state)}{repeat}"


def report(headline: str, probe: object, history: History) -> str:
    """Build the full message: headline sentence, evidence, last state, history."""
    last = history.last
    lines = [headline, f"Probe: {probe}."]
    lines.append(f"Observed {history.observations} times, {history.distinct} distinct states.")
    if last is not None:
        lines.append(f"Last observed state (at +{last.last:.3f}s):")
        lines += ["  " + line for line in as_yaml(last.state).splitlines()]
        lines.append("History of distinct states (seconds since the wait began):")
        lines += history_lines(history)
    return "\n".join(lines)


def subject(expectation: object, description: str | None) -> str:
    return f"{description} ({expectation})" if description else str(expectation)


def name_of(probe: object) -> str:
    """How the probe reads in a message: a Probe's ref, else the callable's name."""
    if not callable(probe):
        return str(probe)
    return str(getattr(probe, "__qualname__", None) or repr(probe))
