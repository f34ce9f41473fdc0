"""Every clause outside ENV is cited by a suite test or documented as unobservable from outside.

A clause that is neither would show up as "untested" in every conformance.yaml, so a bundled run
could never be conformant; listing it in suites/unobservable.yaml says why no black-box test can
observe it. Markers are read from the source (no collection), so the check costs milliseconds.
"""

from __future__ import annotations

import ast
from pathlib import Path

from wetest import checks
from wetest.report import clauses, conformance

SUITES = Path(__file__).resolve().parents[2] / "suites"


def cited_clauses(root: Path = SUITES) -> dict[str, list[str]]:
    """Clause ID -> the suite tests whose ``we_conformance`` marker cites it."""
    cited: dict[str, list[str]] = {}
    for path in sorted(root.rglob("test_*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for decorator in node.decorator_list:
                for call in ast.walk(decorator):
                    if not _is_marker(call):
                        continue
                    assert isinstance(call, ast.Call)
                    for arg in call.args[1:]:
                        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                            test = f"{path.relative_to(root.parent)}::{node.name}"
                            cited.setdefault(arg.value, []).append(test)
    return cited


def _is_marker(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "we_conformance"
    )


def test_markers_are_found() -> None:
    cited = cited_clauses()
    assert "WE-PR-001" in cited
    assert "WE-LOCK-001" in cited


def test_every_clause_outside_env_is_cited_or_documented_as_unobservable() -> None:
    catalogue = clauses.load()
    cited = cited_clauses()
    unobservable = conformance.load_unobservable(SUITES / conformance.UNOBSERVABLE_YAML)
    missing = sorted(
        c.id
        for c in catalogue.values()
        if c.profile != "Env" and c.id not in cited and c.id not in unobservable
    )
    assert not missing, (
        f"{len(missing)} clause(s) are neither cited by a suite test's we_conformance marker nor "
        f"listed in suites/unobservable.yaml: {', '.join(missing)}. Add a test that observes each "
        "one, or list it in suites/unobservable.yaml with why it cannot be observed from outside."
    )


def test_the_unobservable_list_is_exact() -> None:
    catalogue = clauses.load()
    cited = cited_clauses()
    unobservable = conformance.load_unobservable(SUITES / conformance.UNOBSERVABLE_YAML)
    unknown = sorted(set(unobservable) - set(catalogue))
    assert not unknown, f"suites/unobservable.yaml lists clauses DOMAIN.md lacks: {unknown}."
    both = sorted(set(unobservable) & set(cited))
    assert not both, (
        f"{both} are cited by suite tests and listed as unobservable; remove them from "
        "suites/unobservable.yaml."
    )
    for clause_id, reason in unobservable.items():
        assert reason.endswith("."), f"{clause_id}: give the reason as a full sentence."


def test_every_check_in_the_suites_names_a_clause_its_marker_cites() -> None:
    """A check of an uncited clause fails at run time; this finds it without a stack."""
    wrong = []
    for path in sorted(SUITES.rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            cited = {
                arg.value
                for decorator in node.decorator_list
                for call in ast.walk(decorator)
                if _is_marker(call)
                for arg in call.args[1:]  # type: ignore[attr-defined]
                if isinstance(arg, ast.Constant)
            }
            extra = checks.declared(ast.unparse(node)) - cited
            if extra:
                wrong.append(f"{path.relative_to(SUITES.parent)}::{node.name}: {sorted(extra)}")
    assert not wrong, f"checks name clauses their marker does not cite: {wrong}"
