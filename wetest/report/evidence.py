"""Trimmed excerpts of a test's evidence files: observed state, log lines, the conflicting write.

A report shows what was observed, not only that time ran out (STYLE §3), but a whole controller
log would bury it, so every excerpt is cut to a few lines around the failure. Evidence paths come
from results.jsonl; a path that leaves the run directory or a file that is gone is skipped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wetest.report.results import TestResult

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


def read_text(run_dir: Path, result: TestResult, key: str) -> str | None:
    """The text of one evidence file, or None when it is absent or outside the run dir."""
    relative = result.evidence.get(key)
    if not relative:
        return None
    path = (run_dir / relative).resolve()
    if not path.is_relative_to(run_dir.resolve()) or not path.is_file():
        return None
    try:
        return path.read_text("utf-8", errors="replace")
    except OSError:
        return None


def excerpt(run_dir: Path, result: TestResult) -> Excerpt:
    """The excerpt of one failure; its log lines come from the test's own controller.log.

    That file holds only the controller-log records that mention the test's objects (the
    plugin cuts it with ``wetest.domain.logfilter``), so neither the lines around the failure
    nor the tail fallback can show another test's WorkflowExecution.
    """
    state, state_source = observed_state(run_dir, result)
    log = read_text(run_dir, result, "controller.log")
    return Excerpt(
        observed_state=state,
        observed_source=state_source,
        log_lines=around_failure(log.splitlines()) if log else [],
        log_source=result.evidence.get("controller.log", "") if log else "",
        conflicting_write=conflicting_write(result, log),
    )


def observed_state(run_dir: Path, result: TestResult) -> tuple[list[str], str]:
    """The WE's status block from we.yaml, else the tail of the wait history."""
    we_yaml = read_text(run_dir, result, "we.yaml")
    if we_yaml:
        return status_block(we_yaml.splitlines()), result.evidence["we.yaml"]
    history = read_text(run_dir, result, "wait-history.txt")
    if history:
        return history.splitlines()[-MAX_LINES:], result.evidence["wait-history.txt"]
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


def conflicting_write(result: TestResult, log: str | None = None) -> str:
    """The first line that names a 409: from the message, the traceback, then the log."""
    for text in (result.message, result.longrepr, log):
        for line in (text or "").splitlines():
            if _CONFLICT_LINE.search(line):
                return line.strip()
    return ""


def trim(lines: list[str]) -> list[str]:
    if len(lines) <= MAX_LINES:
        return lines
    return [*lines[: MAX_LINES - 1], f"... ({len(lines) - MAX_LINES + 1} more lines)"]


def timeline(run_dir: Path, result: TestResult) -> list[TimelineEntry]:
    """The test's timeline.json entries in time order; unreadable files give no entries."""
    text = read_text(run_dir, result, "timeline.json")
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
