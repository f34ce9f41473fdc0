"""The triage view of a run: summary, root-cause groups with evidence and next action, checklist.

Both renderers (Markdown and HTML) draw this one model, so the two files never disagree and the
rules (which test represents a group, how the pass rate is computed, whether API-call evidence
was available) live in one place. The findings themselves come from ``analysis``.
"""

from __future__ import annotations

from dataclasses import dataclass

from wetest.report import analysis, clauses, excerpts
from wetest.report.analysis.causes import Finding
from wetest.report.results import Run, TestResult


@dataclass(frozen=True)
class GroupView:
    """One root-cause group as the reader sees it: heading, kind, tests, proof, next action."""

    group: analysis.Group
    representative: TestResult
    excerpt: excerpts.Excerpt

    @property
    def finding(self) -> Finding:
        return self.group.finding

    @property
    def title(self) -> str:
        return self.group.heading

    @property
    def command(self) -> str:
        return self.group.finding.command


@dataclass(frozen=True)
class ClauseFailure:
    clause: str
    profile: str
    title: str
    tests: tuple[str, ...]
    causes: tuple[str, ...]


@dataclass(frozen=True)
class Triage:
    run: Run
    summary: dict[str, str]
    groups: list[GroupView]
    checklist: list[str]
    clause_failures: list[ClauseFailure]
    timelines: dict[str, list[excerpts.TimelineEntry]]
    findings: dict[str, Finding]
    """nodeid → root cause, for results.jsonl and Allure."""


def build(
    run: Run,
    catalogue: dict[str, clauses.Clause] | None = None,
    costs: analysis.Costs | None = None,
) -> Triage:
    catalogue = clauses.load() if catalogue is None else catalogue
    pairs = analysis.analyze(run, costs)
    groups = analysis.group(pairs)
    return Triage(
        run=run,
        summary=summary(run, pairs),
        groups=[view(run, g) for g in groups],
        checklist=analysis.checklist(groups),
        clause_failures=clause_failures(pairs, catalogue),
        timelines=timelines(run),
        findings={result.nodeid: finding for result, finding in pairs},
    )


def summary(run: Run, pairs: list[tuple[TestResult, Finding]]) -> dict[str, str]:
    info, counts = run.info, run.counts()
    target = info.target.name + (f" {info.target.version}" if info.target.version else "")
    lines = {
        "Target": target + (f" ({info.target.command})" if info.target.command else ""),
        "Backend": info.backend or "unknown",
        "Contract": info.contract_version,
        "Profiles": ", ".join(info.profiles) or "unknown",
        "Passed": str(counts["passed"]),
        "Failed": str(counts["failed"]),
        "Error": str(counts["error"]),
        "Skipped": str(counts["skipped"]),
        "Pass rate": pass_rate(counts),
        "Started": info.started or "unknown",
        "Finished": info.finished or "unknown",
    }
    if info.tekton:
        lines["Tekton"] = info.tekton
    if info.exclusions:  # deselected for this Tekton tier: listed, never counted as skipped
        lines["Excluded"] = f"{len(info.exclusions)}: " + "; ".join(
            f"{e['test']} ({e['reason']})" for e in info.exclusions
        )
    if info.interrupted:
        lines["Interrupted"] = (
            f"by {info.interrupted.get('signal', 'a signal')} at {info.interrupted.get('at', '?')}"
        )
    if info.session_error:
        lines["Session stopped"] = info.session_error
    if info.stack_leftovers:  # the supervisor's stop missed them; wetest killed them
        lines["Stack processes left"] = (
            ", ".join(f"{e['name']} (pid {e['pid']})" for e in info.stack_leftovers)
            + " outlived the stack's stop and were killed by wetest; see supervisor.log"
        )
    if pairs:
        lines["API-call evidence"] = api_call_evidence(run, pairs)
    return lines


def api_call_evidence(run: Run, pairs: list[tuple[TestResult, Finding]]) -> str:
    """Whether the analyzers could read the API server's audit log, and why not."""
    stated = run.info.api_call_evidence
    recorded = any("api-calls.jsonl" in result.evidence for result, _ in pairs)
    if recorded:
        return "available (api-calls.jsonl per failed test)"
    if stated.startswith("unavailable"):
        return stated + " — conflicts and writes were judged from the controller log"
    return (
        "unavailable: this run recorded no api-calls.jsonl — conflicts and writes were judged "
        "from the controller log"
    )


def pass_rate(counts: dict[str, int]) -> str:
    """Passed over tests that ran (skipped ones did not run, so they do not count)."""
    ran = counts["passed"] + counts["failed"] + counts["error"]
    return f"{100 * counts['passed'] / ran:.1f}% ({counts['passed']}/{ran})" if ran else "n/a"


def short_message(result: TestResult, limit: int = 160) -> str:
    """The first line of a test's message, cut so that a list of tests stays readable."""
    line = (result.message or "").splitlines()[0] if result.message else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def view(run: Run, group: analysis.Group) -> GroupView:
    """The first test with readable evidence represents the group; else the first test."""
    for result in group.results:
        found = excerpts.excerpt(analysis.Evidence(run.directory, result, run.info))
        if found:
            return GroupView(group, result, found)
    return GroupView(group, group.results[0], excerpts.Excerpt())


def clause_failures(
    pairs: list[tuple[TestResult, Finding]], catalogue: dict[str, clauses.Clause]
) -> list[ClauseFailure]:
    """Per failed clause: the failing tests and their root causes, in clause ID order."""
    tests: dict[str, dict[str, str]] = {}
    for result, finding in pairs:
        for clause in _failed_clauses(result):
            tests.setdefault(clause, {})[result.nodeid] = finding.cause
    rows = []
    for clause_id in sorted(tests):
        known = catalogue.get(clause_id)
        failing = tests[clause_id]
        rows.append(
            ClauseFailure(
                clause=clause_id,
                profile=known.profile if known else "not in catalogue",
                title=known.title if known else "",
                tests=tuple(failing),
                causes=tuple(dict.fromkeys(failing.values())),
            )
        )
    return rows


def _failed_clauses(result: TestResult) -> tuple[str, ...]:
    """Per-clause results when the run has them (a failing Ext check spares Core clauses)."""
    failed = tuple(c for c, r in result.clause_results.items() if r.result == "failed")
    return failed or result.clauses


def timelines(run: Run) -> dict[str, list[excerpts.TimelineEntry]]:
    """Every test's timeline that has entries, failures first (they are read first)."""
    ordered = sorted(run.results, key=lambda r: not r.failed)
    found = {r.nodeid: excerpts.timeline(run.directory, r, run.info) for r in ordered}
    return {nodeid: entries for nodeid, entries in found.items() if entries}
