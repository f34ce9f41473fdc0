"""The analyzers in the order they are asked, and ``diagnose``: the first finding wins.

Most explanatory first: a signal or missing infrastructure explains everything after it; a dead
or silent controller explains every timeout; a lost write explains a missing condition better
than the assertion that noticed it; an audit count explains an audit assertion; a contract
deviation is what remains when no mechanism shows; unknown only when nothing fits.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from wetest import errors
from wetest.kube import errors as kube_errors
from wetest.report.analysis import audit, contract, controller, environment, writes
from wetest.report.analysis.causes import Finding
from wetest.report.analysis.evidence import Evidence

AnalyzerFn = Callable[[Evidence], Finding | None]

ANALYZERS: tuple[tuple[str, AnalyzerFn], ...] = (
    ("run interrupted", environment.run_interrupted),
    ("configuration", environment.configuration),
    ("DataStorage unavailable", environment.datastorage_unavailable),
    ("infrastructure missing", environment.infrastructure_missing),
    ("stack component died", environment.stack_component_died),
    ("controller crashed", controller.controller_crashed),
    ("controller not reconciling", controller.controller_not_reconciling),
    ("reconcile failing", controller.reconcile_failing),
    ("admission denied", controller.admission_denied),
    ("resource-version conflict", writes.resource_version_conflict),
    ("multiple status writes per transition", writes.multiple_status_writes),
    ("audit delivery", audit.audit_delivery),
    ("contract deviation", contract.contract_deviation),
    ("suite defect", contract.suite_defect),
)


@dataclass
class Costs:
    """Seconds spent per analyzer (and in reading evidence lazily inside them), summed."""

    seconds: dict[str, float] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds
        self.calls[name] = self.calls.get(name, 0) + 1


def diagnose(ev: Evidence, costs: Costs | None = None) -> Finding:
    """The root cause of one failed test, with its mechanical class filled in."""
    for name, analyze in ANALYZERS:
        started = time.perf_counter()
        found = analyze(ev)
        if costs is not None:
            costs.add(name, time.perf_counter() - started)
        if found is not None:
            return dataclasses.replace(found, mechanical=mechanical(ev))
    return dataclasses.replace(contract.unknown(ev), mechanical=mechanical(ev))


def mechanical(ev: Evidence) -> str:
    """How the test itself failed: ``wait timeout (WaitTimeout) in call``."""
    name = ev.error_name
    candidate = (getattr(errors, name, None) or getattr(kube_errors, name, None)) if name else None
    if isinstance(candidate, type) and issubclass(candidate, errors.WetestError):
        label = str(candidate.cause)
    elif name == "AssertionError":
        label = "assertion"
    else:
        label = "error"
    where = ev.result.when or "call"
    return f"{label} ({name}) in {where}" if name else f"{label} in {where}"
