"""The distinct states a wait observed, with when each was first and last seen.

Consecutive identical observations fold into one entry ("seen 14 times"), so a 15 s poll of
an unchanging object is one line while a flip A -> B -> A stays three. The list is bounded:
the first state is kept (it is where the wait started) and the oldest of the rest are dropped.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

LIMIT = 40


@dataclass
class Seen:
    """One distinct state; times are seconds since the wait began."""

    state: object
    first: float
    last: float
    count: int = 1


class History:
    """Observations of one wait, in order."""

    def __init__(self, started: float | None = None, limit: int = LIMIT) -> None:
        self.started = time.monotonic() if started is None else started
        self.limit = limit
        self.entries: list[Seen] = []
        self.observations = 0
        self.omitted = 0
        self._last_key: str | None = None

    def add(self, state: object, at: float | None = None) -> None:
        """Record one observation (``at`` is a ``time.monotonic()`` value, default now)."""
        offset = (time.monotonic() if at is None else at) - self.started
        self.observations += 1
        key = _key(state)
        if self.entries and key == self._last_key:
            self.entries[-1].last, self.entries[-1].count = offset, self.entries[-1].count + 1
            return
        self._last_key = key
        self.entries.append(Seen(state, offset, offset))
        if len(self.entries) > self.limit:
            del self.entries[1]
            self.omitted += 1

    @property
    def last(self) -> Seen | None:
        return self.entries[-1] if self.entries else None

    @property
    def distinct(self) -> int:
        return len(self.entries) + self.omitted


def _key(state: object) -> str:
    """Compare states by value; repr covers what JSON cannot encode."""
    return json.dumps(state, sort_keys=True, default=repr)
