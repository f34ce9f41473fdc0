"""Clause-by-clause differences between two conformance reports (run A, then run B).

A run directory's conformance.yaml is used when present; otherwise it is computed from the run's
files, so two old runs can be compared without rebuilding their reports first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from wetest.report import build, conformance, results

REGRESSION = ("passed", "failed")
FIX = ("failed", "passed")


@dataclass
class Comparison:
    """Transitions of each clause from A to B, grouped so the regressions are read first."""

    a: str
    b: str
    regressions: list[str] = field(default_factory=list)
    fixes: list[str] = field(default_factory=list)
    changed: dict[str, str] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "regressions": self.regressions,
            "fixes": self.fixes,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "notes": self.notes,
        }


def load(run_dir: Path) -> dict[str, Any]:
    """The conformance report of a run directory (raises RunDirectoryError when unreadable)."""
    path = run_dir / build.CONFORMANCE_YAML
    if path.is_file():
        try:
            data = yaml.safe_load(path.read_text("utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise results.RunDirectoryError(
                f"The conformance report {path} could not be read ({exc})."
                f" Run: wetest report {run_dir}"
            ) from exc
        if isinstance(data, dict) and isinstance(data.get("clauses"), dict):
            return data
        raise results.RunDirectoryError(
            f"The conformance report {path} holds no clause list. Run: wetest report {run_dir}"
        )
    return conformance.build(results.read(run_dir))


def compare(a_dir: Path, b_dir: Path) -> Comparison:
    a, b = load(a_dir), load(b_dir)
    out = Comparison(str(a_dir), str(b_dir), notes=notes(a, b))
    a_clauses, b_clauses = a["clauses"], b["clauses"]
    for clause_id in sorted(set(a_clauses) | set(b_clauses)):
        before = _result(a_clauses.get(clause_id))
        after = _result(b_clauses.get(clause_id))
        _record(out, clause_id, before, after)
    return out


def _result(entry: Any) -> str:
    return str(entry.get("result", "absent")) if isinstance(entry, dict) else "absent"


def _record(out: Comparison, clause_id: str, before: str, after: str) -> None:
    if before == after:
        out.unchanged[before] = out.unchanged.get(before, 0) + 1
    elif (before, after) == REGRESSION:
        out.regressions.append(clause_id)
    elif (before, after) == FIX:
        out.fixes.append(clause_id)
    else:
        out.changed[clause_id] = f"{before} -> {after}"


def notes(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Why a difference may not be the implementation's: other contract, other clause set."""
    found = []
    for key, label in (("version", "contract version"), ("clause_set_hash", "clause set")):
        va, vb = (r.get("contract", {}).get(key) for r in (a, b))
        if va != vb:
            found.append(f"The {label} differs: {va} in A, {vb} in B.")
    ia, ib = (r.get("implementation", {}) for r in (a, b))
    if ia != ib:
        found.append(f"The implementations differ: {_impl(ia)} in A, {_impl(ib)} in B.")
    return found


def _impl(impl: dict[str, Any]) -> str:
    return " ".join(str(impl.get(k) or "") for k in ("name", "version")).strip() or "unknown"
