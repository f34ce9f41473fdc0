"""The watch-fed cache of WorkflowExecutions, used only for the cooldown lookup (WE-LOCK-010).

Reconciles read the object itself fresh from the API server; the cache answers the question
"which other WEs are on this target?" without a cluster-wide list per reconcile, as a
controller-runtime cached client would.
"""

from __future__ import annotations

import threading
from typing import Any

Body = dict[str, Any]


class WECache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[tuple[str, str], Body] = {}

    def upsert(self, obj: Body) -> None:
        meta = obj["metadata"]
        with self._lock:
            self._items[(meta["namespace"], meta["name"])] = obj

    def remove(self, obj: Body) -> None:
        meta = obj["metadata"]
        with self._lock:
            self._items.pop((meta["namespace"], meta["name"]), None)

    def on_target(self, target: str) -> list[Body]:
        with self._lock:
            return [
                o
                for o in self._items.values()
                if (o.get("spec") or {}).get("targetResource") == target
            ]
