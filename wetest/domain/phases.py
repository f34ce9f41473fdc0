"""WorkflowExecution phases and the allowed transitions (WE-PH-001, WE-PH-002)."""

from __future__ import annotations

import enum


class Phase(enum.StrEnum):
    """Phases of v1.0; the empty phase is treated exactly as Pending (WE-PH-001)."""

    PENDING = "Pending"
    RUNNING = "Running"
    COMPLETED = "Completed"
    FAILED = "Failed"


TERMINAL: frozenset[str] = frozenset({Phase.COMPLETED, Phase.FAILED})

ALLOWED: frozenset[tuple[str, str]] = frozenset(
    {
        (Phase.PENDING, Phase.RUNNING),
        (Phase.PENDING, Phase.FAILED),
        (Phase.RUNNING, Phase.COMPLETED),
        (Phase.RUNNING, Phase.FAILED),
    }
)


def normalise(phase: str | None) -> str:
    """Map the empty/absent phase to Pending (WE-PH-001)."""
    return phase or Phase.PENDING


def can_transition(current: str | None, new: str) -> bool:
    """Tell whether current -> new is allowed (the same phase is a no-op, not allowed)."""
    return (normalise(current), new) in ALLOWED


def can_still_become(current: str | None, wanted: str) -> bool:
    """Tell whether `current` may still reach `wanted` (waits use it to stop early)."""
    cur = normalise(current)
    if cur == wanted:
        return True
    if cur in TERMINAL:
        return False
    if cur == Phase.RUNNING:
        return wanted in TERMINAL
    return True
