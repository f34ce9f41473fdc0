"""PostgreSQL persistence for audit events: one connection pool, COPY for writes.

Why COPY: a batch is written with one binary ``COPY`` (asyncpg's ``copy_records_to_table``),
which is a single statement and therefore atomic (DS-API-021) and is the fastest way to load
rows. The caller answers 201 only after this returns, i.e. after the commit (DS-API-035).
Parents (``parent_event_id``) are looked up first so that a missing parent is a 400, not a
foreign-key failure; parents inside the same batch are allowed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date
from typing import Any

import asyncpg

from wetest.reference.datastorage import migrating
from wetest.reference.datastorage.payloads import Event
from wetest.reference.datastorage.querying import Query

COLUMNS = (
    "event_id",
    "event_version",
    "event_timestamp",
    "event_type",
    "event_category",
    "event_action",
    "event_outcome",
    "actor_type",
    "actor_id",
    "resource_type",
    "resource_id",
    "correlation_id",
    "parent_event_id",
    "parent_event_date",
    "namespace",
    "cluster_name",
    "event_data",
    "severity",
    "duration_ms",
    "error_code",
    "error_message",
    "retention_days",
    "is_sensitive",
)
SELECTED = (
    "event_id, event_version, event_timestamp, event_date, event_type, event_category, "
    "event_action, event_outcome, correlation_id, parent_event_id, parent_event_date, "
    "resource_type, resource_id, namespace, cluster_name, severity, duration_ms, "
    "error_code, error_message, actor_id, actor_type, retention_days, is_sensitive, "
    "event_data"
)


class ParentMissing(LookupError):
    """``parent_event_id`` of the event at ``index`` names no stored event."""

    def __init__(self, index: int) -> None:
        super().__init__(f"parent event does not exist (index {index})")
        self.index = index


class Store:
    """The audit_events table behind a pool; every method raises asyncpg/OS errors as-is."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    @classmethod
    async def open(cls, dsn: str, max_size: int = 20) -> Store:
        """Connect, apply migrations, and keep a pool sized for concurrent batch writers."""
        pool = await asyncpg.create_pool(dsn, min_size=2, max_size=max_size, timeout=10)
        async with pool.acquire() as conn:
            await migrating.apply(conn)
        return cls(pool)

    async def close(self) -> None:
        await self.pool.close()

    async def ping(self) -> None:
        """Raise when the database cannot answer ``SELECT 1`` within 2 s."""
        async with self.pool.acquire(timeout=2) as conn:
            await conn.fetchval("SELECT 1", timeout=2)

    async def insert(self, events: Sequence[Event]) -> None:
        """Store all events or none; return only after the commit."""
        async with self.pool.acquire() as conn:
            if not any(e.parent_event_id for e in events):
                await conn.copy_records_to_table(
                    "audit_events", records=[e.record(None) for e in events], columns=COLUMNS
                )
                return
            async with conn.transaction():
                dates = await _parent_dates(conn, events)
                await conn.copy_records_to_table(
                    "audit_events",
                    records=[e.record(dates.get(e.parent_event_id)) for e in events],
                    columns=COLUMNS,
                )

    async def query(self, q: Query) -> tuple[list[asyncpg.Record], int]:
        """One page of matching events, newest first, and the total number of matches."""
        where, args = _where(q)
        page = (
            f"SELECT {SELECTED} FROM audit_events{where} ORDER BY event_timestamp "
            f"DESC, event_id DESC LIMIT ${len(args) + 1} OFFSET ${len(args) + 2}"
        )
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(page, *args, q.limit, q.offset)
            total = await conn.fetchval(f"SELECT count(*) FROM audit_events{where}", *args)
        return list(rows), int(total)


async def _parent_dates(conn: asyncpg.Connection, events: Sequence[Event]) -> dict[Any, date]:
    """event_date of every parent, from the database or from earlier events of this batch."""
    wanted = [e.parent_event_id for e in events if e.parent_event_id]
    rows = await conn.fetch(
        "SELECT event_id, event_date FROM audit_events WHERE event_id = ANY($1::uuid[])", wanted
    )
    dates: dict[Any, date] = {r["event_id"]: r["event_date"] for r in rows}
    for index, event in enumerate(events):
        if event.parent_event_id and event.parent_event_id not in dates:
            raise ParentMissing(index)
        dates.setdefault(event.event_id, event.timestamp.astimezone(UTC).date())
    return dates


def _where(q: Query) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    args: list[Any] = []
    for column, value in [*q.filters.items(), ("since", q.since), ("until", q.until)]:
        if value is None:
            continue
        args.append(value)
        op = {"since": "event_timestamp >= ", "until": "event_timestamp <= "}.get(column)
        clauses.append(f"{op or column + ' = '}${len(args)}")
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), args
