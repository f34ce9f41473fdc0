"""triage.html: the triage model as one self-contained page, plus a timeline per test.

Self-contained means inline CSS, no external resources and no script, so the file can be opened
from a CI artifact store offline and cannot leak anything when opened. Failed tests' timelines
start open; the rest are collapsed with ``<details>``.
"""

from __future__ import annotations

import hashlib
import json
from html import escape

from wetest.report import excerpts, triage
from wetest.report.results import TestResult

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;
text-align:left;vertical-align:top}th{background:#f3f3f3}
pre{background:#f6f8fa;border:1px solid #ddd;padding:.6em;font-size:12px;white-space:pre-wrap;
word-break:break-word}#clauses td:first-child{white-space:nowrap}
.group{border-left:4px solid #c0392b;padding-left:1em;margin:1.5em 0}
.group.k-environment{border-color:#9a6700}.group.k-interrupted{border-color:#888}
.group.k-suite-defect{border-color:#8250df}.facts th{width:16em}
.action{background:#fff8e1;border:1px solid #f0c36d;padding:.5em}
.warn{color:#8a4b00}code{font-size:12px}
.timeline{list-style:none;padding-left:0}.timeline li{padding:.15em 0;border-bottom:1px dotted #ddd}
.kind{display:inline-block;min-width:4.5em;font-weight:600;font-size:12px}
.k-status .kind{color:#1f6feb}.k-audit .kind{color:#8250df}.k-event .kind{color:#1a7f37}
.k-wait .kind{color:#9a6700}time{color:#666;font-family:monospace;font-size:12px;margin-right:.6em}
.failed{color:#c0392b}.passed{color:#1a7f37}
"""


def render(model: triage.Triage) -> str:
    body = [
        "<h1>wetest triage report</h1>",
        _summary(model),
        _warnings(model),
        _groups(model),
        _clauses(model),
        _checklist(model),
        _timelines(model),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>wetest triage report</title>"
        f"<style>{CSS}</style></head><body>\n"
        + "\n".join(b for b in body if b)
        + "\n</body></html>\n"
    )


def _summary(model: triage.Triage) -> str:
    rows = "".join(
        f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in model.summary.items()
    )
    return f'<table id="summary">{rows}</table>'


def _warnings(model: triage.Triage) -> str:
    if not model.run.warnings:
        return ""
    items = "".join(f"<li>{escape(w)}</li>" for w in model.run.warnings)
    return f'<h2>Warnings</h2><ul class="warn" id="warnings">{items}</ul>'


def _groups(model: triage.Triage) -> str:
    if not model.groups:
        return '<h2>Failures by root cause</h2><p id="groups">No test failed.</p>'
    linked = set(model.timelines)
    sections = "".join(_group(view, linked) for view in model.groups)
    return f'<h2>Failures by root cause</h2><div id="groups">{sections}</div>'


def anchor(nodeid: str) -> str:
    """A stable, HTML-safe id for a test's timeline, so groups can link to it."""
    return "tl-" + hashlib.sha1(nodeid.encode(), usedforsecurity=False).hexdigest()[:12]


def _group(view: triage.GroupView, linked: set[str]) -> str:
    group, finding = view.group, view.finding
    items = "".join(_test_item(r, r.nodeid in linked) for r in group.results)
    command = f"<pre>{escape(view.command)}</pre>" if view.command else ""
    facts = [
        ("Kind", group.kind_text),
        ("Severity", str(finding.severity)),
        ("Root cause", finding.cause),
        ("Clauses", ", ".join(group.clauses)),
        ("Evidence", _counts(group.counts)),
        ("How the tests failed (mechanically)", _counts(group.mechanical)),
    ]
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in facts if v)
    proof = f'<pre class="proof">{escape(chr(10).join(group.lines))}</pre>' if group.lines else ""
    return (
        f'<section class="group k-{escape(str(finding.kind))}" '
        f'data-cause="{escape(finding.cause)}" data-kind="{escape(str(finding.kind))}">'
        f'<h3>{escape(view.title)}</h3><table class="facts">{rows}</table>'
        f'<div class="action"><strong>Next action:</strong> {escape(finding.next_action)}'
        f"{command}</div>{proof}<ul>{items}</ul>{_excerpt(view)}</section>"
    )


def _counts(counts: dict[str, int]) -> str:
    return "; ".join(f"{name}: {n}" for name, n in counts.items())


def _test_item(result: TestResult, linked: bool) -> str:
    label = f" [{escape(result.rerun.label)}]" if result.rerun else ""
    link = f' <a href="#{anchor(result.nodeid)}">timeline</a>' if linked else ""
    message = f" — {escape(triage.short_message(result))}" if result.message else ""
    return (
        f"<li><code>{escape(result.nodeid)}</code> ({escape(result.outcome)} in "
        f"{escape(result.when)}){label}{link}{message}</li>"
    )


def _excerpt(view: triage.GroupView) -> str:
    ex = view.excerpt
    parts = [f"<p>Evidence from <code>{escape(view.representative.nodeid)}</code>:</p>"]
    if ex.conflicting_write:
        parts.append(
            f'<p>Conflicting write:</p><pre class="conflict">{escape(ex.conflicting_write)}</pre>'
        )
    if ex.observed_state:
        parts.append(_pre("Observed state", ex.observed_source, ex.observed_state))
    if ex.log_lines:
        parts.append(_pre("Log lines around the failure", ex.log_source, ex.log_lines))
    if len(parts) == 1:
        parts.append("<p>No evidence files were recorded for this group.</p>")
    return "".join(parts)


def _pre(title: str, source: str, lines: list[str]) -> str:
    text = escape("\n".join(lines))
    return f"<p>{escape(title)} (<code>{escape(source)}</code>):</p><pre>{text}</pre>"


def _clauses(model: triage.Triage) -> str:
    if not model.clause_failures:
        return ""
    head = (
        "<tr><th>Clause</th><th>Profile</th><th>Root causes</th><th>Tests</th>"
        "<th>Clause text</th></tr>"
    )
    rows = "".join(
        f"<tr><td>{escape(r.clause)}</td><td>{escape(r.profile)}</td>"
        f"<td>{escape(', '.join(r.causes))}</td>"
        f"<td>{'<br>'.join(f'<code>{escape(t)}</code>' for t in r.tests)}</td>"
        f"<td>{escape(r.title)}</td></tr>"
        for r in model.clause_failures
    )
    return f'<h2>Failed clauses</h2><table id="clauses">{head}{rows}</table>'


def _checklist(model: triage.Triage) -> str:
    if not model.checklist:
        return ""
    items = "".join(f"<li>{escape(step)}</li>" for step in model.checklist)
    return f'<h2>Next steps, in order</h2><ol id="checklist">{items}</ol>'


def _timelines(model: triage.Triage) -> str:
    if not model.timelines:
        return ""
    outcomes = {r.nodeid: r for r in model.run.results}
    blocks = "".join(
        _timeline(outcomes[nodeid], entries) for nodeid, entries in model.timelines.items()
    )
    return f'<h2>Timelines</h2><div id="timelines">{blocks}</div>'


def _timeline(result: TestResult, entries: list[excerpts.TimelineEntry]) -> str:
    status = "failed" if result.failed else "passed"
    items = "".join(_entry(e) for e in entries)
    opened = " open" if result.failed else ""
    return (
        f'<details class="test-timeline" id="{anchor(result.nodeid)}" '
        f'data-nodeid="{escape(result.nodeid)}"{opened}>'
        f'<summary><span class="{status}">{escape(result.outcome)}</span> '
        f"<code>{escape(result.nodeid)}</code></summary>"
        f'<ol class="timeline">{items}</ol></details>'
    )


def _entry(entry: excerpts.TimelineEntry) -> str:
    detail = ""
    if entry.detail not in (None, {}, []):
        text = json.dumps(entry.detail, indent=1, sort_keys=True, default=str)
        detail = f"<details><summary>detail</summary><pre>{escape(text)}</pre></details>"
    return (
        f'<li class="k-{escape(entry.kind)}" data-kind="{escape(entry.kind)}">'
        f"<time>{escape(entry.t)}</time>"
        f'<span class="kind">{escape(entry.kind)}</span> {escape(entry.summary)}{detail}</li>'
    )
