"""End to end: the double-status-write mutant's run opens with the conflict group (WE-STAT-002).

This is the issue's own scenario (the seed bug under ``wetest run``): the report must say
conflict, name WE-STAT-002, count the 409s and give the fix, whether or not the run recorded
API-call evidence (the reference controller logs each 409 with the API's text, which the
conflict analyzer reads when api-calls.jsonl is absent).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "mutants"))
from killing import Selection, run_suites

SELECTION = Selection(
    "test_exactly_once_under_concurrent_writes_to_the_object or "
    "test_audit_recorded_follows_each_transition"
)


def test_double_status_write_run_opens_with_the_conflict_group(tmp_path: Path) -> None:
    run = run_suites("double-status-write", SELECTION, tmp_path / "run", workers=0)
    assert run.failed(), f"the mutant was not killed; see {run.results_dir}.log"
    text = (run.results_dir / "triage.md").read_text()
    first = next(line for line in text.splitlines() if line.startswith("### "))
    n = len(run.failed())
    assert first.startswith(
        f"### {n} test{'s' if n > 1 else ''}: status writes refused with 409 Conflict — the "
        "controller wrote status twice in one reconcile (WE-STAT-002)"
    ), text
    group = text[text.index(first) : text.find("\n### ", text.index(first) + 1)]
    conflicts = re.search(r"409 Conflict on workflowexecutions/status: (\d+)", group)
    assert conflicts, group
    assert int(conflicts.group(1)) >= n
    assert "never committed: AuditRecorded" in group
    assert "**Next action:** Merge the transition and the AuditRecorded condition" in group
    records = [json.loads(x) for x in (run.results_dir / "results.jsonl").read_text().splitlines()]
    causes = {r["root_cause"]["cause"] for r in records if r["outcome"] in ("failed", "error")}
    assert causes == {"resource-version conflict"}
