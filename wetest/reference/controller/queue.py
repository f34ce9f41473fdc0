"""A de-duplicating, rate-limited work queue in client-go's shape.

An item is in the queue at most once ("dirty" set); an item being processed that is added again
is re-queued when ``done`` is called, so one key is never reconciled by two workers at once.
Failures are re-queued with per-item exponential backoff; ``forget`` resets it.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import deque
from collections.abc import Hashable
from typing import Generic, TypeVar

T = TypeVar("T", bound=Hashable)


class WorkQueue(Generic[T]):
    """FIFO of unique keys with delayed adds and per-key exponential failure backoff."""

    def __init__(self, base_delay: float = 0.005, max_delay: float = 60.0) -> None:
        self._cond = threading.Condition()
        self._queue: deque[T] = deque()
        self._dirty: set[T] = set()
        self._processing: set[T] = set()
        self._delayed: list[tuple[float, int, T]] = []
        self._seq = itertools.count()
        self._failures: dict[T, int] = {}
        self._base, self._max = base_delay, max_delay
        self._shutdown = False

    def add(self, item: T) -> None:
        with self._cond:
            if self._shutdown or item in self._dirty:
                return
            self._dirty.add(item)
            if item not in self._processing:
                self._queue.append(item)
                self._cond.notify()

    def add_after(self, item: T, delay: float) -> None:
        if delay <= 0:
            self.add(item)
            return
        with self._cond:
            heapq.heappush(self._delayed, (time.monotonic() + delay, next(self._seq), item))
            self._cond.notify()

    def add_rate_limited(self, item: T) -> None:
        """Re-queue after this item's next backoff step (5 ms doubling, capped)."""
        with self._cond:
            failures = self._failures.get(item, 0)
            self._failures[item] = failures + 1
        self.add_after(item, min(self._base * (2**failures), self._max))

    def forget(self, item: T) -> None:
        with self._cond:
            self._failures.pop(item, None)

    def get(self, timeout: float = 0.5) -> T | None:
        """Next item, or None when nothing is ready within timeout or after shutdown."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self._shutdown:
                self._promote_delayed()
                if self._queue:
                    item = self._queue.popleft()
                    self._dirty.discard(item)
                    self._processing.add(item)
                    return item
                wait = deadline - time.monotonic()
                if wait <= 0:
                    return None
                self._cond.wait(min(wait, self._next_delay()))
            return None

    def done(self, item: T) -> None:
        with self._cond:
            self._processing.discard(item)
            if item in self._dirty:
                self._queue.append(item)
                self._cond.notify()

    def shutdown(self) -> None:
        with self._cond:
            self._shutdown = True
            self._cond.notify_all()

    def __len__(self) -> int:
        with self._cond:
            return len(self._queue) + len(self._delayed)

    def _promote_delayed(self) -> None:
        now = time.monotonic()
        while self._delayed and self._delayed[0][0] <= now:
            _, _, item = heapq.heappop(self._delayed)
            if item not in self._dirty:
                self._dirty.add(item)
                if item not in self._processing:
                    self._queue.append(item)

    def _next_delay(self) -> float:
        if not self._delayed:
            return 0.5
        return max(0.0, self._delayed[0][0] - time.monotonic())
