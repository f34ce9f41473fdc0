"""Markers: we_conformance(area, *clause_ids), we_disruptive, we_long, we_wait(timeout=, ...).

Clause IDs are validated against the contract's shape (``WE-PR-001``, ``DS-API-031``) at
collection, so a typo fails the run instead of silently covering nothing.
"""

from __future__ import annotations

import re

import pytest

CLAUSE = re.compile(r"^(WE-[A-Z]+|DS-[A-Z]+|ENV)-\d{3}$")
AREAS = (
    "lifecycle",
    "conditions",
    "audit",
    "deletion",
    "cooldown",
    "validation",
    "resilience",
    "datastorage",
    "pipelinerun",
    "failure",
)
PROFILE_BY_PREFIX = (
    ("WE-COND", "conditions"),
    ("WE-AUD", "audit"),
    ("WE-STAT-004", "audit"),
    ("WE-BUF", "extended"),
    ("WE-EVT", "extended"),
    ("WE-MET", "extended"),
    ("WE-SKIP", "extended"),
    ("WE-FIN-002", "extended"),
    ("WE-LOCK-012", "extended"),
    ("WE-DEL-002", "extended"),
    ("DS-", "datastorage"),
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "we_conformance(area, *clause_ids): a conformance test of AREA citing the "
        "DOMAIN.md clause IDs it checks; selects with -m we_conformance.",
    )
    config.addinivalue_line(
        "markers",
        "we_disruptive: stops or restarts a stack component (the controller, "
        "DataStorage); run last and serialised.",
    )
    config.addinivalue_line(
        "markers",
        "we_long: waits out a controller timer (the cooldown) by design; started first so "
        "the wait overlaps other tests.",
    )
    config.addinivalue_line(
        "markers", "we_wait(timeout=None, interval=None): per-test defaults for eventually."
    )


def clauses_of(item: pytest.Item) -> tuple[str, list[str]]:
    """Return (area, clause IDs) of an item's we_conformance marker, or ('', [])."""
    marker = item.get_closest_marker("we_conformance")
    if marker is None or not marker.args:
        return "", []
    return str(marker.args[0]), [str(a) for a in marker.args[1:]]


def profile_of(clauses: list[str]) -> str:
    """The highest profile a test needs: a test citing WE-COND-* belongs to 'conditions'."""
    for prefix, profile in PROFILE_BY_PREFIX:
        if any(c.startswith(prefix) for c in clauses):
            return profile
    return "core"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Validate markers; keep the selected profiles; long waits first, disruptive tests last.

    Disruptive tests are serialised by the stack's lock (``_we_barrier``), not by an
    ``xdist_group``: grouping silently stopped working with pytest 9.2 (pytest-xdist#1386).
    """
    _deselect_profiles(config, items)
    for item in items:
        area, clauses = clauses_of(item)
        if item.get_closest_marker("we_conformance") is not None:
            _validate(item, area, clauses)
    items.sort(key=_schedule_rank)


def _schedule_rank(item: pytest.Item) -> int:
    """Long waits first, disruptive tests last, the rest in collection order (a stable sort).

    Disruptive tests take the stack exclusively, so they wait for every test in flight: a
    10 s cooldown test handed out late would hold all of them up. Started first, its wait
    overlaps everything else.
    """
    if item.get_closest_marker("we_disruptive") is not None:
        return 2
    return 0 if item.get_closest_marker("we_long") is not None else 1


def _validate(item: pytest.Item, area: str, clauses: list[str]) -> None:
    if area not in AREAS:
        raise pytest.UsageError(
            f"{item.nodeid}: we_conformance area '{area}' is unknown. "
            f"Use one of: {', '.join(AREAS)}."
        )
    bad = [c for c in clauses if not CLAUSE.match(c)]
    if not clauses or bad:
        raise pytest.UsageError(
            f"{item.nodeid}: we_conformance needs clause IDs like "
            f"WE-PR-001; got {bad or 'none'}. Fix the marker."
        )


def _deselect_profiles(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Drop conformance tests of profiles not selected (--wetest-profile)."""
    from wetest.plugin import session

    wanted = set(session.get(config).profile)
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        conformance = item.get_closest_marker("we_conformance") is not None
        profile = profile_of(clauses_of(item)[1])
        (drop if conformance and profile not in wanted else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
