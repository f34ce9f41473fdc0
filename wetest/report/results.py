"""Read a run directory (run.json, results.jsonl, or junit.xml as a fallback) into dataclasses.

Only files are read, never a live session, so a report can be rebuilt from an old run or in a
separate CI step. A run that was killed may leave a half-written last line in results.jsonl: that
line is dropped with a warning (kept in ``Run.warnings`` and shown in the report), never a crash.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wetest import errors

OUTCOMES = ("passed", "failed", "error", "skipped")


class RunDirectoryError(errors.ConfigError):
    """The run directory is missing, empty or unreadable (a usage error: exit code 2)."""


@dataclass(frozen=True)
class TargetRecord:
    """The implementation under test, as run.json records it."""

    name: str = "unknown"
    command: str = ""
    version: str = ""


@dataclass(frozen=True)
class RunInfo:
    """The run.json header; defaults keep a report possible when run.json is absent."""

    wetest_version: str = ""
    contract_version: str = "WE contract v1.0"
    clause_set_hash: str = ""
    target: TargetRecord = field(default_factory=TargetRecord)
    backend: str = ""
    profiles: tuple[str, ...] = ()
    started: str = ""
    finished: str = ""
    exit_status: int | None = None
    session_error: str | None = None
    interrupted: dict[str, str] | None = None
    api_call_evidence: str = ""
    tekton: str = ""
    exclusions: tuple[dict[str, str], ...] = ()
    # processes of the stack still alive after its supervisor exited (issue 16's invariant)
    stack_leftovers: tuple[dict[str, str], ...] = ()


@dataclass(frozen=True)
class Rerun:
    outcome: str
    label: str


@dataclass(frozen=True)
class ClauseResult:
    """One clause's verdict inside one test: passed, failed or not-reached, with its message."""

    result: str
    message: str = ""


@dataclass(frozen=True)
class TestResult:
    """One line of results.jsonl: a test's outcome, where it failed, and its evidence files."""

    __test__ = False

    nodeid: str
    outcome: str
    name: str = ""
    when: str = "call"
    duration: float = 0.0
    clauses: tuple[str, ...] = ()
    area: str = ""
    profile: str = ""
    error_class: str | None = None
    cause: str | None = None
    message: str | None = None
    longrepr: str | None = None
    evidence: dict[str, str] = field(default_factory=dict)
    worker: str = ""
    start: str = ""
    stop: str = ""
    rerun: Rerun | None = None
    clause_results: dict[str, ClauseResult] = field(default_factory=dict)
    """Per clause verdict (results.jsonl ``clause_results``, written by wetest.checks)."""

    @property
    def failed(self) -> bool:
        return self.outcome in ("failed", "error")


@dataclass
class Run:
    """Everything the report needs from one run directory."""

    directory: Path
    info: RunInfo
    results: list[TestResult]
    warnings: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        tally = dict.fromkeys(OUTCOMES, 0)
        for result in self.results:
            tally[result.outcome] = tally.get(result.outcome, 0) + 1
        return tally


def read(directory: Path) -> Run:
    """Read a run directory; raise RunDirectoryError when there is nothing to report on."""
    _check_directory(directory)
    warnings: list[str] = []
    info = _read_info(directory / "run.json", warnings)
    jsonl = directory / "results.jsonl"
    if jsonl.is_file():
        results = read_jsonl(jsonl, warnings)
    else:
        from wetest.report import junit

        results = junit.read(directory / "junit.xml", warnings)
    return Run(directory, info, results, warnings)


def _check_directory(directory: Path) -> None:
    fix = (
        "Run: wetest report <run-dir> with the directory that pytest's --wetest-results-dir wrote."
    )
    if not directory.is_dir():
        raise RunDirectoryError(f"The run directory {directory} does not exist. {fix}")
    names = {"run.json", "results.jsonl", "junit.xml"}
    if not any((directory / name).is_file() for name in names):
        raise RunDirectoryError(
            f"The run directory {directory} holds none of run.json, results.jsonl and junit.xml,"
            f" so there is nothing to report on. {fix}"
        )


def _read_info(path: Path, warnings: list[str]) -> RunInfo:
    if not path.is_file():
        warnings.append(f"{path.name} is missing; the target and contract are shown as unknown.")
        return RunInfo()
    try:
        raw = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        warnings.append(f"{path.name} could not be read ({exc}); its fields are shown as unknown.")
        return RunInfo()
    return info_from(raw if isinstance(raw, dict) else {})


def info_from(raw: dict[str, Any]) -> RunInfo:
    target = raw.get("target") or {}
    return RunInfo(
        wetest_version=str(raw.get("wetest_version") or ""),
        contract_version=str(raw.get("contract_version") or "WE contract v1.0"),
        clause_set_hash=str(raw.get("clause_set_hash") or ""),
        target=TargetRecord(
            name=str(target.get("name") or "unknown"),
            command=str(target.get("command") or ""),
            version=str(target.get("version") or ""),
        ),
        backend=str(raw.get("backend") or ""),
        profiles=tuple(str(p) for p in raw.get("profiles") or ()),
        started=str(raw.get("started") or ""),
        finished=str(raw.get("finished") or ""),
        exit_status=raw.get("exit_status"),
        session_error=raw.get("session_error") or None,
        interrupted=_interrupted(raw.get("interrupted")),
        api_call_evidence=str(raw.get("api_call_evidence") or ""),
        tekton=str(raw.get("tekton") or ""),
        exclusions=tuple(
            {"test": str(e.get("test", "")), "reason": str(e.get("reason", ""))}
            for e in raw.get("exclusions") or ()
            if isinstance(e, dict)
        ),
        stack_leftovers=tuple(
            {"name": str(e.get("name", "")), "pid": str(e.get("pid", ""))}
            for e in raw.get("stack_leftovers") or ()
            if isinstance(e, dict)
        ),
    )


def _interrupted(value: Any) -> dict[str, str] | None:
    """run.json ``interrupted``: ``{"signal": ..., "at": ...}`` or null (written by the runner)."""
    if not isinstance(value, dict):
        return None
    return {str(k): str(v) for k, v in value.items()}


def read_jsonl(path: Path, warnings: list[str]) -> list[TestResult]:
    """Parse results.jsonl line by line; a bad line costs that line only, with a warning."""
    results: list[TestResult] = []
    lines = path.read_text("utf-8", errors="replace").splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            results.append(result_from(raw))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            last = number == len(lines)
            what = "was cut off (partially written)" if last else f"is not a result ({exc})"
            warnings.append(f"{path.name} line {number} {what}; it was skipped.")
    return results


def result_from(raw: dict[str, Any]) -> TestResult:
    rerun = raw.get("rerun")
    return TestResult(
        nodeid=str(raw["nodeid"]),
        outcome=str(raw.get("outcome") or "error"),
        name=str(raw.get("name") or raw["nodeid"].rpartition("::")[2]),
        when=str(raw.get("when") or "call"),
        duration=float(raw.get("duration") or 0.0),
        clauses=tuple(str(c) for c in raw.get("clauses") or ()),
        area=str(raw.get("area") or ""),
        profile=str(raw.get("profile") or ""),
        error_class=raw.get("error_class") or None,
        cause=raw.get("cause") or None,
        message=raw.get("message") or None,
        longrepr=raw.get("longrepr") or None,
        evidence={str(k): str(v) for k, v in (raw.get("evidence") or {}).items()},
        worker=str(raw.get("worker") or ""),
        start=str(raw.get("start") or ""),
        stop=str(raw.get("stop") or ""),
        rerun=Rerun(str(rerun.get("outcome")), str(rerun.get("label"))) if rerun else None,
        clause_results=_clause_results(raw.get("clause_results")),
    )


def _clause_results(value: Any) -> dict[str, ClauseResult]:
    """``{"WE-X-001": {"result": "failed", "message": "..."}}``; anything else is ignored."""
    if not isinstance(value, dict):
        return {}
    return {
        str(clause): ClauseResult(str(item.get("result") or ""), str(item.get("message") or ""))
        for clause, item in value.items()
        if isinstance(item, dict)
    }
