"""conformance.yaml: a verdict per clause, and per profile from its own clauses (DOMAIN §0.6).

Every catalogue clause is listed, including the ones no test reached, each with a reason, so a
reader can tell "not conformant" from "not checked" and two reports can be compared clause by
clause (``wetest compare``). A clause's result comes from the per-clause verdicts of the tests
citing it (results.jsonl ``clause_results``, written by ``wetest.checks``; for older results the
test's outcome). A clause counts for the profile of its catalogue tag, whichever test cited it, so
a failing Extended check never fails a Core clause. ``conformant`` means every clause of the
selected profiles passed and none is untested; clauses that cannot be observed from outside are
listed apart with the reason (``suites/unobservable.yaml``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from wetest import bundled
from wetest.report import analysis, clauses
from wetest.report.results import ClauseResult, Run, TestResult

REPORT_PROFILES = ("Core", "Cond", "Audit", "Ext", "DS")
NO_TEST = "no test covers it"
NOT_SELECTED = "profile not selected"
ENV_FACT = "environment fact, not a profile requirement"
UNOBSERVABLE_YAML = "unobservable.yaml"
TALLY = ("passed", "failed", "not-reached", "untested", "unobservable")


def unobservable_path() -> Path:
    return bundled.path("suites") / UNOBSERVABLE_YAML


def load_unobservable(path: Path | None = None) -> dict[str, str]:
    """Clauses documented as not observable from outside, with why (empty when no file)."""
    path = unobservable_path() if path is None else path
    if not path.is_file():
        return {}
    raw = yaml.safe_load(path.read_text("utf-8")) or {}
    entries = raw.get("clauses", {}) if isinstance(raw, dict) else {}
    return {str(k): " ".join(str(v).split()) for k, v in entries.items()}


def build(
    run: Run,
    catalogue: dict[str, clauses.Clause] | None = None,
    unobservable: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The conformance report as plain data (what conformance.yaml holds)."""
    catalogue = clauses.load() if catalogue is None else catalogue
    unobservable = load_unobservable() if unobservable is None else unobservable
    entries = clause_results(run, catalogue, unobservable)
    profiles = profile_results(run, entries)
    counted = [p for p in profiles.values() if p["selected"]]
    untested = [c for c, e in entries.items() if e.get("counted", True) and _untested(e)]
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
        "conformant": bool(counted) and all(p["result"] == "passed" for p in counted),
        "profiles": profiles,
        "clauses": entries,
        "untested": untested,
        "unobservable": {
            c: e["reason"] for c, e in entries.items() if e["result"] == "unobservable"
        },
        "not_run": not_run(run),
        "excluded": {"count": len(run.info.exclusions), "tests": list(run.info.exclusions)},
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


def profile_results(run: Run, entries: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each profile judged by its own clauses: passed only when all passed and none is untested.

    ``failed`` when a clause failed, ``incomplete`` when none failed but some were not reached or
    have no test, ``not-run`` when none of its clauses has a result.
    """
    selected = selected_tags(run)
    out = {}
    for tag in REPORT_PROFILES:
        own = [e for e in entries.values() if e["profile"] == tag]
        tally = dict.fromkeys(TALLY, 0)
        for entry in own:
            tally["untested" if entry["result"] == "not-run" else entry["result"]] += 1
        tests = {t for e in own for t in e.get("tests", ())}
        if tally["failed"]:
            result = "failed"
        elif tally["passed"] and tally["passed"] + tally["unobservable"] == len(own):
            result = "passed"
        else:
            result = "incomplete" if tally["passed"] or tally["not-reached"] else "not-run"
        out[clauses.PROFILE_NAMES[tag]] = {
            "selected": selected is None or tag in selected,
            "result": result,
            "clauses": len(own),
            **{key.replace("-", "_"): n for key, n in tally.items()},
            "tests": len(tests),
        }
    return out


def _untested(entry: dict[str, Any]) -> bool:
    return entry["result"] in ("not-run", "not-reached")


def clause_results(
    run: Run, catalogue: dict[str, clauses.Clause], unobservable: dict[str, str] | None = None
) -> dict[str, dict[str, Any]]:
    """One entry per catalogue clause, then any clause the tests cite that it does not know."""
    unobservable = unobservable or {}
    selected = selected_tags(run)
    bound: dict[str, list[tuple[TestResult, ClauseResult]]] = {}
    for result in run.results:
        for clause, verdict in verdicts_of(result).items():
            bound.setdefault(clause, []).append((result, verdict))
    out = {}
    for clause_id in sorted(set(catalogue) | set(bound)):
        known = catalogue.get(clause_id)
        profile = known.profile if known else "unknown"
        tests = bound.get(clause_id, [])
        entry: dict[str, Any]
        if not tests and clause_id in unobservable:
            entry = {"result": "unobservable", "reason": unobservable[clause_id]}
        else:
            entry = _clause(run, profile, tests)
        out[clause_id] = {"profile": profile, **entry}
        if known is None:
            out[clause_id].update(note="not in the clause catalogue", counted=False)
        elif profile == "Env" or (selected is not None and profile not in selected):
            out[clause_id]["counted"] = False
    return out


def verdicts_of(result: TestResult) -> dict[str, ClauseResult]:
    """A test's per-clause verdicts; for results without them, every clause gets the outcome."""
    if result.clause_results:
        return result.clause_results
    if result.outcome == "passed":
        verdict = ClauseResult("passed")
    elif result.failed:
        verdict = ClauseResult("failed", result.message or "")
    else:
        verdict = ClauseResult("not-reached", "skipped: " + (result.message or "no reason given"))
    return dict.fromkeys(result.clauses, verdict)


def _clause(run: Run, profile: str, tests: list[tuple[TestResult, ClauseResult]]) -> dict[str, Any]:
    failed = [r for r, v in tests if v.result == "failed"]
    passed = [r for r, v in tests if v.result == "passed"]
    if failed:
        causes_seen = dict.fromkeys(analysis.cause_of(run, r) for r in failed)
        messages = dict.fromkeys(v.message for _, v in tests if v.result == "failed")
        return {
            "result": "failed",
            "tests": [r.nodeid for r in failed],
            "causes": list(causes_seen),
            "messages": [m for m in messages if m],
        }
    if passed:
        return {"result": "passed", "tests": [r.nodeid for r in passed]}
    if tests:
        return {
            "result": "not-reached",
            "tests": [r.nodeid for r, _ in tests],
            "reason": next((v.message for _, v in tests if v.message), "not reached"),
        }
    return {"result": "not-run", "reason": not_run_reason(run, profile)}


def not_run_reason(run: Run, profile: str) -> str:
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
