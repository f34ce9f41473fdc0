"""Clause-level checks: each check in a suite test names the DOMAIN clause it verifies.

DOMAIN §0.6: profiles are properties of clauses, not of tests. A test that checks a Core clause
and then an Extended SHOULD must not report the Core clause failed when only the SHOULD part
failed. So a test wraps each part in ``check(clause)``::

    with check("WE-LOCK-001"):
        assert we.status.pipeline_run_ref == pr_name   # a Core MUST
    with check("WE-AUD-010", soft=True):
        assert no_started_event_after_adoption()       # an Ext SHOULD: recorded, test goes on

How a test's clauses are judged (``judge``):

- A clause with checks that ran: ``failed`` if any of them failed, else ``passed``.
- A hard check (the default) that fails records its clause failed and re-raises, so the test
  fails there and stops; clauses whose checks had not run yet are ``not-reached``. A clause whose
  checks all passed before the failure stays ``passed``: put all checks of one clause before a
  check of another clause that may stop the test.
- A soft check records its clause failed and lets the test go on; the test fails at its end
  (``SoftChecksFailed``) naming every soft failure. Use it for SHOULD parts at the end of a test.
- Clauses the marker cites but no check in the test function names (the test's implicit part) get
  the test's outcome: ``passed`` when the body finished (even with soft failures), ``failed``
  when the test failed outside any check (its own steps broke), ``not-reached`` when a hard check
  of another clause stopped it. A clause that has a check in the test's source which did not run
  is ``not-reached``. So a failing check never fails another clause.

This module needs no pytest: the plugin (``wetest.plugin.clauses``) opens a ``Ledger`` around
each test call and turns the verdicts into results.jsonl ``clause_results``.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Literal

CLAUSE = re.compile(r"^(WE-[A-Z]+|DS-[A-Z]+|ENV)-\d{3}$")
"""The shape of a clause ID (DOMAIN §0.4), e.g. ``WE-LOCK-001``, ``DS-API-031``."""

Result = Literal["passed", "failed", "not-reached"]
RESULTS: tuple[Result, ...] = ("passed", "failed", "not-reached")
MESSAGE_LENGTH = 500


class SoftChecksFailed(AssertionError):
    """Soft checks failed while the test body ran to its end: the test fails, naming them."""


class CheckUsageError(ValueError):
    """A check names a malformed clause ID or one the test's marker does not cite."""


@dataclass(frozen=True)
class Verdict:
    """One clause's result in one test, with the first line of the failure that decided it."""

    result: Result
    message: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"result": self.result, "message": self.message}


@dataclass
class Ledger:
    """What the checks of one running test recorded, in the order they first ran."""

    cited: tuple[str, ...] = ()
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    soft_failures: list[tuple[str, str]] = field(default_factory=list)
    stopped_by: BaseException | None = None
    """The exception a hard check re-raised: the test's failure belongs to that check's clause."""
    stopped_at: str = ""

    def passed(self, clause: str) -> None:
        self.verdicts.setdefault(clause, Verdict("passed"))

    def failed(self, clause: str, message: str) -> None:
        if self.verdicts.get(clause, Verdict("passed")).result != "failed":
            self.verdicts[clause] = Verdict("failed", message)

    def soft_failure_message(self) -> str:
        """The error a test with soft failures ends with, on one line (results show line one)."""
        parts = [f"{clause}: {message}" for clause, message in self.soft_failures]
        return f"{len(parts)} soft check(s) failed: " + "; ".join(parts)


_CURRENT: ContextVar[Ledger | None] = ContextVar("wetest_check_ledger", default=None)


def activate(ledger: Ledger) -> object:
    """Make ``ledger`` the one ``check`` records into; returns a token for ``deactivate``."""
    return _CURRENT.set(ledger)


def deactivate(token: object) -> None:
    _CURRENT.reset(token)  # type: ignore[arg-type]


def first_line(exc: BaseException) -> str:
    """The first non-empty line of an error, or its class name; what a clause result shows."""
    for line in str(exc).splitlines():
        if line.strip():
            return line.strip()[:MESSAGE_LENGTH]
    return type(exc).__name__


@contextmanager
def check(clause: str, *, soft: bool = False) -> Iterator[None]:
    """Attribute the checks in the block to ``clause`` (one cited by the test's marker).

    An exception in the block fails the clause. A hard check re-raises it (the test stops); a
    soft check (``soft=True``, for SHOULD parts) records it, lets the test continue and fails
    the test at its end. Outside a wetest test (no ledger) the block runs unchanged.
    """
    if not CLAUSE.match(clause):
        raise CheckUsageError(
            f"check({clause!r}) does not name a clause ID. Use an ID of DOMAIN.md like WE-PR-001."
        )
    ledger = _CURRENT.get()
    if ledger is not None and clause not in ledger.cited:
        raise CheckUsageError(
            f"check({clause!r}) names a clause the test's we_conformance marker does not cite "
            f"({', '.join(ledger.cited) or 'no marker'}). Add {clause} to the marker."
        )
    try:
        yield
    except Exception as exc:
        if ledger is None:
            raise
        ledger.failed(clause, first_line(exc))
        if not soft:
            ledger.stopped_by, ledger.stopped_at = exc, clause
            raise
        ledger.soft_failures.append((clause, first_line(exc)))
    else:
        if ledger is not None:
            ledger.passed(clause)


Outcome = Literal["passed", "failed", "error", "skipped"]


def declared(source: str) -> set[str]:
    """Clause IDs of the ``check("<ID>", ...)`` calls written in a test function's source.

    A failure outside any check fails the test's implicit clauses, but a clause whose own check
    simply was not reached yet is ``not-reached``; this is how the two are told apart. Checks
    made inside helper functions are not seen (their clauses count as implicit).
    """
    try:
        tree = ast.parse(textwrap.dedent(source))
    except SyntaxError:
        return set()
    found = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and _called_name(node.func) == "check"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value)
    return found


def _called_name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def judge(
    cited: Iterable[str],
    ledger: Ledger | None,
    outcome: Outcome,
    message: str = "",
    failure: BaseException | None = None,
    checked: Iterable[str] = (),
) -> dict[str, Verdict]:
    """Every clause of one test (cited, then checked-only) with its verdict (see module doc).

    ``outcome`` is the test's outcome in the phase that decided it, ``message`` the first line of
    its failure, ``failure`` the exception (to tell a hard check's failure from the test's own),
    ``checked`` the clauses the test body has checks for (``declared``).
    """
    ledger = ledger or Ledger()
    unreached = Verdict("not-reached", f"the test failed before this clause's check: {message}")
    with_checks = set(checked)
    if outcome == "skipped":
        implicit = Verdict("not-reached", f"skipped: {message}" if message else "skipped")
    elif outcome == "passed" or isinstance(failure, SoftChecksFailed):
        implicit = Verdict("passed")
    elif failure is not None and failure is ledger.stopped_by:
        stop = f"the test stopped at the failed check of {ledger.stopped_at}."
        implicit = Verdict("not-reached", stop)
    else:
        implicit = Verdict("failed", message)
    out: dict[str, Verdict] = {}
    for clause in [*cited, *ledger.verdicts]:
        if clause in out:
            continue
        if clause in ledger.verdicts:
            out[clause] = ledger.verdicts[clause]
        elif clause in with_checks and implicit.result == "failed":
            out[clause] = unreached
        else:
            out[clause] = implicit
    return out
