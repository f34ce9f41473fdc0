"""Group failed tests by triage cause: the recorded cause first, the error class next, text last.

The plugin records ``cause`` from ``wetest.errors.cause_of``, which knows classes only. Two
causes cannot be seen from a class: a plain ``AssertionError`` about duplicated or lost audit
events (the audit suites assert counts), and a foreign exception that is really a 409 ("the
object has been modified"). So the generic causes ``assertion`` and ``unknown`` are refined by
message text; every specific cause is trusted as recorded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wetest import errors
from wetest.errors import TriageCause
from wetest.report.results import TestResult

ORDER = (
    TriageCause.MISSING_INFRASTRUCTURE,
    TriageCause.CONFIGURATION,
    TriageCause.CONTROLLER_CRASH,
    TriageCause.CONFLICT,
    TriageCause.AUDIT,
    TriageCause.TIMEOUT,
    TriageCause.ASSERTION,
    TriageCause.UNKNOWN,
)
"""Root causes first: missing infrastructure explains the failures listed after it."""

_CONFLICT_TEXT = re.compile(r"the object has been modified|Operation cannot be fulfilled", re.I)
_AUDIT_TEXT = re.compile(r"audit", re.I)
_AUDIT_LOSS = re.compile(r"duplicate|exactly once|exactly-once|\blost\b|\bmissing\b", re.I)
_GENERIC = (TriageCause.ASSERTION, TriageCause.UNKNOWN)


@dataclass(frozen=True)
class Group:
    """The failures that share one cause, in the order they ran."""

    cause: TriageCause
    results: tuple[TestResult, ...]

    @property
    def error_types(self) -> tuple[str, ...]:
        """Distinct short class names, shown for the unknown group so the type is visible."""
        names = (short_name(r.error_class) for r in self.results)
        return tuple(dict.fromkeys(n for n in names if n))


def short_name(error_class: str | None) -> str:
    """``wetest.errors.WaitTimeout`` → ``WaitTimeout``."""
    return (error_class or "").rpartition(".")[2]


def classify(result: TestResult) -> TriageCause:
    """The triage cause of one failed test."""
    cause = _recorded(result.cause) or _by_class(result.error_class)
    if cause in _GENERIC:
        return _by_text(result, cause)
    return cause


def _recorded(value: str | None) -> TriageCause | None:
    try:
        return TriageCause(value) if value else None
    except ValueError:
        return None


def _by_class(error_class: str | None) -> TriageCause:
    name = short_name(error_class)
    candidate = getattr(errors, name, None) if name else None
    if isinstance(candidate, type) and issubclass(candidate, errors.WetestError):
        return candidate.cause
    if name == "AssertionError":
        return TriageCause.ASSERTION
    return TriageCause.UNKNOWN


def _by_text(result: TestResult, cause: TriageCause) -> TriageCause:
    text = result.message or ""
    if _CONFLICT_TEXT.search(text) or "409" in text.split():
        return TriageCause.CONFLICT
    if _AUDIT_TEXT.search(text) and _AUDIT_LOSS.search(text):
        return TriageCause.AUDIT
    return cause


def group(results: list[TestResult]) -> list[Group]:
    """Failed and errored tests grouped by cause, root causes first, empty groups left out."""
    buckets: dict[TriageCause, list[TestResult]] = {cause: [] for cause in ORDER}
    for result in results:
        if result.failed:
            buckets[classify(result)].append(result)
    return [Group(cause, tuple(items)) for cause, items in buckets.items() if items]
