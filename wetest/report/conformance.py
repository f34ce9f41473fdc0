"""conformance.yaml: which profiles and clauses an implementation passed, for EVERY clause.

Every catalogue clause is listed, including the ones no test reached, each with a reason, so a
reader can tell "not conformant" from "not checked" and two reports can be compared clause by
clause (``wetest compare``). A profile passes when every test bound to it passed and it had at
least one test; a controller is "WE v1.0 conformant" when Core passes (DOMAIN §0.5).
"""

from __future__ import annotations

from typing import Any

import yaml

from wetest.report import analysis, clauses
from wetest.report.results import Run, TestResult

REPORT_PROFILES = ("Core", "Cond", "Audit", "Ext", "DS")
NO_TEST = "no test covers it"
NOT_SELECTED = "profile not selected"
ENV_FACT = "environment fact, not a profile requirement"


def build(run: Run, catalogue: dict[str, clauses.Clause] | None = None) -> dict[str, Any]:
    """The conformance report as plain data (what conformance.yaml holds)."""
    catalogue = clauses.load() if catalogue is None else catalogue
    profiles = profile_results(run)
    return {
        "wetest_version": run.info.wetest_version,
        "implementation": implementation(run),
        "contract": contract(run, catalogue),
        "run": {
            "backend": run.info.backend,
            "started": run.info.started,
            "finished": run.info.finished,
            "exit_status": run.info.exit_status,
            "session_error": run.info.session_error,
        },
        "conformant": profiles["Core"]["result"] == "passed",
        "profiles": profiles,
        "clauses": clause_results(run, catalogue),
        "not_run": not_run(run),
    }


def dump(report: dict[str, Any]) -> str:
    return yaml.safe_dump(report, sort_keys=False, allow_unicode=True, width=100)


def implementation(run: Run) -> dict[str, str]:
    target = run.info.target
    return {"name": target.name, "version": target.version, "how_run": target.command}


def contract(run: Run, catalogue: dict[str, clauses.Clause]) -> dict[str, Any]:
    """The catalogue's hash; the run's own hash too, when it differs (the suite was older)."""
    digest = clauses.clause_set_hash(catalogue)
    data: dict[str, Any] = {"version": run.info.contract_version, "clause_set_hash": digest}
    if run.info.clause_set_hash and run.info.clause_set_hash != digest:
        data["run_clause_set_hash"] = run.info.clause_set_hash
    return data


def selected_tags(run: Run) -> set[str] | None:
    """The profiles the run selected, or None when run.json does not say (then all count)."""
    if not run.info.profiles:
        return None
    return {tag for name in run.info.profiles if (tag := clauses.tag_of(name))}


def profile_results(run: Run) -> dict[str, dict[str, Any]]:
    selected = selected_tags(run)
    out = {}
    for tag in REPORT_PROFILES:
        bound = [r for r in run.results if clauses.tag_of(r.profile) == tag]
        tally = {o: sum(r.outcome == o for r in bound) for o in ("passed", "failed", "error")}
        ok = bool(bound) and tally["passed"] == len(bound)
        result = "passed" if ok else ("failed" if bound else "not-run")
        out[clauses.PROFILE_NAMES[tag]] = {
            "selected": selected is None or tag in selected,
            "result": result,
            "tests": len(bound),
            **tally,
            "skipped": len(bound) - sum(tally.values()),
        }
    return out


def clause_results(run: Run, catalogue: dict[str, clauses.Clause]) -> dict[str, dict[str, Any]]:
    """One entry per catalogue clause, then any clause the tests cite that it does not know."""
    bound: dict[str, list[TestResult]] = {}
    for result in run.results:
        for clause in result.clauses:
            bound.setdefault(clause, []).append(result)
    out = {}
    for clause_id in sorted(set(catalogue) | set(bound)):
        known = catalogue.get(clause_id)
        profile = known.profile if known else "unknown"
        out[clause_id] = {"profile": profile, **_clause(run, profile, bound.get(clause_id, []))}
        if known is None:
            out[clause_id]["note"] = "not in the clause catalogue"
    return out


def _clause(run: Run, profile: str, tests: list[TestResult]) -> dict[str, Any]:
    failed = [r for r in tests if r.failed]
    passed = [r for r in tests if r.outcome == "passed"]
    if failed:
        causes_seen = dict.fromkeys(analysis.cause_of(run, r) for r in failed)
        return {
            "result": "failed",
            "tests": [r.nodeid for r in failed],
            "causes": list(causes_seen),
        }
    if passed:
        return {"result": "passed", "tests": [r.nodeid for r in passed]}
    return {"result": "not-run", "reason": not_run_reason(run, profile, tests)}


def not_run_reason(run: Run, profile: str, tests: list[TestResult]) -> str:
    if tests:
        return "skipped: " + (tests[0].message or "no reason given")
    selected = selected_tags(run)
    if selected is not None and profile in REPORT_PROFILES and profile not in selected:
        return NOT_SELECTED
    if run.info.session_error:
        return f"session stopped: {run.info.session_error}"
    return ENV_FACT if profile == "Env" else NO_TEST


def not_run(run: Run) -> list[dict[str, str]]:
    """Tests that did not run, with the reason (skip message or the session's stop)."""
    rows = [
        {"test": r.nodeid, "reason": r.message or "skipped without a reason"}
        for r in run.results
        if r.outcome == "skipped"
    ]
    if run.info.session_error and not run.results:
        rows.append({"test": "(all)", "reason": f"session stopped: {run.info.session_error}"})
    return rows
