"""controller-runtime's shapes: ``Request`` (a key) and ``Result`` (when to look again)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Request:
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class Result:
    """``requeue`` = look again now; ``requeue_after`` > 0 = look again after that many seconds."""

    requeue: bool = False
    requeue_after: float = 0.0
