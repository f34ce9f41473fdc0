"""Per-test timing for ``bench/suite_profile.py``: a ``wetest-timing`` user property.

The setup report carries ``{"marks": [...], "lock": s}``: the test's scheduling markers and the
seconds ``_we_barrier`` waited for the stack's locks (``wetest.plugin.locks``). The call report
carries ``{"waits": {key: s}}``, the seconds inside ``eventually``/``consistently`` by subject
(``wetest.waiting.timing``). xdist forwards user properties to the controlling process, where
``wetest.plugin.results`` merges them into results.jsonl ``timing``. Cheap: two clock reads per
wait and per lock.
"""

from __future__ import annotations

import json
from collections.abc import Generator

import pytest

from wetest.waiting import timing

PROPERTY = "wetest-timing"
TALLY = pytest.StashKey[timing.Tally]()
SCHEDULING = frozenset({"we_long", "we_disruptive", "we_cooldown"})
"""The markers that shape the schedule, recorded so the profile can name cooldown waits."""
LOCK_WAIT = pytest.StashKey[float]()
"""Seconds the test's setup waited for the stack's locks (set by ``locks._we_barrier``)."""


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    tally = timing.Tally()
    item.stash[TALLY] = tally
    token = timing.activate(tally)
    try:
        return (yield)
    finally:
        timing.deactivate(token)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report: pytest.TestReport = yield
    data: dict[str, object] = {}
    if report.when == "setup":
        data["marks"] = sorted({m.name for m in item.iter_markers() if m.name in SCHEDULING})
        if LOCK_WAIT in item.stash:
            waited: float = item.stash[LOCK_WAIT]
            data["lock"] = round(waited, 3)
    if report.when == "call" and TALLY in item.stash:
        data["waits"] = {k: round(v, 3) for k, v in item.stash[TALLY].seconds.items()}
    if data:
        report.user_properties.append((PROPERTY, json.dumps(data)))
    return report


def of(report: pytest.TestReport) -> dict[str, object]:
    """The timing a worker attached to one phase's report ({} when none)."""
    for key, value in report.user_properties:
        if key == PROPERTY:
            parsed: dict[str, object] = json.loads(str(value))
            return parsed
    return {}
