"""Analyzers for failures the environment explains: a signal, missing or dying infrastructure.

These run first: when DataStorage is down or the run was cancelled, every later symptom (a
wait timeout, a missing audit event) is a consequence, and blaming the controller for it would
send the reader after a defect that does not exist.
"""

from __future__ import annotations

import re

from wetest.report.analysis.causes import (
    CONFIGURATION,
    DATASTORAGE_UNAVAILABLE,
    INFRASTRUCTURE_MISSING,
    RUN_INTERRUPTED,
    STACK_COMPONENT_DIED,
    Finding,
    Kind,
    Severity,
)
from wetest.report.analysis.evidence import Evidence, instant

_INFRA_CLASSES = ("DependencyMissing", "PortInUse", "StartupFailed", "InfrastructureError")
_CONFIG_CLASSES = ("ConfigError", "InvalidManifest", "RunDirectoryError")
_OURS = ("WaitTimeout", "KubeAPIError", "NotFound", "ResourceConflict", "AlreadyExists")
"""Classes whose messages may quote a refused connection without being one (a wait's probe)."""
_DATASTORAGE = re.compile(r"data ?storage", re.I)
_DS_TROUBLE = re.compile(
    r"DataStorage unavailable|AUDIT DATA LOSS|DataStorage rejected|"
    r"data ?storage\b.*(connection refused|connect(ion)? error|timed? ?out|\b5\d\d\b|unreachable"
    r"|not available)",
    re.I,
)
_API_DOWN = re.compile(
    r"API server could not be reached|connection refused|Max retries exceeded|"
    r"RemoteDisconnected|Connection reset",
    re.I,
)
_RUN = re.compile(r"\bRun:\s*`?(.+?)`?\.?\s*$", re.M)


def run_interrupted(ev: Evidence) -> Finding | None:
    """run.json says a signal stopped the run, and this test ended after it (or when is unknown)."""
    signal = ev.info.interrupted
    if not signal:
        return None
    at = instant(signal.get("at", ""))
    stop = instant(ev.result.stop)
    if at is not None and stop is not None and stop < at - 1.0:
        return None  # it failed before the signal: its own cause explains it
    name = signal.get("signal") or "a signal"
    return Finding(
        cause=RUN_INTERRUPTED,
        kind=Kind.INTERRUPTED,
        severity=Severity.LOW,
        headline=f"the run was interrupted by {name}; these tests were cut short, not failed",
        next_action="Rerun the suites to completion; these results say nothing about the "
        "controller.",
        counts={"interrupted tests": 1},
        lines=(f"run.json interrupted: signal={name} at={signal.get('at', '?')}",),
        command="wetest run",
    )


def configuration(ev: Evidence) -> Finding | None:
    if ev.error_name not in _CONFIG_CLASSES and ev.result.cause != "configuration":
        return None
    return Finding(
        cause=CONFIGURATION,
        kind=Kind.ENVIRONMENT,
        severity=Severity.HIGH,
        headline="a setting or manifest is invalid, so the tests could not start",
        next_action="Fix the setting named in the message; `wetest config` prints every value "
        "with its source.",
        counts={"configuration errors": 1},
        lines=(ev.message,) if ev.message else (),
        command="wetest config",
    )


def datastorage_unavailable(ev: Evidence) -> Finding | None:
    """DataStorage refused, errored or was gone while this test ran."""
    lines: list[str] = []
    counts: dict[str, int] = {}
    infra = ev.error_name in (*_INFRA_CLASSES, "AuditServiceError", "DependencyDied") or (
        ev.result.cause == "missing infrastructure"
    )
    if infra and _DATASTORAGE.search(ev.message):
        lines.append(ev.message)
        counts["harness errors naming DataStorage"] = 1
    stack = None if ev.disrupts_on_purpose else ev.stack
    if stack and stack.datastorage_reachable is False:
        lines.append(
            f"stack.json: DataStorage {stack.datastorage_url} unreachable: "
            f"{stack.datastorage_detail}".rstrip(": ")
        )
        counts["DataStorage unreachable at collection"] = 1
    ds = stack.components.get("datastorage") if stack else None
    if ds and not ds.alive:
        lines.append(f"stack.json: datastorage exited with code {ds.exit_code}")
        counts["DataStorage exits"] = 1
    logged = [] if ev.disrupts_on_purpose else _datastorage_log_lines(ev)
    if logged:
        counts["controller log lines: DataStorage errors"] = len(logged)
        lines += logged[:3]
    if not counts:
        return None
    return Finding(
        cause=DATASTORAGE_UNAVAILABLE,
        kind=Kind.ENVIRONMENT,
        severity=Severity.HIGH,
        headline="DataStorage was not available to the controller or the harness "
        "(infrastructure, not a controller defect)",
        next_action="Start DataStorage (or fix its URL) and rerun; `wetest up` starts the "
        "bundled one, `wetest doctor` checks it.",
        counts=counts,
        lines=tuple(lines),
        command=_run_command(ev) or "wetest up",
    )


def _datastorage_log_lines(ev: Evidence) -> list[str]:
    """DataStorage errors the controller logged while the test ran (run-wide log and excerpt)."""
    logged = ev.component_log_in_window("controller", datastorage_trouble)
    return logged + [line for line in ev.controller_log if datastorage_trouble(line)]


def datastorage_trouble(line: str) -> bool:
    """A log line about DataStorage failing; a substring test first keeps long logs cheap."""
    low = line.lower()
    if "storage" not in low and "audit data loss" not in low:
        return False
    return bool(_DS_TROUBLE.search(line))


def infrastructure_missing(ev: Evidence) -> Finding | None:
    """A binary, port or start-up the stack needs was not there (no component died later)."""
    if ev.error_name not in _INFRA_CLASSES and ev.result.cause != "missing infrastructure":
        return None
    if ev.error_name == "DependencyDied":
        return None
    return Finding(
        cause=INFRASTRUCTURE_MISSING,
        kind=Kind.ENVIRONMENT,
        severity=Severity.CRITICAL,
        headline="the test stack could not be started: a dependency is missing",
        next_action="Install or start what the message names, then rerun; `wetest doctor` "
        "lists every missing dependency with its fix.",
        counts={"harness errors": 1},
        lines=(ev.message,) if ev.message else (),
        command=_run_command(ev) or "wetest doctor",
    )


def stack_component_died(ev: Evidence) -> Finding | None:
    """A stack process (etcd, kube-apiserver, Tekton stand-in, ...) was dead or stopped."""
    dead = {
        name: c
        for name, c in (ev.stack.components.items() if ev.stack else ())
        if not c.alive and name not in ("controller", "datastorage") and not _private(name)
    }
    died = ev.error_name == "DependencyDied"
    unreachable = ev.error_name == "Unreachable" or (  # by class; a foreign error by its text
        ev.error_name not in _OURS and bool(_API_DOWN.search(ev.message))
    )
    if unreachable and not dead and _controller_dead(ev):
        unreachable = False  # the refused connection was the dead controller's (its metrics)
    if not dead and not died and not unreachable:
        return None
    lines = [f"stack.json: {name} exited with code {c.exit_code}" for name, c in dead.items()]
    for c in dead.values():
        lines += list(c.log_tail[-3:])
    if ev.message and (died or unreachable):
        lines.insert(0, ev.message)
    what = ", ".join(sorted(dead)) or "a stack component"
    return Finding(
        cause=STACK_COMPONENT_DIED,
        kind=Kind.ENVIRONMENT,
        severity=Severity.HIGH,
        headline=f"{what} died or was stopped mid-run, so the API calls of these tests failed "
        "(infrastructure, not a controller defect)",
        next_action="Read the component's log tail for why it stopped (OOM, port, killed), "
        "then rerun; `wetest doctor` checks the stack.",
        counts={"dead components": len(dead), "harness errors": int(died or unreachable)},
        lines=tuple(lines),
        command="wetest doctor",
    )


PRIVATE_PREFIXES = ("isolated-", "kube-apiserver-iso-")
"""Processes of isolated tests' instances (``wetest.supervision.isolation``): each is stopped
when its test ends, so stack.json shows other tests' stopped ones; the test's own controller
and DataStorage reach the analyzers through its routed endpoints instead."""


def _private(name: str) -> bool:
    return name.startswith(PRIVATE_PREFIXES)


def _controller_dead(ev: Evidence) -> bool:
    """stack.json saw the controller under test dead (its own analyzer explains the test)."""
    return bool(ev.stack and ev.stack.controller is not None and not ev.stack.controller.alive)


def _run_command(ev: Evidence) -> str:
    for text in (ev.message, ev.longrepr):
        match = _RUN.search(text)
        if match:  # "wetest up (or unset X ...)" → "wetest up"; the message has the rest
            return match.group(1).split(" (", 1)[0].strip()
    return ""
