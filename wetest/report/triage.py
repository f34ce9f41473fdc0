"""The triage view of a run: summary, cause groups with evidence and next action, clause table.

Both renderers (Markdown and HTML) draw this one model, so the two files never disagree and the
rules (which test represents a group, how the pass rate is computed) live in one place.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from wetest.report import actions, causes, clauses, evidence
from wetest.report.results import Run, TestResult


@dataclass(frozen=True)
class GroupView:
    """One cause group as the reader sees it: which tests, one excerpt, the next action."""

    group: causes.Group
    representative: TestResult
    excerpt: evidence.Excerpt
    action: actions.Action

    @property
    def title(self) -> str:
        return str(self.group.cause)


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
    clause_failures: list[ClauseFailure]
    timelines: dict[str, list[evidence.TimelineEntry]]


def build(run: Run, catalogue: dict[str, clauses.Clause] | None = None) -> Triage:
    catalogue = clauses.load() if catalogue is None else catalogue
    groups = causes.group(run.results)
    return Triage(
        run=run,
        summary=summary(run),
        groups=[view(run.directory, group) for group in groups],
        clause_failures=clause_failures(groups, catalogue),
        timelines=timelines(run),
    )


def summary(run: Run) -> dict[str, str]:
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
    if info.session_error:
        lines["Session stopped"] = info.session_error
    return lines


def pass_rate(counts: dict[str, int]) -> str:
    """Passed over tests that ran (skipped ones did not run, so they do not count)."""
    ran = counts["passed"] + counts["failed"] + counts["error"]
    return f"{100 * counts['passed'] / ran:.1f}% ({counts['passed']}/{ran})" if ran else "n/a"


def view(run_dir: Path, group: causes.Group) -> GroupView:
    """The first test with readable evidence represents the group; else the first test."""
    chosen, excerpt = group.results[0], evidence.Excerpt()
    for result in group.results:
        candidate = evidence.excerpt(run_dir, result)
        if candidate:
            chosen, excerpt = result, candidate
            break
    if not excerpt.conflicting_write:
        conflict = evidence.conflicting_write(chosen)
        excerpt = dataclasses.replace(excerpt, conflicting_write=conflict)
    return GroupView(group, chosen, excerpt, actions.next_action(group))


def clause_failures(
    groups: list[causes.Group], catalogue: dict[str, clauses.Clause]
) -> list[ClauseFailure]:
    """Per failed clause: the failing tests and their causes, in clause ID order."""
    tests: dict[str, dict[str, str]] = {}
    for group in groups:
        for result in group.results:
            for clause in result.clauses:
                tests.setdefault(clause, {})[result.nodeid] = str(group.cause)
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


def timelines(run: Run) -> dict[str, list[evidence.TimelineEntry]]:
    """Every test's timeline that has entries, failures first (they are read first)."""
    ordered = sorted(run.results, key=lambda r: not r.failed)
    found = {r.nodeid: evidence.timeline(run.directory, r) for r in ordered}
    return {nodeid: entries for nodeid, entries in found.items() if entries}
