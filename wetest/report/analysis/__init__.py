"""Root-cause analysis of failed tests: small analyzers over each test's evidence, then groups.

Layers, top to bottom (enforced by .importlinter): ``grouping`` and ``analyzers`` (the order and
``diagnose``) → the analyzer modules (``environment``, ``controller``, ``writes``, ``audit``,
``contract``) → ``evidence`` (reads one test's files) → ``causes`` (names, Finding). An analyzer
is a function ``Evidence -> Finding | None``; adding one means writing it in the module of its
kind and placing it in ``analyzers.ANALYZERS`` where it is more explanatory than what follows.
"""

from __future__ import annotations

from wetest.report.analysis.analyzers import Costs, diagnose
from wetest.report.analysis.causes import Finding
from wetest.report.analysis.evidence import Evidence, clear_cache
from wetest.report.analysis.grouping import Group, checklist, group
from wetest.report.results import Run, TestResult

_LAST: dict[int, tuple[TestResult, Finding]] = {}
"""The findings of the last ``analyze``, by result identity, so conformance.yaml, built from
the same Run right after, does not analyze every failure a second time."""


def analyze(run: Run, costs: Costs | None = None) -> list[tuple[TestResult, Finding]]:
    """Every failed test of the run with its root cause, in run order."""
    clear_cache()
    pairs = [
        (result, diagnose(Evidence(run.directory, result, run.info), costs))
        for result in run.results
        if result.failed
    ]
    _LAST.clear()
    _LAST.update({id(result): (result, finding) for result, finding in pairs})
    return pairs


def cause_of(run: Run, result: TestResult) -> str:
    """The root-cause name of one failed test (what conformance.yaml lists per clause)."""
    known = _LAST.get(id(result))
    if known is not None and known[0] is result:
        return known[1].cause
    return diagnose(Evidence(run.directory, result, run.info)).cause


__all__ = ["Costs", "Evidence", "Finding", "Group", "analyze", "cause_of", "checklist", "group"]
