"""Per-clause results of each test: a ``wetest-clauses`` user property on its reports.

The library side is ``wetest.checks``: this module opens a ``Ledger`` around each test's call,
fails the test at its end when soft checks failed, and writes every cited or checked clause's
verdict (``judge``) as JSON into the report's ``user_properties``. xdist forwards those to the
controlling process, where ``wetest.plugin.results`` stores them as ``clause_results``.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable, Generator
from typing import Any

import pytest

from wetest import checks
from wetest.plugin import markers

PROPERTY = "wetest-clauses"
"""The user_properties key; its value is ``{clause: {"result": ..., "message": ...}}`` as JSON."""

LEDGER = pytest.StashKey[checks.Ledger]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """Record the test's checks; after a body that finished, fail on its soft failures.

    Only conformance tests (a we_conformance marker) get a ledger; elsewhere checks run plain.
    """
    cited = tuple(markers.clauses_of(item)[1])
    if not cited:
        return (yield)
    ledger = checks.Ledger(cited=cited)
    item.stash[LEDGER] = ledger
    token = checks.activate(ledger)
    try:
        yield
    finally:
        checks.deactivate(token)
    if ledger.soft_failures:
        raise checks.SoftChecksFailed(ledger.soft_failure_message())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report: pytest.TestReport = yield
    cited = markers.clauses_of(item)[1]
    ledger = item.stash.get(LEDGER, None)
    if not cited or not _decides(report):
        return report
    exc = call.excinfo.value if call.excinfo else None
    verdicts = checks.judge(
        cited,
        ledger,
        _outcome(report),
        _message(report, exc),
        exc if report.failed else None,
        checked=_declared(item),
    )
    data = {clause: v.as_dict() for clause, v in verdicts.items()}
    report.user_properties.append((PROPERTY, json.dumps(data)))
    return report


def _declared(item: pytest.Item) -> set[str]:
    """Clauses the test function has ``check`` calls for (read once per function)."""
    function = getattr(item, "function", None)
    return _declared_in(function) if function is not None else set()


@functools.cache
def _declared_in(function: Callable[..., Any]) -> set[str]:
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return set()
    return checks.declared(source)


def _decides(report: pytest.TestReport) -> bool:
    """The call phase decides; setup does when it failed or skipped (there is no call)."""
    return report.when == "call" or (report.when == "setup" and not report.passed)


def _outcome(report: pytest.TestReport) -> checks.Outcome:
    if report.skipped:
        return "skipped"
    if report.failed:
        return "failed" if report.when == "call" else "error"
    return "passed"


def _message(report: pytest.TestReport, exc: BaseException | None) -> str:
    if report.skipped:
        longrepr: Any = report.longrepr
        return str(longrepr[2]) if isinstance(longrepr, tuple) else str(longrepr)
    return checks.first_line(exc) if exc is not None else ""
