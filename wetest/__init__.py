"""wetest: a harness and conformance suite for WorkflowExecution controllers.

The facade re-exports what test authors use; everything else is internal (see
docs/architecture.md). Names are loaded lazily (PEP 562), so ``import wetest.reference...`` or
``wetest report`` do not pay for the kubernetes client and the waiting layer they never use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wetest.checks import SoftChecksFailed, check
    from wetest.config.settings import Settings
    from wetest.errors import (
        ConsistencyViolated,
        DependencyMissing,
        TerminalStateReached,
        WaitTimeout,
        WetestError,
    )
    from wetest.waiting import expectations
    from wetest.waiting.eventually import consistently, eventually

_WHERE = {
    "ConsistencyViolated": "wetest.errors",
    "DependencyMissing": "wetest.errors",
    "TerminalStateReached": "wetest.errors",
    "WaitTimeout": "wetest.errors",
    "WetestError": "wetest.errors",
    "Settings": "wetest.config.settings",
    "SoftChecksFailed": "wetest.checks",
    "check": "wetest.checks",
    "consistently": "wetest.waiting.eventually",
    "eventually": "wetest.waiting.eventually",
    "expectations": "wetest.waiting",
}

__all__ = [
    "ConsistencyViolated",
    "DependencyMissing",
    "Settings",
    "SoftChecksFailed",
    "TerminalStateReached",
    "WaitTimeout",
    "WetestError",
    "check",
    "consistently",
    "eventually",
    "expectations",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'wetest' has no attribute {name!r}")
    module = importlib.import_module(_WHERE[name])
    value = (
        module if name == "expectations" and not hasattr(module, name) else getattr(module, name)
    )
    globals()[name] = value
    return value
