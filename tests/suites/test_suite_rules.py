"""Rules the suites keep that no controller run can check: self-checks of the suite itself.

These used to be (or would be) conformance tests, but they observe only the suite's own files:
reported under a clause they would pass for every controller, so they live here instead.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
SUITES = ROOT / "suites"
FIXTURES = ROOT / "fixtures" / "workflowexecutions"
DEPRECATED = ("consecutiveFailures", "nextAllowedExecution")
# a literal targetResource with no per-test part: shared by every run on a long-lived stack
FIXED_TARGET = re.compile(r"""target(?:_resource)?\s*=\s*["'][^"'{}]*/[^"'{}]*["']""")


def suite_module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"suite_{path.stem}", path)
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def suite_files() -> list[Path]:
    return sorted(SUITES.rglob("test_*.py"))


def test_every_invalid_fixture_has_a_case() -> None:
    """fixtures/workflowexecutions/invalid and the CRD suite's expected messages stay in step.

    WE-CRD-030 is checked by the CRD suite's cases against the API server; this only keeps the
    list of cases complete.
    """
    crd = suite_module(SUITES / "validation" / "test_crd_schema.py")
    assert sorted(p.name for p in (FIXTURES / "invalid").glob("*.yaml")) == sorted(
        [*crd.INVALID, *crd.STATUS_CASES]
    )


def test_no_suite_asserts_a_deprecated_routing_field() -> None:
    """WE-FAIL-030: suites MUST NOT assert consecutiveFailures / nextAllowedExecution."""
    offenders = []
    for path in suite_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Assert) and any(
                name in ast.unparse(node) for name in DEPRECATED
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, (
        f"these asserts check a deprecated field: {offenders}; WE-FAIL-030 forbids it, "
        "assert failureDetails (or a status field no controller writes) instead"
    )


def test_no_suite_uses_a_fixed_target() -> None:
    """Every targetResource is unique per run (built from we_namespace or we_name).

    A fixed target (``payment/deployment/payment-api``) is one PipelineRun name for every
    run: on a long-lived stack the previous run's lock or cooldown decides the next run.
    """
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in suite_files()
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if FIXED_TARGET.search(line)
    ]
    assert not offenders, (
        f"fixed targetResource values: {offenders}; build the target from we_namespace or "
        "we_name so that it is unique per run"
    )
