"""Group findings across tests by root cause, most explanatory first, with summed evidence.

Tests whose findings share cause and headline are one group: headlines carry no per-test
numbers, so a group reads like one line of a hand-written triage, and its counts are the sums of
its tests' counts. Groups are ordered by cause (the order of ``causes.CAUSES``), then severity,
then size.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass

from wetest.report.analysis.causes import CAUSES, KIND_TEXT, SEVERITY_RANK, Finding
from wetest.report.results import TestResult

MAX_LINES = 8


@dataclass(frozen=True)
class Group:
    """One root cause and the failed tests it explains."""

    finding: Finding
    results: tuple[TestResult, ...]
    findings: tuple[Finding, ...]

    @property
    def heading(self) -> str:
        n = len(self.results)
        return f"{n} test{'s' if n != 1 else ''}: {self.finding.headline}"

    @property
    def kind_text(self) -> str:
        return KIND_TEXT[self.finding.kind]

    @property
    def counts(self) -> dict[str, int]:
        total: collections.Counter[str] = collections.Counter()
        for finding in self.findings:
            total.update(finding.counts)
        return dict(total)

    @property
    def clauses(self) -> tuple[str, ...]:
        """The clauses the proven findings name (a message-only finding's are a guess)."""
        proven = [f for f in self.findings if f.corroborated] or list(self.findings)
        return tuple(dict.fromkeys(c for f in proven for c in f.clauses))

    @property
    def mechanical(self) -> dict[str, int]:
        """How the tests failed mechanically (wait timeout, assertion, ...), with how many."""
        return dict(collections.Counter(f.mechanical for f in self.findings if f.mechanical))

    @property
    def lines(self) -> tuple[str, ...]:
        """The proving lines of the first tests, without repeats, cut to MAX_LINES."""
        seen = dict.fromkeys(line for f in self.findings for line in f.lines if line)
        return tuple(seen)[:MAX_LINES]


def group(pairs: list[tuple[TestResult, Finding]]) -> list[Group]:
    """Failed tests with their findings → ordered groups.

    A finding only the test's message supports joins the largest corroborated group of the
    same cause, as a person would file "5 tests: conflict" after proving it on one of them.
    """
    buckets: dict[tuple[str, str], list[tuple[TestResult, Finding]]] = {}
    for result, finding in pairs:
        if finding.corroborated:
            buckets.setdefault((finding.cause, finding.headline), []).append((result, finding))
    for result, finding in pairs:
        if not finding.corroborated:
            key = _strongest(buckets, finding.cause) or (finding.cause, finding.headline)
            buckets.setdefault(key, []).append((result, finding))
    groups = [
        Group(items[0][1], tuple(r for r, _ in items), tuple(f for _, f in items))
        for items in buckets.values()
    ]
    return sorted(groups, key=_order)


def _strongest(
    buckets: dict[tuple[str, str], list[tuple[TestResult, Finding]]], cause: str
) -> tuple[str, str] | None:
    keys = [k for k, items in buckets.items() if k[0] == cause and items[0][1].corroborated]
    return max(keys, key=lambda k: len(buckets[k]), default=None)


def _order(group: Group) -> tuple[int, int, int]:
    cause = group.finding.cause
    rank = CAUSES.index(cause) if cause in CAUSES else len(CAUSES)
    return (rank, SEVERITY_RANK[group.finding.severity], -len(group.results))


def checklist(groups: list[Group]) -> list[str]:
    """The next steps in order, one per distinct action, each saying how many tests it covers."""
    steps: dict[str, int] = {}
    for g in groups:
        steps[g.finding.next_action] = steps.get(g.finding.next_action, 0) + len(g.results)
    return [f"{action} ({n} test{'s' if n != 1 else ''})" for action, n in steps.items()]
