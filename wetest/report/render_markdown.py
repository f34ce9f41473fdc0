"""triage.md: the triage model as Markdown, for CI job summaries and pull-request comments.

Excerpts go in fenced blocks so that log text cannot break the page; table cells escape ``|``.
"""

from __future__ import annotations

from wetest.report import triage

FENCE = "```"


def render(model: triage.Triage) -> str:
    parts = [_summary(model), _warnings(model), _groups(model), _clauses(model)]
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
        return "## Failures by cause\n\nNo test failed.\n"
    total = sum(len(g.group.results) for g in model.groups)
    lines = [
        "## Failures by cause",
        "",
        f"{total} failing tests in {len(model.groups)} groups.",
        "",
    ]
    for view in model.groups:
        lines += group_lines(view)
    return "\n".join(lines)


def group_lines(view: triage.GroupView) -> list[str]:
    results = view.group.results
    lines = [f"### {view.title} ({len(results)})", ""]
    for result in results:
        label = f" [{result.rerun.label}]" if result.rerun else ""
        message = f" — {result.message}" if result.message else ""
        lines.append(f"- `{result.nodeid}` ({result.outcome} in {result.when}){label}{message}")
    lines += ["", f"**Next action:** {view.action.text}"]
    if view.action.command:
        lines += ["", FENCE + "sh", view.action.command, FENCE]
    lines += ["", *excerpt_lines(view), ""]
    return lines


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
    lines = ["## Failed clauses", "", "| Clause | Profile | Causes | Tests | Clause text |"]
    lines.append("|---|---|---|---|---|")
    for row in model.clause_failures:
        tests = "<br>".join(f"`{t}`" for t in row.tests)
        causes = ", ".join(row.causes)
        lines.append(f"| {row.clause} | {row.profile} | {causes} | {tests} | {cell(row.title)} |")
    return "\n".join(lines) + "\n"


def cell(text: str) -> str:
    """A table cell: one line, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")
