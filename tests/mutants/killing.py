"""Run the conformance suites against a mutant or variant of the reference: a two-sided table.

Shared by ``test_mutants_killed.py`` (small selections, in ``make test``) and
``bench/mutant_kill_table.py`` (every suite). The controller is started exactly as an alternate
controller would be, as a ``command:`` target of ``wetest run``, so the table measures the
suites through the same seam a user's controller goes through.

Two sides: a test *kills* a mutant (a controller with a known bug) when it fails or errors
against the mutant and passed against the unmutated reference in the same selection; every
mutant must be killed. A benign variant (a legal behaviour the reference does not have) must
*pass*: a test that fails against a variant and passed against the reference is a false alarm
of the suite, as wrong as a surviving mutant.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SUITES = ROOT / "suites"
WETEST = str(Path(sys.executable).parent / "wetest")
FAILED = ("failed", "error")
REFERENCE = ""  # the mutant name of the unmutated reference controller


def controller_command(mutant: str, python: str = sys.executable, variant: str = "") -> str:
    """The ``command:`` target line; ``mutant`` and ``variant`` empty mean the reference."""
    flag = f"--mutant {shlex.quote(mutant)} " if mutant else ""
    flag += f"--variant {shlex.quote(variant)} " if variant else ""
    return (
        f"command:{shlex.quote(python)} -m wetest.reference.controller {flag}"
        "--kubeconfig {kubeconfig} --execution-namespace {execution_namespace} "
        "--cooldown {cooldown} --datastorage-url {datastorage_url} "
        "--metrics-bind-address 127.0.0.1:{metrics_port} "
        "--health-probe-bind-address 127.0.0.1:{health_port} --spool-dir {spool_dir}"
    )


@dataclass(frozen=True)
class Selection:
    """A ``-k`` expression over the suites; empty selects every test.

    ``-k`` also matches folder and module names, so ``deletion`` selects the whole deletion
    folder; node ids stay the same as in a full run, which keeps runs comparable.
    """

    keyword: str = ""

    def pytest_args(self) -> list[str]:
        return ["-k", self.keyword] if self.keyword else []

    def describe(self) -> str:
        return f"-k {self.keyword!r}" if self.keyword else "all suites"


def union(selections: Iterable[Selection]) -> Selection:
    """One selection covering all of them (empty if any of them selects everything)."""
    keys = [s.keyword for s in selections]
    if not keys or not all(keys):
        return Selection()
    return Selection(" or ".join(f"({k})" for k in dict.fromkeys(keys)))


@dataclass
class Run:
    """One ``wetest run``: the outcome of every selected test."""

    mutant: str
    selection: Selection
    outcomes: dict[str, str]
    seconds: float
    exit_code: int
    results_dir: Path
    command: list[str] = field(default_factory=list)
    variant: str = ""
    clauses: dict[str, list[str]] = field(default_factory=dict)  # nodeid → cited clauses

    @property
    def name(self) -> str:
        return self.variant or self.mutant or "reference"

    def failed(self) -> list[str]:
        return sorted(n for n, o in self.outcomes.items() if o in FAILED)


def run_suites(
    mutant: str,
    selection: Selection,
    results_dir: Path,
    workers: int = 2,
    timeout: float = 900.0,
    variant: str = "",
) -> Run:
    """Run ``wetest run`` with the controller as a command target; read results.jsonl."""
    cmd = [
        WETEST,
        "run",
        "--target",
        controller_command(mutant, variant=variant),
        "--results-dir",
        str(results_dir),
        "--suites",
        str(SUITES),
        "-n",
        str(workers),
        "--",
        *selection.pytest_args(),
    ]
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="wetest-mutant-state-") as state,
        (results_dir.parent / f"{results_dir.name}.log").open("w") as log,
    ):
        env = dict(os.environ, WETEST_STATE_DIR=state)
        proc = subprocess.run(
            cmd, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=timeout, check=False
        )
    seconds = time.monotonic() - started
    records = read_records(results_dir)
    outcomes = {rec["nodeid"]: rec["outcome"] for rec in records}
    clauses = {rec["nodeid"]: failed_clauses(rec) for rec in records}
    return Run(
        mutant, selection, outcomes, seconds, proc.returncode, results_dir, cmd, variant, clauses
    )


def read_records(results_dir: Path) -> list[dict[str, Any]]:
    """The records of results.jsonl (empty when the run wrote none)."""
    path = results_dir / "results.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def read_outcomes(results_dir: Path) -> dict[str, str]:
    """``nodeid → outcome`` from results.jsonl (empty when the run wrote none)."""
    return {rec["nodeid"]: rec["outcome"] for rec in read_records(results_dir)}


def failed_clauses(record: dict[str, Any]) -> list[str]:
    """The clauses a failing test proves broken: its failed clause results when the run
    recorded per-clause results, else every clause the test cites."""
    per_clause = record.get("clause_results") or {}
    failed = [c for c, r in per_clause.items() if (r or {}).get("result") == "failed"]
    return sorted(failed or record.get("clauses") or [])


def killers(run: Run, reference: Run) -> list[str]:
    """Tests that fail against the mutant and passed against the reference."""
    return [n for n in run.failed() if reference.outcomes.get(n) == "passed"]


def false_alarms(run: Run, reference: Run) -> list[str]:
    """Tests that fail against a benign variant and passed against the reference."""
    return killers(run, reference)


def clause_proofs(runs: Sequence[Run], reference: Run) -> dict[str, list[str]]:
    """``clause → mutants`` whose killing tests fail on that clause."""
    proofs: dict[str, set[str]] = {}
    for run in runs:
        for test in killers(run, reference):
            for clause in run.clauses.get(test, []):
                proofs.setdefault(clause, set()).add(run.mutant)
    return {clause: sorted(proofs[clause]) for clause in sorted(proofs)}


def format_variants(runs: Sequence[Run], reference: Run) -> str:
    """The other side: each variant passed, or the tests that raise a false alarm on it."""
    lines = [f"{'variant':<32} {'result':>6}  {'time':>5}  false alarms (fail here, pass on ref)"]
    for run in runs:
        alarms = false_alarms(run, reference)
        unexplained = [n for n in run.failed() if n not in alarms]
        verdict = "NO RUN" if not run.outcomes else "FAILED" if run.failed() else "passed"
        first = alarms[0] if alarms else ""
        lines.append(f"{run.variant:<32} {verdict:>6}  {run.seconds:>4.0f}s  {first}".rstrip())
        lines.extend(f"{'':<48}{name}" for name in alarms[1:])
        lines.extend(f"{'':<48}{name} (fails on the reference too)" for name in unexplained)
    return "\n".join(lines)


def format_proofs(proofs: dict[str, list[str]]) -> str:
    """Per clause, the mutants that prove a suite can see it broken."""
    lines = [f"{'clause':<14} mutants whose killing tests fail on it"]
    lines.extend(f"{clause:<14} {', '.join(names)}" for clause, names in proofs.items())
    return "\n".join(lines)


def format_table(runs: Sequence[Run], reference: Run) -> str:
    """A plain-text kill table: mutant, selection, number and names of killing tests."""
    lines = [
        f"reference: {sum(o == 'passed' for o in reference.outcomes.values())}/"
        f"{len(reference.outcomes)} passed in {reference.seconds:.0f}s "
        f"({reference.selection.describe()})",
        "",
        f"{'mutant':<22} {'kills':>5}  {'time':>5}  killing tests",
    ]
    for run in runs:
        kills = killers(run, reference)
        first = kills[0] if kills else "NOT KILLED (no selected test fails against it)"
        lines.append(f"{run.mutant:<22} {len(kills):>5}  {run.seconds:>4.0f}s  {first}")
        lines.extend(f"{'':<36}{name}" for name in kills[1:])
    return "\n".join(lines)
