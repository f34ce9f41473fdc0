"""Reusable expectations: a description, a match, and an optional terminal check.

A terminal check returns why success has become impossible (Tekton's ``Succeed`` returning an
error on Failed, gomega's ``StopTrying``), so a wait for Completed ends at once on Failed with
the failure details instead of running out its timeout. States are what a probe yields: an
object dict (None while absent), a list of them, or any value from a callable probe; every
expectation answers False rather than raising on a state of another shape.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wetest.domain import phases

Match = Callable[[object], bool]
Terminal = Callable[[object], "str | None"]
_MISSING: Any = object()


def _never(_: object) -> str | None:
    return None


@dataclass(frozen=True)
class Expectation:
    """What a wait expects; compose with ``&`` (both) and ``|`` (either)."""

    description: str
    match: Match
    terminal: Terminal = _never

    def __and__(self, other: Expectation) -> Expectation:
        return Expectation(
            f"({self} and {other})",
            lambda s: self.match(s) and other.match(s),
            lambda s: self.terminal(s) or other.terminal(s),
        )

    def __or__(self, other: Expectation) -> Expectation:
        return Expectation(
            f"({self} or {other})",
            lambda s: self.match(s) or other.match(s),
            lambda s: _both(self.terminal(s), other.terminal(s)),
        )

    def __str__(self) -> str:
        return self.description


def _both(left: str | None, right: str | None) -> str | None:
    """Call an alternative hopeless only when each side is."""
    return f"{left}; and {right}" if left and right else None


def _body(state: object) -> Mapping[str, Any]:
    return state if isinstance(state, Mapping) else {}


def field_at(state: object, path: str) -> Any:
    """Return the value at a dotted path ("status.pipelineRunRef.name", "items.0"), or _MISSING."""
    value: Any = state
    for part in path.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif (
            isinstance(value, Sequence)
            and not isinstance(value, str)
            and part.isdigit()
            and int(part) < len(value)
        ):
            value = value[int(part)]
        else:
            return _MISSING
    return value


def has_phase(phase: str) -> Expectation:
    """``status.phase`` equals phase (empty counts as Pending); stops once it never can."""

    def match(state: object) -> bool:
        return isinstance(state, Mapping) and phases.normalise(_phase(state)) == phase

    def terminal(state: object) -> str | None:
        if not isinstance(state, Mapping) or phases.can_still_become(_phase(state), phase):
            return None
        return f"the phase is {_phase(state)}, which can never become {phase}" + _failure_details(
            state
        )

    return Expectation(f"phase is {phase}", match, terminal)


def _phase(state: Mapping[str, Any]) -> str | None:
    phase = _body(state.get("status")).get("phase")
    return str(phase) if phase else None


def _failure_details(state: Mapping[str, Any]) -> str:
    details = _body(_body(state.get("status")).get("failureDetails"))
    if not details:
        return " (no status.failureDetails)"
    return (
        f" (failureDetails: reason={details.get('reason')!r}, message={details.get('message')!r})"
    )


def has_condition(
    type_: str,
    status: str | None = None,
    reason: str | None = None,
    message_contains: str | None = None,
) -> Expectation:
    """Expect a ``status.conditions`` entry of this type with this status/reason/message."""
    wanted = {"status": status, "reason": reason}
    parts = [f"{k}={v}" for k, v in wanted.items() if v is not None]
    if message_contains is not None:
        parts.append(f"message containing {message_contains!r}")

    def match(state: object) -> bool:
        return any(
            c.get("type") == type_
            and all(v is None or c.get(k) == v for k, v in wanted.items())
            and (message_contains is None or message_contains in str(c.get("message")))
            for c in _conditions(state)
        )

    return Expectation(f"condition {type_}" + (f" ({', '.join(parts)})" if parts else ""), match)


def _conditions(state: object) -> list[Mapping[str, Any]]:
    found = _body(_body(state).get("status")).get("conditions")
    return [c for c in found if isinstance(c, Mapping)] if isinstance(found, list) else []


def has_finalizer(name: str) -> Expectation:
    """``metadata.finalizers`` contains name."""
    return Expectation(
        f"finalizer {name} present", lambda s: name in (field_at(s, "metadata.finalizers") or ())
    )


def is_deleted() -> Expectation:
    """Expect the object to be gone (the probe observed None)."""
    return Expectation("object deleted", lambda s: s is None)


def exists() -> Expectation:
    """Expect the object to exist (possibly being deleted)."""
    return Expectation("object exists", lambda s: s is not None)


def has_field(
    path: str, value: Any = _MISSING, predicate: Callable[[Any], bool] | None = None
) -> Expectation:
    """Expect the dotted path to equal value, or satisfy predicate, or (neither) exist."""

    def match(state: object) -> bool:
        found = field_at(state, path)
        if found is _MISSING:
            return False
        if predicate is not None:
            return predicate(found)
        return value is _MISSING or found == value

    shown = f" = {value!r}" if value is not _MISSING else " set"
    return Expectation(f"{path}{' satisfies the predicate' if predicate else shown}", match)


def satisfies(
    predicate: Callable[[Any], bool], description: str, terminal: Terminal | None = None
) -> Expectation:
    """Any predicate, with the description the failure message will show."""
    return Expectation(description, predicate, terminal or _never)


def count_is(n: int) -> Expectation:
    """Expect a list state (collection probe, callable returning a sequence) of n items."""
    return Expectation(f"exactly {n} items", lambda s: _count(s) == n)


def at_least(n: int) -> Expectation:
    """Expect a list state of n or more items."""
    return Expectation(f"at least {n} items", lambda s: _count(s) >= n)


def _count(state: object) -> int:
    if isinstance(state, str | bytes) or not isinstance(state, Sequence | set):
        return -1
    return len(state)
