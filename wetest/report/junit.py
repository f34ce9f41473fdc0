"""Fallback reader for junit.xml (xunit2) when results.jsonl is missing.

JUnit carries no clauses, profiles or evidence, so a report built from it has outcomes and
messages only; the report says so in its warnings.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from wetest.report import results


def read(path: Path, warnings: list[str]) -> list[results.TestResult]:
    """One TestResult per testcase; an unreadable file gives no results and a warning."""
    if not path.is_file():
        warnings.append("Neither results.jsonl nor junit.xml exists; no test results were read.")
        return []
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as exc:
        warnings.append(f"junit.xml could not be parsed ({exc}); no test results were read.")
        return []
    warnings.append("results.jsonl is missing; results come from junit.xml (no clauses, evidence).")
    return [_result(case) for case in root.iter("testcase")]


def _result(case: ET.Element) -> results.TestResult:
    classname = case.get("classname", "")
    name = case.get("name", "")
    nodeid = f"{classname.replace('.', '/')}.py::{name}" if classname else name
    outcome, element = _outcome(case)
    message = element.get("message") if element is not None else None
    error_class = element.get("type") if element is not None else None
    return results.TestResult(
        nodeid=nodeid,
        outcome=outcome,
        name=name,
        when="setup" if outcome == "error" else "call",
        duration=float(case.get("time") or 0.0),
        error_class=error_class or None,
        message=(message or "").splitlines()[0] if message else None,
        longrepr=element.text if element is not None else None,
    )


def _outcome(case: ET.Element) -> tuple[str, ET.Element | None]:
    for tag, outcome in (("failure", "failed"), ("error", "error"), ("skipped", "skipped")):
        element = case.find(tag)
        if element is not None:
            return outcome, element
    return "passed", None
