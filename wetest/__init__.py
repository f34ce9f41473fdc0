"""wetest: a harness and conformance suite for WorkflowExecution controllers.

The facade re-exports what test authors use; everything else is internal (see
docs/architecture.md).
"""

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

__all__ = [
    "ConsistencyViolated",
    "DependencyMissing",
    "Settings",
    "TerminalStateReached",
    "WaitTimeout",
    "WetestError",
    "consistently",
    "eventually",
    "expectations",
]
__version__ = "0.1.0"
