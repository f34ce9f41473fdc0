"""triage.md: the triage model as Markdown, for CI job summaries and pull-request comments.

Excerpts go in fenced blocks so that log text cannot break the page; table cells escape ``|``.
"""

from __future__ import annotations

from wetest.report import triage

FENCE = "```"


def render(model: triage.Triage) -> str:
    parts = [
        _summary(model),
        _warnings(model),
        _groups(model),
        _clauses(model),
        _checklist(model),
    ]
    return "\n".join(part for part in parts if part).rstrip() + "\n"


def _summary(model: triage.Triage) -> str:
    lines = ["# wetest triage report", "", "| | |", "|---|---|"]
    lines += [f"| {key} | {cell(value)} |" for key, value in model.summary.items()]
    return "\n".join(lines) + "\n"


def _warnings(model: triage.Triage) -> str:
    if not model.run.warnings:
        return ""
    return "\n".join(["## Warnings", "", *[f"- {w}" for w in model.run.warnings]]) + "\n"


def _groups(model: triage.Triage) -> str:
    if not model.groups:
        return "## Failures by root cause\n\nNo test failed.\n"
    total = sum(len(g.group.results) for g in model.groups)
    plural = "s" if len(model.groups) != 1 else ""
    lines = [
        "## Failures by root cause",
        "",
        f"{total} failing tests in {len(model.groups)} root-cause group{plural}, most "
        "explanatory first.",
        "",
    ]
    for view in model.groups:
        lines += group_lines(view)
    return "\n".join(lines)


def group_lines(view: triage.GroupView) -> list[str]:
    group, finding = view.group, view.finding
    lines = [f"### {view.title}", ""]
    facts = [f"**Kind:** {group.kind_text}", f"**Severity:** {finding.severity}"]
    if group.clauses:
        facts.append("**Clauses:** " + ", ".join(group.clauses))
    lines += ["- " + " · ".join(facts), f"- **Root cause:** {finding.cause}"]
    if group.counts:
        lines.append("- **Evidence:** " + counts_text(group.counts))
    if group.mechanical:
        lines.append("- **How the tests failed (mechanically):** " + counts_text(group.mechanical))
    lines += ["", f"**Next action:** {finding.next_action}"]
    if view.command:
        lines += ["", FENCE + "sh", view.command, FENCE]
    if group.lines:
        lines += ["", "Proving lines:", "", FENCE, *group.lines, FENCE]
    lines += ["", "Tests:", ""]
    for result in group.results:
        label = f" [{result.rerun.label}]" if result.rerun else ""
        message = f" — {triage.short_message(result)}" if result.message else ""
        lines.append(f"- `{result.nodeid}` ({result.outcome} in {result.when}){label}{message}")
    lines += ["", *excerpt_lines(view), ""]
    return lines


def counts_text(counts: dict[str, int]) -> str:
    return "; ".join(f"{name}: {n}" for name, n in counts.items())


def excerpt_lines(view: triage.GroupView) -> list[str]:
    ex = view.excerpt
    lines = [f"Evidence from `{view.representative.nodeid}`:"]
    if ex.conflicting_write:
        lines += ["", "Conflicting write:", "", FENCE, ex.conflicting_write, FENCE]
    if ex.observed_state:
        lines += ["", f"Observed state (`{ex.observed_source}`):", "", FENCE + "yaml"]
        lines += [*ex.observed_state, FENCE]
    if ex.log_lines:
        lines += ["", f"Log lines around the failure (`{ex.log_source}`):", "", FENCE]
        lines += [*ex.log_lines, FENCE]
    if len(lines) == 1:
        lines += ["", "No evidence files were recorded for this group."]
    return lines


def _clauses(model: triage.Triage) -> str:
    if not model.clause_failures:
        return ""
    lines = ["## Failed clauses", "", "| Clause | Profile | Root causes | Tests | Clause text |"]
    lines.append("|---|---|---|---|---|")
    for row in model.clause_failures:
        tests = "<br>".join(f"`{t}`" for t in row.tests)
        causes = ", ".join(row.causes)
        lines.append(f"| {row.clause} | {row.profile} | {causes} | {tests} | {cell(row.title)} |")
    return "\n".join(lines) + "\n"


def _checklist(model: triage.Triage) -> str:
    if not model.checklist:
        return ""
    steps = [f"{i}. [ ] {step}" for i, step in enumerate(model.checklist, start=1)]
    return "\n".join(["## Next steps, in order", "", *steps]) + "\n"


def cell(text: str) -> str:
    """A table cell: one line, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")
