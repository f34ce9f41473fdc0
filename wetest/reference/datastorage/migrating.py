"""Apply the numbered SQL files in ``migrations/`` at start-up, each exactly once.

Idempotent and safe when several DataStorage processes start against one database together:
the run holds a transaction-scoped advisory lock, and every applied file is recorded in
``datastorage_migrations``. Files are named ``NNN_description.sql`` and run in number order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import asyncpg

LOCK_KEY = 0x57455453  # "WETS": any constant shared by every DataStorage process
_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
_LEDGER = """CREATE TABLE IF NOT EXISTS datastorage_migrations (
    version integer PRIMARY KEY, name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now())"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def bundled() -> list[Migration]:
    """Return the migrations shipped beside this module, in version order."""
    folder = resources.files(__package__) / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text()))
    return sorted(found, key=lambda m: m.version)


async def apply(conn: asyncpg.Connection) -> list[str]:
    """Apply every bundled migration not yet recorded; return the names applied now."""
    applied: list[str] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", LOCK_KEY)
        await conn.execute(_LEDGER)
        rows = await conn.fetch("SELECT version FROM datastorage_migrations")
        done = {r["version"] for r in rows}
        for migration in bundled():
            if migration.version in done:
                continue
            await conn.execute(migration.sql)
            await conn.execute(
                "INSERT INTO datastorage_migrations (version, name) VALUES ($1, $2)",
                migration.version,
                migration.name,
            )
            applied.append(migration.name)
    return applied
