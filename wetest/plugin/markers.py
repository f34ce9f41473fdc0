"""Markers: we_conformance, we_disruptive(*components), we_uses(*components), we_long, we_tekton.

Clause IDs are validated against the contract's shape (``WE-PR-001``, ``DS-API-031``) at
collection, so a typo fails the run instead of silently covering nothing.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import TypeVar

import pytest

from wetest import checks

CLAUSE = checks.CLAUSE
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
TEKTON_TIERS = ("stand-in", "real")
T = TypeVar("T")
EXCLUSIONS_FILE = "exclusions.json"
"""Written into the results folder at collection (every xdist worker collects; the controller
process, which writes run.json, does not), read back into run.json's ``exclusions``."""

PROFILE_OPTIONS = {
    "Core": "core",
    "Cond": "conditions",
    "Audit": "audit",
    "Ext": "extended",
    "DS": "datastorage",
}
"""The ``--wetest-profile`` name of each DOMAIN tag, in DOMAIN §0.5 order; ENV has none."""

FALLBACK_BY_PREFIX = (
    ("WE-COND", "Cond"),
    ("WE-AUD", "Audit"),
    ("WE-BUF", "Ext"),
    ("WE-EVT", "Ext"),
    ("WE-MET", "Ext"),
    ("WE-SKIP", "Ext"),
    ("DS-", "DS"),
    ("ENV-", "Env"),
)
"""Tags by area for a well-formed ID the shipped catalogue does not know (a newer contract)."""


@functools.cache
def _catalogue_tags() -> dict[str, str]:
    from wetest.report import clauses

    return {clause.id: clause.profile for clause in clauses.load().values()}


def tag_of(clause: str) -> str:
    """A clause's profile tag from the catalogue (DOMAIN §0.4), not from the test citing it."""
    tag = _catalogue_tags().get(clause)
    if tag is not None:
        return tag
    return next((t for prefix, t in FALLBACK_BY_PREFIX if clause.startswith(prefix)), "Core")


def profiles_of(clauses: list[str]) -> list[str]:
    """The ``--wetest-profile`` names of a test's clauses, in DOMAIN §0.5 order (ENV: none)."""
    tags = {tag_of(c) for c in clauses}
    return [name for tag, name in PROFILE_OPTIONS.items() if tag in tags]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "we_conformance(area, *clause_ids): a conformance test of AREA citing the "
        "DOMAIN.md clause IDs it checks; selects with -m we_conformance.",
    )
    config.addinivalue_line(
        "markers",
        "we_disruptive(*components): stops or restarts stack components (apiserver, tekton, "
        "datastorage, controller; none named: all); holds them exclusively and runs after "
        "the tests that use them (wetest.plugin.locks).",
    )
    config.addinivalue_line(
        "markers",
        "we_uses(*components): the stack components a test depends on, when its fixtures "
        "do not say (wetest.plugin.locks.USES).",
    )
    config.addinivalue_line(
        "markers",
        "we_long: waits out a controller timer (the cooldown) by design; started first so "
        "the wait overlaps other tests.",
    )
    config.addinivalue_line(
        "markers",
        "we_cooldown(duration): the test needs a cooldown but not ENV-004's value; it runs on "
        "an isolated instance with this one (wetest.plugin.isolation) and reads the "
        "we_cooldown fixture.",
    )
    config.addinivalue_line(
        "markers",
        "we_tekton(*tiers, reason=''): runs only on these Tekton tiers (stand-in, real); on "
        "another tier the test is deselected and listed in run.json's exclusions with the reason.",
    )


def clauses_of(item: pytest.Item) -> tuple[str, list[str]]:
    """Return (area, clause IDs) of an item's we_conformance marker, or ('', [])."""
    marker = item.get_closest_marker("we_conformance")
    if marker is None or not marker.args:
        return "", []
    return str(marker.args[0]), [str(a) for a in marker.args[1:]]


def profile_of(clauses: list[str]) -> str:
    """The first profile (DOMAIN §0.5 order) among a test's clauses; informational only.

    Profiles belong to clauses, not tests (DOMAIN §0.6): selection uses ``profiles_of`` and the
    conformance report judges each clause by its own tag.
    """
    return next(iter(profiles_of(clauses)), "core")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Validate markers; keep the selected profiles; long waits first, disruptive tests late.

    Disruptive tests are serialised by the stack's component locks (``wetest.plugin.locks``),
    not by an ``xdist_group``: grouping silently stopped working with pytest 9.2
    (pytest-xdist#1386).
    """
    from wetest.plugin import isolation, locks

    _deselect_profiles(config, items)
    _deselect_tiers(config, items)
    for item in items:
        area, clauses = clauses_of(item)
        if item.get_closest_marker("we_conformance") is not None:
            _validate(item, area, clauses)
        locks.validate(item)
        isolation.marked_cooldown(item)  # a malformed we_cooldown fails collection
    ranks = {item.nodeid: _schedule_rank(item) for item in items}
    items.sort(key=lambda item: ranks[item.nodeid])
    workers = int(getattr(config, "workerinput", {}).get("workercount", 0))
    items[:] = spread(items, workers, [ranks[item.nodeid][0] == 0 for item in items])


def spread(items: list[T], workers: int, long: list[bool]) -> list[T]:
    """Order for ``--dist loadgroup``: one long test per worker first, then short ones.

    The scheduler hands each worker two tests at the start (positions ``k`` and ``k + workers``)
    and then the next one whenever a test ends, so every worker is committed to its next test
    while it runs the current one. With the long tests side by side at the head, worker ``k``
    got long tests ``k`` and ``k + workers`` back to back (CI's critical path: a 10 s cooldown
    test, then the 19 s API-server restart on the same worker). Here the second test of every
    worker is a short one, and each further long test goes to the first worker that is free.
    """
    if workers < 2:
        return items
    first = [item for item, is_long in zip(items, long, strict=True) if is_long]
    rest = [item for item, is_long in zip(items, long, strict=True) if not is_long]
    return first[:workers] + rest[:workers] + first[workers:] + rest[workers:]


def _schedule_rank(item: pytest.Item) -> tuple[int, int]:
    """Long waits; the rest; disruptive tests; stack tests that leave the controller alone.

    Collection order within each rank (a stable sort). A test planned on an isolated instance
    (``wetest.plugin.isolation``) waits for nobody: it is long (a restart, an outage, a
    cooldown), so it starts first. Longest first among the long ones, as far as the markers
    tell: the disruptive ones (a restart or an outage, then the wait for every execution to
    finish: 7-23 s at ``-n 12``), then the waits for the contract's 10 s cooldown on the main
    controller, then the shorter cooldowns of ``we_cooldown`` instances (5-7 s). With 12
    workers those are the 12 longest tests, one per worker; handed out in collection order,
    two 10 s cooldown tests ran back to back on one worker late in the run (wave 7's profile:
    its critical path). First of all the API-server restart, the longest (18 s, 5 of it its
    replica's start): as the first test of a worker its set-up overlaps the stack's start,
    handed out when the lanes open it was the run's critical path (wave 11's profile).
    Disruptive tests hold what they disrupt exclusively, so they wait for every test in flight
    that uses it: a 10 s cooldown test handed out late would hold all of them up, and started
    first its wait overlaps everything else. The tests handed out after them (the DataStorage
    API and CRD schema tests) do not use the controller, so the other workers run them while
    a disruptive test holds it.
    """
    from wetest.plugin import isolation, locks

    disruptive = item.get_closest_marker("we_disruptive") is not None
    if isolation.planned(item):
        if isolation.REPLICATED in locks.disrupts(item):
            return (0, 0)
        return (0, 1 if disruptive else 3)
    if disruptive:
        return (2, 0)
    if item.get_closest_marker("we_long") is not None:
        return (0, 2)
    if "we_stack" in getattr(item, "fixturenames", ()) and "controller" not in locks.uses(item):
        return (3, 0)
    return (1, 0)


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


def selected(clauses: list[str], wanted: set[str]) -> bool:
    """A test runs when any of its clauses belongs to a selected profile (or it cites only ENV).

    Its clauses of unselected profiles are still recorded; the report does not count them.
    """
    profiles = profiles_of(clauses)
    return not profiles or any(p in wanted for p in profiles)


def _deselect_profiles(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Drop conformance tests none of whose clauses is in a selected profile (--wetest-profile)."""
    from wetest.plugin import session

    wanted = set(session.get(config).profile)
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        conformance = item.get_closest_marker("we_conformance") is not None
        keep_it = not conformance or selected(clauses_of(item)[1], wanted)
        (keep if keep_it else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def tiers_of(item: pytest.Item) -> tuple[str, ...]:
    """The Tekton tiers a test runs on (its we_tekton marker), or every tier without one."""
    marker = item.get_closest_marker("we_tekton")
    if marker is None:
        return TEKTON_TIERS
    tiers = tuple(str(a) for a in marker.args)
    unknown = [t for t in tiers if t not in TEKTON_TIERS]
    if not tiers or unknown:
        raise pytest.UsageError(
            f"{item.nodeid}: we_tekton needs tiers among {', '.join(TEKTON_TIERS)}; "
            f"got {unknown or 'none'}. Fix the marker."
        )
    return tiers


def _deselect_tiers(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Drop tests that do not apply to this run's Tekton tier; list each with the reason.

    An exclusion, not a skip: the test never starts, and run.json (``exclusions``) and the
    conformance report (``excluded``) name it and say why, so the count is visible.
    """
    from wetest.plugin import session

    tier = session.get(config).tekton_tier
    keep: list[pytest.Item] = []
    excluded: list[dict[str, str]] = []
    for item in items:
        tiers = tiers_of(item)
        if tier in tiers:
            keep.append(item)
            continue
        marker = item.get_closest_marker("we_tekton")
        why = str(marker.kwargs.get("reason", "")) if marker is not None else ""
        excluded.append(
            {
                "test": item.nodeid,
                "reason": f"runs only with Tekton tier {' or '.join(tiers)}"
                + (f" ({why})" if why else "")
                + f"; this run uses {tier} (--wetest-tekton; backend kind is always real)",
            }
        )
    _record_exclusions(config, excluded)
    if excluded:
        drop = [i for i in items if i not in keep]
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _record_exclusions(config: pytest.Config, excluded: list[dict[str, str]]) -> None:
    """Write the exclusions for run.json (atomically: every worker writes the same list).

    Without exclusions nothing is created (a plain pytest run leaves no folder behind); a
    stale list from an earlier run into the same folder is removed.
    """
    from wetest.plugin import session

    out = session.get(config).results_dir.resolve()
    if not excluded:
        if out.is_dir():
            (out / EXCLUSIONS_FILE).unlink(missing_ok=True)
        return
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f".{EXCLUSIONS_FILE}.{os.getpid()}"
    tmp.write_text(json.dumps(excluded, indent=2))
    tmp.replace(out / EXCLUSIONS_FILE)


def recorded_exclusions(results_dir: Path) -> list[dict[str, str]]:
    """The exclusions written at collection, or none (a run that collected nothing)."""
    try:
        found = json.loads((results_dir / EXCLUSIONS_FILE).read_text())
    except (OSError, ValueError):
        return []
    return [dict(e) for e in found if isinstance(e, dict)]
