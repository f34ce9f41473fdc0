"""The ``we_faults`` fixture: inject faults into the run's stack from an ordinary test.

A thin adapter over ``wetest.faults``: it binds the faults to the supervisor's command channel,
insists that the test is marked ``we_disruptive`` (a fault affects every test running at the
same time, so such tests run alone), restores the stack at teardown, and puts what was
injected into the test's report (``user_properties`` key ``wetest_faults``).

After the body of a test that used it passes, the harness checks the invariants of
``wetest.faults.invariants`` over every WE the test created (the test does not): a violation
fails the test in its call phase, attributed to the clause it breaks when the test cites it.
``we_long`` tests also wait out the cooldown to check that no PipelineRun is left.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING

import pytest

from wetest import checks
from wetest.errors import ConfigError
from wetest.plugin import isolation, markers
from wetest.plugin.resources import created_objects
from wetest.plugin.stack import HANDLE_KEY
from wetest.supervision.handle import StackHandle

if TYPE_CHECKING:  # imported when a test uses the fixture: every worker imports this module
    from wetest.faults import invariants
    from wetest.faults.outages import Faults

PROPERTY = "wetest_faults"
"""The user_properties key; its value is the JSON list of injected faults (kind, seconds, ...)."""
FAULTS = pytest.StashKey["Faults"]()


@pytest.fixture
def we_faults(request: pytest.FixtureRequest, we_stack: StackHandle) -> Iterator[Faults]:
    """Faults for this test: ``apiserver_restart()``, ``datastorage_outage(seconds=10)``, ...

    See ``wetest.faults.outages.APPLIES`` for the targets and stacks each fault applies to.
    """
    from wetest.faults.outages import Faults

    if request.node.get_closest_marker("we_disruptive") is None:
        raise ConfigError(
            f"{request.node.nodeid} uses we_faults but is not marked we_disruptive. A fault "
            "hits every test running at the same time; add @pytest.mark.we_disruptive so it "
            "runs alone."
        )
    faults = Faults(we_stack.command, we_stack.refresh)
    request.node.stash[FAULTS] = faults
    try:
        yield faults
    finally:
        injected = faults.restore()
        we_stack.refresh()
        request.node.user_properties.append((PROPERTY, json.dumps(injected)))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """After a passing body that injected faults: end them, then check the invariants."""
    result = yield
    faults = item.stash.get(FAULTS, None)
    handle = item.config.stash.get(HANDLE_KEY, None)
    wes = created_objects(item)
    if faults is None or handle is None or not wes:
        return result
    import httpx

    from wetest.domain import durations
    from wetest.faults import invariants
    from wetest.kube import clients
    from wetest.stack import apiaudit

    injected = faults.restore()
    budget = invariants.Budget(
        cooldown=durations.parse_go_duration(isolation.cooldown(item)),
        wait_for_cooldown=item.get_closest_marker("we_long") is not None,
    )
    api = getattr(item, "funcargs", {}).get("we_kube") or clients.api_client(
        handle.endpoints.kubeconfig_of("harness"), user_agent=apiaudit.USER_AGENTS["harness"]
    )
    with httpx.Client(base_url=handle.endpoints.datastorage, timeout=10.0) as audit:
        tally = invariants.observe(api, audit, wes, handle.endpoints.execution_namespace, budget)
    if tally.violations:
        _fail(item, invariants.InvariantViolated(tally.violations, injected))
    return result


def _fail(item: pytest.Item, error: invariants.InvariantViolated) -> None:
    """Raise the violation inside the check of its clause, when the test cites that clause."""
    cited = markers.clauses_of(item)[1]
    clause = error.violations[0].clause
    with checks.check(clause) if clause in cited else contextlib.nullcontext():
        raise error
