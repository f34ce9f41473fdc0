"""A durable on-disk spool of audit events with an exactly-once ledger (WE-BUF-007).

Layout under the spool directory::

    pending/<seq>-<keyhash>.json   one event each: {"key": ..., "event": {...}}, written atomically
    inflight.json                  names of the batch being sent (its outcome may be unknown)
    delivered.log                  one idempotency key per line, appended after a 2xx
    rejected/                      events DataStorage refused with 4xx (kept, never resent)

An event is admitted once per key for the spool's lifetime (pending or delivered), so repeated
reconciles or a restart never produce a second copy; a batch whose POST outcome is unknown is
checked against DataStorage before it is sent again (see ``audit.py``).
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Entry:
    path: Path
    key: str
    event: dict[str, Any]


class Spool:
    """Pending events in file order plus the set of keys ever admitted."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.pending_dir = root / "pending"
        self.rejected_dir = root / "rejected"
        self.inflight_path = root / "inflight.json"
        self.ledger_path = root / "delivered.log"
        self.intents_dir = root / "intents"
        for folder in (self.pending_dir, self.rejected_dir, self.intents_dir):
            folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._delivered = set(self._read_ledger())
        self._pending = {e.key: e for e in self._scan()}
        self._seq = 1 + max((int(p.name.split("-")[0]) for p in self._files()), default=0)

    def _files(self) -> list[Path]:
        return sorted(self.pending_dir.glob("*.json"))

    def _read_ledger(self) -> list[str]:
        if not self.ledger_path.is_file():
            return []
        return [line for line in self.ledger_path.read_text().splitlines() if line]

    def _scan(self) -> list[Entry]:
        entries = []
        for path in self._files():
            data = json.loads(path.read_text())
            entries.append(Entry(path, data["key"], data["event"]))
        return entries

    def seen(self, key: str) -> bool:
        with self._lock:
            return key in self._delivered or key in self._pending

    def __len__(self) -> int:
        with self._lock:
            return len(self._pending)

    def admit(self, key: str, event: dict[str, Any]) -> bool:
        """Write the event durably unless its key was admitted before; True if written."""
        with self._lock:
            if key in self._delivered or key in self._pending:
                return False
            digest = hashlib.sha256(key.encode()).hexdigest()[:16]
            path = self.pending_dir / f"{self._seq:012d}-{digest}.json"
            self._seq += 1
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps({"key": key, "event": event}))
            tmp.replace(path)
            self._pending[key] = Entry(path, key, event)
            return True

    def batch(self, size: int) -> list[Entry]:
        with self._lock:
            return sorted(self._pending.values(), key=lambda e: e.path.name)[:size]

    def mark_inflight(self, entries: list[Entry]) -> None:
        """Atomically (write, then rename): a kill mid-write must not leave a torn file."""
        tmp = self.inflight_path.with_name(self.inflight_path.name + ".tmp")
        tmp.write_text(json.dumps([e.key for e in entries]))
        tmp.replace(self.inflight_path)

    def inflight_keys(self) -> list[str]:
        """Keys of the batch whose POST outcome is unknown; [] when none.

        A torn file (from a spool written before writes were atomic) can only come from a kill
        before the POST was sent, so it means "nothing in flight".
        """
        try:
            keys: list[str] = json.loads(self.inflight_path.read_text())
        except FileNotFoundError:
            return []
        except ValueError:
            return []
        return keys

    def clear_inflight(self) -> None:
        self.inflight_path.unlink(missing_ok=True)

    def delivered(self, entries: list[Entry]) -> None:
        """Record keys in the ledger first, then remove the files (crash-safe order)."""
        with self._lock:
            with self.ledger_path.open("a") as ledger:
                ledger.writelines(e.key + "\n" for e in entries)
            for entry in entries:
                self._delivered.add(entry.key)
                self._pending.pop(entry.key, None)
                entry.path.unlink(missing_ok=True)

    def rejected(self, entries: list[Entry]) -> None:
        with self._lock:
            for entry in entries:
                self._delivered.add(entry.key)
                self._pending.pop(entry.key, None)
                if entry.path.exists():
                    entry.path.replace(self.rejected_dir / entry.path.name)

    # --- write-ahead intents: an event whose transition write is in flight ------------------

    def _intent_path(self, key: str) -> Path:
        return self.intents_dir / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.json"

    def intend(self, key: str, event: dict[str, Any]) -> None:
        """Record, before the status write, the event that write's commit will owe.

        A crash between the committed write and :meth:`admit` would otherwise lose the event
        for good: the restarted controller sees the transition made and emits nothing.
        """
        path = self._intent_path(key)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"key": key, "event": event}))
        tmp.replace(path)

    def settle(self, key: str) -> None:
        """The write's outcome is known (committed and admitted, or failed): drop the intent."""
        self._intent_path(key).unlink(missing_ok=True)

    def intents(self) -> list[tuple[str, dict[str, Any]]]:
        """Intents on disk (left by a process that died mid-write, when read at start)."""
        found = []
        for path in sorted(self.intents_dir.glob("*.json")):
            data = json.loads(path.read_text())
            found.append((str(data["key"]), data["event"]))
        return found

    def entry(self, key: str) -> Entry | None:
        with self._lock:
            return self._pending.get(key)
