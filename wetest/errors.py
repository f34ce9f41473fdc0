"""The whole wetest exception tree, and the triage cause each error belongs to.

Every error carries a ``cause`` class attribute so that the triage report can group failures by
type and never needs to parse message text. Messages are full sentences: what failed, the
evidence, and the one command that fixes it.

::

    WetestError
    ├── ConfigError (ValueError)                      configuration
    ├── InvalidManifest (ValueError)                  configuration
    ├── InfrastructureError                           missing infrastructure
    │   ├── DependencyMissing (FileNotFoundError)
    │   ├── PortInUse (OSError)
    │   ├── StartupFailed
    │   ├── DependencyDied
    │   └── AuditServiceError
    ├── ControllerCrashed                             controller crash
    ├── KubeAPIError                                  unknown (see wetest.kube.errors)
    │   ├── Unreachable                               missing infrastructure
    │   ├── ResourceConflict                          resource-version conflict
    │   └── NotFound, AlreadyExists, Invalid, ...     unknown
    ├── MalformedAuditEvent (ValueError)              assertion
    ├── WaitTimeout (AssertionError)                  timeout
    ├── TerminalStateReached (AssertionError)         assertion
    ├── ConsistencyViolated (AssertionError)          assertion
    └── RunInterrupted                                unknown (the report reads run.json)
"""

from __future__ import annotations

import enum
from collections.abc import Sequence


class TriageCause(enum.StrEnum):
    """The groups of the triage report; every error class maps to exactly one."""

    CONFIGURATION = "configuration"
    MISSING_INFRASTRUCTURE = "missing infrastructure"
    CONFLICT = "resource-version conflict"
    TIMEOUT = "wait timeout"
    ASSERTION = "assertion"
    CONTROLLER_CRASH = "controller crash"
    AUDIT = "audit loss/duplication"
    UNKNOWN = "unknown"


class WetestError(Exception):
    """Base of every error wetest raises on purpose."""

    cause: TriageCause = TriageCause.UNKNOWN
    exit_code: int = 1


class ConfigError(WetestError, ValueError):
    """A configuration value (option, env var or file key) is invalid."""

    cause = TriageCause.CONFIGURATION
    exit_code = 2


class InvalidManifest(WetestError, ValueError):
    """A manifest from ``fixtures/`` or from the user fails validation."""

    cause = TriageCause.CONFIGURATION
    exit_code = 2


class InfrastructureError(WetestError):
    """Base for everything that is wrong with the stack rather than with the controller."""

    cause = TriageCause.MISSING_INFRASTRUCTURE
    exit_code = 3


class DependencyMissing(InfrastructureError, FileNotFoundError):
    """A binary or service is absent: the message says what, where it looked, and the fix."""

    def __init__(
        self, what: str, looked: Sequence[str], fix: str, verb: str = "was not found"
    ) -> None:
        self.what = what
        self.looked = list(looked)
        self.fix = fix
        where = ", ".join(self.looked) if self.looked else "nowhere"
        sentence = f"{what} {verb}." if verb else f"{what}."
        super().__init__(f"{sentence} Looked in {where}. Run: {fix}")

    def __str__(self) -> str:
        return str(self.args[0])


class PortInUse(InfrastructureError, OSError):
    """A loopback port that was asked for explicitly is already taken."""

    def __str__(self) -> str:
        return str(self.args[0])


class StartupFailed(InfrastructureError):
    """A process exited early or never became ready; the message includes its log tail."""


class DependencyDied(InfrastructureError):
    """etcd, kube-apiserver, PostgreSQL or DataStorage exited while the run was going on."""


class AuditServiceError(InfrastructureError):
    """DataStorage refused a request or answered 5xx."""


class ControllerCrashed(WetestError):
    """The controller under test exited or its pod restarted."""

    cause = TriageCause.CONTROLLER_CRASH


class MalformedAuditEvent(WetestError, ValueError):
    """An audit event does not follow the DOMAIN.md schema."""

    cause = TriageCause.ASSERTION


class WaitTimeout(WetestError, AssertionError):
    """An ``eventually`` ran out of time; the message shows the last state and its history."""

    cause = TriageCause.TIMEOUT


class TerminalStateReached(WetestError, AssertionError):
    """The wait saw a terminal state that can never become the expected one."""

    cause = TriageCause.ASSERTION


class ConsistencyViolated(WetestError, AssertionError):
    """A ``consistently`` saw the state it forbids."""

    cause = TriageCause.ASSERTION


class RunInterrupted(WetestError):
    """A signal stopped the run while the test ran: it did not finish, it did not fail.

    Never raised: the plugin records the tests a signal cut off under this class name (see
    ``wetest.plugin.interrupt``), and run.json's ``interrupted`` tells the report why.
    """


def cause_of(exc: BaseException) -> TriageCause:
    """Return the triage cause of any exception: ours by class, others by their base type."""
    if isinstance(exc, WetestError):
        return exc.cause
    if isinstance(exc, AssertionError):
        return TriageCause.ASSERTION
    return TriageCause.UNKNOWN
