"""The next action for each triage cause: one instruction, and a command when there is one.

Infrastructure errors already end with "Run: <command>" (STYLE §8 message rules), so the report
repeats that exact command instead of inventing one; ``wetest doctor`` is the fallback because
it names every missing dependency with its fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wetest.errors import TriageCause
from wetest.report import causes
from wetest.report.results import TestResult

_RUN = re.compile(r"\bRun:\s*(.+?)\s*$", re.M)
_BACKTICKS = re.compile(r"^`(.+)`\.?$")

TEXTS = {
    TriageCause.MISSING_INFRASTRUCTURE: "Start the missing infrastructure, then rerun.",
    TriageCause.CONFIGURATION: (
        "Fix the setting named in the message; `wetest config` prints every value with its source."
    ),
    TriageCause.CONFLICT: (
        "Re-read before writing status; one status write per transition (WE-STAT-001..003)."
    ),
    TriageCause.TIMEOUT: (
        "Inspect the last observed state: it shows how far the controller got before time ran out."
    ),
    TriageCause.ASSERTION: (
        "Compare the observed value with the clause text cited by the test; the contract decides."
    ),
    TriageCause.CONTROLLER_CRASH: (
        "Read the controller log tail for the exception or exit code, fix the crash, then rerun."
    ),
    TriageCause.AUDIT: (
        "Check exactly-once delivery: one audit event per committed transition, none for a "
        "rolled-back one (WE-STAT-004, WE-AUD-020, WE-AUD-021); compare audit.json with the "
        "timeline."
    ),
    TriageCause.UNKNOWN: (
        "Read the traceback; if the error is an infrastructure or API problem, raise it as a "
        "wetest error so the next report classifies it."
    ),
}


@dataclass(frozen=True)
class Action:
    """What to do next for a group: a sentence and, where one exists, the command to run."""

    text: str
    command: str = ""


def next_action(group: causes.Group) -> Action:
    if group.cause is TriageCause.MISSING_INFRASTRUCTURE:
        return Action(TEXTS[group.cause], start_command(group.results))
    if group.cause is TriageCause.UNKNOWN and group.error_types:
        types = ", ".join(group.error_types)
        return Action(f"{TEXTS[group.cause]} Error types: {types}.")
    return Action(TEXTS[group.cause])


def start_command(results: tuple[TestResult, ...]) -> str:
    """The first "Run: <cmd>" in the group's messages or tracebacks, else ``wetest doctor``."""
    for result in results:
        for text in (result.message, result.longrepr):
            command = run_command(text or "")
            if command:
                return command
    return "wetest doctor"


def run_command(text: str) -> str:
    """``... Run: wetest up`` → ``wetest up`` (a final sentence period is not part of it)."""
    match = _RUN.search(text)
    if match is None:
        return ""
    command = match.group(1).strip()
    quoted = _BACKTICKS.match(command)
    if quoted:
        return quoted.group(1)
    return command[:-1] if command.endswith(".") else command
