"""The controller's watch-fed caches: reads served as controller-runtime's cached client does.

A reconcile used to GET its WorkflowExecution and its PipelineRun from the API server: 2,000
GETs in a full run, a third of the requests kube-apiserver audited, and about 1.3 of its 11
CPU-s (docs/performance.md, Profile 10). Like a Go controller's informer cache,
these caches hold each object as the watch last delivered it, or as this controller last wrote
it (write-through: the response of its own write), the newer resourceVersion winning, so a
reconcile started by a watch event never reads older than that event. After a 409 or a 404 on
a write the key is forgotten, so the retried reconcile reads from the API server, as before. A
miss reads from the API server too, and is not cached (``kubeio.Kube``). A benign variant,
``fresh-reads``, reads every object from the API server, as the reference did before wave 8.

The WorkflowExecution cache also answers the cooldown lookup (WE-LOCK-010: "which other WEs
are on this target?") without a cluster-wide list per reconcile.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

Body = dict[str, Any]


class ObjectCache:
    """Objects by namespace and name; what it returns is a copy the caller may change."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[tuple[str, str], Body] = {}

    def get(self, namespace: str, name: str) -> Body | None:
        with self._lock:
            found = self._items.get((namespace, name))
        return copy.deepcopy(found) if found is not None else None

    def upsert(self, obj: Body) -> None:
        """Keep obj unless the cache holds a newer version of it.

        A write's response may race its own watch event, and an older event may arrive after it.
        """
        meta = obj["metadata"]
        key = (meta["namespace"], meta["name"])
        with self._lock:
            held = self._items.get(key)
            if held is None or not _older(obj, held):
                self._items[key] = copy.deepcopy(obj)

    def remove(self, obj: Body) -> None:
        """A DELETED event: drop the object, unless the name's is a newer incarnation.

        A newer incarnation has another uid: the object was deleted, then created again.
        """
        meta = obj["metadata"]
        key = (meta["namespace"], meta["name"])
        with self._lock:
            held = self._items.get(key)
            if held is None:
                return
            if held["metadata"].get("uid") == meta.get("uid") or not _older(obj, held):
                del self._items[key]

    def forget(self, namespace: str, name: str) -> None:
        """Drop the key whatever it holds: the next read goes to the API server."""
        with self._lock:
            self._items.pop((namespace, name), None)

    def values(self) -> list[Body]:
        with self._lock:
            return list(self._items.values())


class WECache(ObjectCache):
    def on_target(self, target: str) -> list[Body]:
        return [o for o in self.values() if (o.get("spec") or {}).get("targetResource") == target]


def _older(obj: Body, than: Body) -> bool:
    """Whether obj is older than ``than`` (the same name, maybe an earlier incarnation).

    resourceVersions are opaque to clients in general, but an etcd-backed API server's are
    etcd revisions: integers that increase across every object of the cluster. Anything else
    counts as not older (the cache then keeps what arrived last).
    """
    mine = obj["metadata"].get("resourceVersion", "")
    theirs = than["metadata"].get("resourceVersion", "")
    return mine.isdigit() and theirs.isdigit() and int(mine) < int(theirs)
