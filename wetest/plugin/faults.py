"""The ``we_faults`` fixture: inject faults into the run's stack from an ordinary test.

A thin adapter over ``wetest.faults``: it binds the faults to the supervisor's command channel,
insists that the test is marked ``we_disruptive`` (a fault affects every test running at the
same time, so such tests run alone), restores the stack at teardown, and puts what was
injected into the test's report (``user_properties`` key ``wetest_faults``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from wetest.errors import ConfigError
from wetest.faults.outages import Faults
from wetest.plugin.stack import StackHandle

PROPERTY = "wetest_faults"
"""The user_properties key; its value is the JSON list of injected faults (kind, seconds, ...)."""


@pytest.fixture
def we_faults(request: pytest.FixtureRequest, we_stack: StackHandle) -> Iterator[Faults]:
    """Faults for this test: ``apiserver_restart()``, ``datastorage_outage(seconds=10)``, ...

    See ``wetest.faults.outages.APPLIES`` for the targets and stacks each fault applies to.
    """
    if request.node.get_closest_marker("we_disruptive") is None:
        raise ConfigError(
            f"{request.node.nodeid} uses we_faults but is not marked we_disruptive. A fault "
            "hits every test running at the same time; add @pytest.mark.we_disruptive so it "
            "runs alone."
        )
    faults = Faults(we_stack.command, we_stack.refresh)
    try:
        yield faults
    finally:
        injected = faults.restore()
        we_stack.refresh()
        request.node.user_properties.append((PROPERTY, json.dumps(injected)))
