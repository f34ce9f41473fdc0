"""Rebuild every report file of a run directory from its files alone.

``build`` is what both the pytest plugin (at session end) and ``wetest report`` (later, or in a
separate CI step) call, so the two always produce the same files. Besides the three reports it
writes each failed test's root cause into results.jsonl and the Allure results; both steps are
idempotent, so building twice gives the same files.
"""

from __future__ import annotations

from pathlib import Path

from wetest.report import (
    allure,
    annotate,
    clauses,
    conformance,
    render_html,
    render_markdown,
    results,
    triage,
)

TRIAGE_MD = "triage.md"
TRIAGE_HTML = "triage.html"
CONFORMANCE_YAML = "conformance.yaml"
RESULTS_JSONL = "results.jsonl"


def build(run_dir: Path) -> list[Path]:
    """Write triage.md, triage.html and conformance.yaml into run_dir; return their paths.

    Raises ``results.RunDirectoryError`` (a ConfigError, exit code 2) when run_dir is missing or
    holds no run files.
    """
    run = results.read(Path(run_dir))
    catalogue = clauses.load()
    model = triage.build(run, catalogue)
    outputs = {
        TRIAGE_MD: render_markdown.render(model),
        TRIAGE_HTML: render_html.render(model),
        CONFORMANCE_YAML: conformance.dump(conformance.build(run, catalogue)),
    }
    written = []
    for name, text in outputs.items():
        path = run.directory / name
        path.write_text(text, "utf-8")
        written.append(path)
    annotate.results_jsonl(run.directory / RESULTS_JSONL, model.findings)
    allure.amend(run.directory, model.findings)
    return written
