"""results.jsonl and run.json: one record per test, written by the controlling process.

Workers annotate reports (``user_properties``), which xdist forwards; this module merges the
setup/call/teardown phases into one record per test and writes the files at session end, so
``wetest report`` can rebuild the triage report from files alone.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest

from wetest.plugin import interrupt, isolation, markers, session, timing, workers
from wetest.plugin.clauses import PROPERTY as CLAUSES_PROPERTY
from wetest.plugin.faults import PROPERTY as FAULTS_PROPERTY
from wetest.plugin.isolation import PROPERTY as ISOLATION_PROPERTY
from wetest.plugin.stack import HANDLE_KEY
from wetest.stack import apiaudit, state
from wetest.supervision import interruption

RECORDS = pytest.StashKey[dict[str, dict[str, Any]]]()
STARTED = pytest.StashKey[str]()
SESSION = pytest.StashKey[pytest.Session]()
CONTRACT = "WE contract v1.0"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[RECORDS] = {}
    session.config.stash[STARTED] = _now()
    session.config.stash[SESSION] = session
    interrupter = interrupt.get(session.config)
    if interrupter is not None:
        interrupter.last_words = lambda: write_records(session)


def _info(report: pytest.TestReport) -> dict[str, Any]:
    for key, value in report.user_properties:
        if key == "wetest":
            parsed: dict[str, Any] = json.loads(str(value))
            return parsed
    return {}


def _clause_results(report: pytest.TestReport) -> dict[str, dict[str, str]] | None:
    """The per-clause verdicts a worker attached (``wetest.plugin.clauses``), if any."""
    for key, value in report.user_properties:
        if key == CLAUSES_PROPERTY:
            parsed: dict[str, dict[str, str]] = json.loads(str(value))
            return parsed
    return None


def _record(config: pytest.Config, report: pytest.TestReport) -> dict[str, Any]:
    records = config.stash[RECORDS]
    if report.nodeid not in records:
        start = dt.datetime.fromtimestamp(report.start, dt.UTC).isoformat()
        records[report.nodeid] = blank_record(report.nodeid, start)
        records[report.nodeid]["worker"] = (
            getattr(report, "node", None) and report.node.gateway.id
        ) or "master"
    return records[report.nodeid]


def blank_record(nodeid: str, start: str) -> dict[str, Any]:
    """A test's record before any phase is merged in (also for tests a signal cut off)."""
    return {
        "nodeid": nodeid,
        "name": nodeid.split("::")[-1],
        "outcome": "passed",
        "when": "call",
        "duration": 0.0,
        "clauses": [],
        "clause_results": {},
        "area": "",
        "profile": "core",
        "error_class": None,
        "cause": None,
        "message": None,
        "longrepr": None,
        "evidence": {},
        "we": False,
        "worker": "master",
        "start": start,
        "stop": None,
        "rerun": None,
        "faults": [],  # what we_faults injected (kind, seconds, counts), wetest.plugin.faults
        "phases": {},
        "timing": {},
    }


class _Recorder:
    """Merges each report's phases into one record.

    logreport hooks receive no config, so the controlling process registers one recorder
    bound to its config (no module-level state).
    """

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        _merge(self.config, report)


def pytest_configure(config: pytest.Config) -> None:
    if not workers.is_worker(config):
        config.pluginmanager.register(_Recorder(config), "wetest-results-recorder")


def _merge(config: pytest.Config, report: pytest.TestReport) -> None:
    rec = _record(config, report)
    info = _info(report)
    rec["duration"] += report.duration
    rec.setdefault("phases", {})[report.when] = round(report.duration, 3)
    rec.setdefault("timing", {}).update(timing.of(report))
    rec["stop"] = dt.datetime.fromtimestamp(report.stop, dt.UTC).isoformat()
    for key in ("clauses", "area", "profile", "we"):
        if key in info:
            rec[key] = info[key]
    verdicts = _clause_results(report)
    if verdicts is not None:
        rec["clause_results"] = verdicts
    for key, value in report.user_properties:
        if key == FAULTS_PROPERTY:
            rec["faults"] = json.loads(str(value))
        if key == ISOLATION_PROPERTY:
            rec["isolation"] = str(value)
    if report.failed and rec["outcome"] == "passed":
        rec.update(
            outcome="failed" if report.when == "call" else "error",
            when=report.when,
            error_class=info.get("error_class"),
            cause=info.get("cause"),
            message=info.get("message"),
            longrepr=str(report.longrepr)[-20000:],
            evidence=info.get("evidence", {}),
        )
        _fail_fast(config, rec)
    elif report.skipped and rec["outcome"] == "passed":
        rec.update(outcome="skipped", when=report.when, message=str(report.longrepr)[-500:])


def _fail_fast(config: pytest.Config, rec: dict[str, Any]) -> None:
    """With xdist, the controller also stops the run on the first missing infrastructure."""
    if rec.get("cause") == "missing infrastructure" and SESSION in config.stash:
        config.stash[SESSION].shouldfail = f"wetest: infrastructure missing: {rec['message']}"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    out = write_records(session)
    if out is None:
        return
    _keep_logs(config, out)
    from wetest.report import build  # at the session's end only: workers never build

    try:
        build.build(out)
    except Exception as exc:  # the report must never turn a run's result into a crash
        config.issue_config_time_warning(
            pytest.PytestWarning(f"triage report failed: {exc}"), stacklevel=2
        )


_WRITING = threading.Lock()


def write_records(session: pytest.Session) -> Path | None:
    """results.jsonl and run.json, each replaced whole (never seen half-written).

    Called at session finish and, on an interrupted run whose orderly stop outlasts the
    watchdog (a loaded machine), by the watchdog just before it ends the process: the results
    recorded so far are kept either way. Returns the results folder, or None when this is not
    a wetest session (then nothing is written).
    """
    config = session.config
    if workers.is_worker(config) or RECORDS not in config.stash:
        return None
    with _WRITING:
        interrupter = interrupt.get(config)
        if interrupter is not None:
            interrupter.mark_cut_off(config.stash[RECORDS], blank_record)
        records = list(config.stash[RECORDS].values())
        if not any(r["we"] or r["clauses"] for r in records) and not _interrupted(config):
            return None  # not a wetest run: leave no files behind
        out = session_results_dir(config)
        lines = "".join(json.dumps(rec) + "\n" for rec in records)
        _replace(out / "results.jsonl", lines)
        status = int(session.exitstatus)
        if interrupter is not None and interrupter.received is not None:
            status = interruption.exit_code(interrupter.received.signum)  # also before finish
        info = run_info(config, status)
        info["interrupted"] = interrupter.summary(session, len(records)) if interrupter else None
        _replace(out / "run.json", json.dumps(info, indent=2))
        return out


def _replace(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text)
    partial.replace(path)


def _interrupted(config: pytest.Config) -> bool:
    """An interrupted run writes run.json even before its first wetest test reported."""
    interrupter = interrupt.get(config)
    if interrupter is None or interrupter.received is None:
        return False
    if workers.external(config):
        return True
    shared = config.stash.get(workers.SHARED_KEY, None)
    return shared is not None and (shared / "stack.lock").exists()  # a test asked for we_stack


def session_results_dir(config: pytest.Config) -> Path:
    out = session.get(config).results_dir.resolve()
    out.mkdir(parents=True, exist_ok=True)
    return out


def run_info(config: pytest.Config, exitstatus: int) -> dict[str, Any]:
    s = session.get(config)
    record = state.read(workers.shared_dir(config))
    sess = config.stash.get(SESSION, None)
    return {
        "wetest_version": "0.1.0",
        "contract_version": CONTRACT,
        "clause_set_hash": _clause_hash(),
        "target": {"name": s.target.split(":", 1)[0], "command": s.target, "version": ""},
        "backend": s.backend,
        "profiles": list(s.profile),
        "started": config.stash.get(STARTED, ""),
        "finished": _now(),
        "exit_status": exitstatus,
        "settings": {k: {"value": r.value, "source": r.source} for k, r in s.sources.items()},
        "endpoints": json.loads(record.endpoints.to_json()) if record else {},
        "session_error": sess.shouldfail if sess and isinstance(sess.shouldfail, str) else None,
        "tekton": s.tekton_tier,
        "isolation": isolation.run_mode(record.endpoints if record else None),
        "exclusions": markers.recorded_exclusions(session_results_dir(config)),
        "api_call_evidence": apiaudit.run_status(
            s.backend, s.audit_log, _recorded_evidence(config)
        ),
    }


def _recorded_evidence(config: pytest.Config) -> str:
    """The stack's api_call_evidence: from its state file, else this process's handle."""
    record = state.read(workers.shared_dir(config))
    handle = config.stash.get(HANDLE_KEY, None)
    endpoints = record.endpoints if record else handle.endpoints if handle else None
    return endpoints.api_call_evidence if endpoints else ""


def _clause_hash() -> str:
    try:
        from wetest.report import clauses
    except ImportError:
        return ""
    try:
        return clauses.clause_set_hash(clauses.load())
    except Exception:  # the catalogue is optional for writing results
        return ""


def _keep_logs(config: pytest.Config, out: Path) -> None:
    """Copy component logs (controller, DataStorage, supervisor) before the stack folder goes."""
    shared = workers.shared_dir(config)
    for log in [*shared.glob("logs/*.log"), *shared.glob("*.log")]:
        (out / "logs").mkdir(exist_ok=True)
        shutil.copy(log, out / "logs" / log.name)
