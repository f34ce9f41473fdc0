"""Trimmed excerpts of a test's evidence files: observed state, log lines, the conflicting write.

A report shows what was observed, not only that time ran out (STYLE §3), but a whole controller
log would bury it, so every excerpt is cut to a few lines around the failure, and the log lines
are only those naming the failing test's own objects (``Evidence.controller_log``): the
controller serves every test at once. Files are read through ``analysis.Evidence``, which skips a
path that leaves the run directory or a file that is gone.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wetest.report.analysis.evidence import Evidence
from wetest.report.results import RunInfo, TestResult

MAX_LINES = 14
CONTEXT = 3
_FAILURE_LINE = re.compile(
    r"Operation cannot be fulfilled|the object has been modified|\b409\b|Traceback|"
    r"\bERROR\b|\berror\b|exception|panic",
    re.I,
)
_CONFLICT_LINE = re.compile(r"Operation cannot be fulfilled|the object has been modified|\b409\b")


@dataclass(frozen=True)
class Excerpt:
    """What a reader needs to see next to one failure; any part may be empty."""

    observed_state: list[str] = field(default_factory=list)
    observed_source: str = ""
    log_lines: list[str] = field(default_factory=list)
    log_source: str = ""
    conflicting_write: str = ""

    def __bool__(self) -> bool:
        return bool(self.observed_state or self.log_lines or self.conflicting_write)


@dataclass(frozen=True)
class TimelineEntry:
    t: str
    kind: str
    summary: str
    detail: Any = None


def excerpt(ev: Evidence) -> Excerpt:
    """The excerpt of one failed test; log lines only from lines that name its own objects."""
    state, state_source = observed_state(ev)
    log = ev.controller_log
    return Excerpt(
        observed_state=state,
        observed_source=state_source,
        log_lines=around_failure(log) if log else [],
        log_source=ev.source("controller.log") if log else "",
        conflicting_write=conflicting_write(ev.result, log),
    )


def observed_state(ev: Evidence) -> tuple[list[str], str]:
    """The WE's status block from we.yaml, else the tail of the wait history."""
    we_yaml = ev.text("we.yaml")
    if we_yaml:
        return status_block(we_yaml.splitlines()), ev.source("we.yaml")
    history = ev.wait_history
    if history:
        return history.splitlines()[-MAX_LINES:], ev.source("wait-history.txt")
    return [], ""


def status_block(lines: list[str]) -> list[str]:
    """From ``status:`` to the next top-level key, trimmed; the whole file if there is none."""
    start = next((i for i, line in enumerate(lines) if line.startswith("status:")), None)
    if start is None:
        return trim(lines)
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i][:1] not in (" ", "-", "")),
        len(lines),
    )
    return trim(lines[start:end])


def around_failure(lines: list[str]) -> list[str]:
    """A few lines around the first line that looks like the failure, else the log's tail."""
    hit = next((i for i, line in enumerate(lines) if _FAILURE_LINE.search(line)), None)
    if hit is None:
        return lines[-MAX_LINES // 2 :]
    return trim(lines[max(0, hit - CONTEXT) : hit + CONTEXT + 1])


def conflicting_write(result: TestResult, log: list[str]) -> str:
    """The first line that names a 409: from the message, the traceback, then the log."""
    texts = [*(result.message or "").splitlines(), *(result.longrepr or "").splitlines(), *log]
    return next((line.strip() for line in texts if _CONFLICT_LINE.search(line)), "")


def trim(lines: list[str]) -> list[str]:
    if len(lines) <= MAX_LINES:
        return lines
    return [*lines[: MAX_LINES - 1], f"... ({len(lines) - MAX_LINES + 1} more lines)"]


def timeline(run_dir: Path, result: TestResult, info: RunInfo) -> list[TimelineEntry]:
    """The test's timeline.json entries in time order; unreadable files give no entries."""
    text = Evidence(run_dir, result, info).text("timeline.json")
    try:
        raw = json.loads(text) if text else []
    except ValueError:
        return []
    entries = (
        [_entry(item) for item in raw if isinstance(item, dict)] if isinstance(raw, list) else []
    )
    return sorted(entries, key=lambda e: e.t)


def _entry(item: dict[str, Any]) -> TimelineEntry:
    return TimelineEntry(
        t=str(item.get("t") or ""),
        kind=str(item.get("kind") or "event"),
        summary=str(item.get("summary") or ""),
        detail=item.get("detail"),
    )
