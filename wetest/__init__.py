"""wetest: a harness and conformance suite for WorkflowExecution controllers.

This facade is the public API of a test author: the waits and their expectations, object
references and probes, the types the fixtures return, the errors a test may catch, and clause
checks. Everything not in ``__all__`` is internal (see docs/architecture.md) and may change.

Imports are eager and cheap: nothing here loads the kubernetes client (``wetest.kube`` imports
it for annotations only), httpx or pytest, so ``import wetest`` costs what the waits need.
``Creator`` and ``AuditReader`` are the exception: they are the pytest plugin's own fixture
types, loaded on first use so a script or the reference programs never pay for pytest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wetest.checks import SoftChecksFailed, check
from wetest.config.settings import Settings
from wetest.errors import (
    ConfigError,
    ConsistencyViolated,
    ControllerCrashed,
    DependencyMissing,
    InfrastructureError,
    TerminalStateReached,
    WaitTimeout,
    WetestError,
)
from wetest.kube import objects
from wetest.kube.errors import (
    AlreadyExists,
    BadRequest,
    Expired,
    Forbidden,
    Gone,
    InternalError,
    Invalid,
    KubeAPIError,
    NotFound,
    ResourceConflict,
    ServerTimeout,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    Unreachable,
)
from wetest.kube.objects import ObjectRef, Probe
from wetest.supervision.handle import DataStorage, StackHandle, Target
from wetest.waiting import expectations
from wetest.waiting.defaults import WaitDefaults
from wetest.waiting.eventually import consistently, eventually
from wetest.waiting.expectations import Expectation

if TYPE_CHECKING:
    from wetest.plugin.resources import AuditReader, Creator

__all__ = [
    "AlreadyExists",
    "AuditReader",
    "BadRequest",
    "ConfigError",
    "ConsistencyViolated",
    "ControllerCrashed",
    "Creator",
    "DataStorage",
    "DependencyMissing",
    "Expectation",
    "Expired",
    "Forbidden",
    "Gone",
    "InfrastructureError",
    "InternalError",
    "Invalid",
    "KubeAPIError",
    "NotFound",
    "ObjectRef",
    "Probe",
    "ResourceConflict",
    "ServerTimeout",
    "ServiceUnavailable",
    "Settings",
    "SoftChecksFailed",
    "StackHandle",
    "Target",
    "TerminalStateReached",
    "TooManyRequests",
    "Unauthorized",
    "Unreachable",
    "WaitDefaults",
    "WaitTimeout",
    "WetestError",
    "check",
    "consistently",
    "eventually",
    "expectations",
    "objects",
]
__version__ = "0.1.0"

_PLUGIN_TYPES = {"AuditReader", "Creator"}


def __getattr__(name: str) -> Any:
    """Load the plugin's fixture types on first use (they import pytest)."""
    if name not in _PLUGIN_TYPES:
        raise AttributeError(f"module 'wetest' has no attribute {name!r}")
    from wetest.plugin import resources

    value = getattr(resources, name)
    globals()[name] = value
    return value
