"""Put each failed test's root cause into Allure: a label, a description, and categories.

Allure Report's *Categories* tab groups failures by regular expressions over the status
message, not by labels, and inside a category by the whole message. So each failed result's
``statusDetails.message`` becomes ``[root cause: <cause>] <headline>`` (the test's own message
moves to the top of ``statusDetails.trace``), and ``categories.json`` holds one category per
cause matching that prefix: the tab then reads cause → headline → tests, like triage.md. The
label (``tag: root-cause: <cause>``) makes the cause filterable in the tree; the description
says cause, headline and next action next to the test. Amending is idempotent: the message, tag
and description block are replaced, and the original message moves into the trace only once.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from wetest.report.analysis.causes import CAUSES, Finding

DIRECTORY = "allure-results"
PREFIX = re.compile(r"^\[root cause: ")
TAG = "root-cause: "
DESCRIPTION_START = "Root cause:"


def amend(run_dir: Path, findings: dict[str, Finding]) -> int:
    """Amend the failed tests' ``*-result.json`` files; return how many were changed."""
    folder = run_dir / DIRECTORY
    if not folder.is_dir():
        return 0
    by_key = {_key(nodeid): finding for nodeid, finding in findings.items()}
    changed = 0
    for path in sorted(folder.glob("*-result.json")):
        try:
            result = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            continue
        finding = by_key.get((str(result.get("fullName") or ""), str(result.get("name") or "")))
        if finding is not None and _apply(result, finding):
            path.write_text(json.dumps(result), "utf-8")
            changed += 1
    if findings:
        (folder / "categories.json").write_text(json.dumps(categories(), indent=1), "utf-8")
    return changed


def categories() -> list[dict[str, Any]]:
    """One Allure category per root cause, matching the message prefix ``amend`` writes."""
    return [
        {
            "name": f"Root cause: {cause}",
            "matchedStatuses": ["failed", "broken"],
            "messageRegex": rf"\[root cause: {re.escape(cause)}\][\s\S]*",
        }
        for cause in CAUSES
    ]


def _key(nodeid: str) -> tuple[str, str]:
    """``audit/test_a.py::test_x[p]`` → (``audit.test_a#test_x``, ``test_x[p]``), Allure's names."""
    path, _, name = nodeid.partition("::")
    module = path.removesuffix(".py").replace("/", ".")
    function = name.split("::")[-1]
    return f"{module}#{function.partition('[')[0]}", function


def _apply(result: dict[str, Any], finding: Finding) -> bool:
    before = json.dumps(result, sort_keys=True)
    details = result.setdefault("statusDetails", {})
    message = str(details.get("message") or "")
    if not PREFIX.match(message):  # first amendment: the test's own message heads the trace
        details["trace"] = f"{message}\n\n{details.get('trace') or ''}".strip()
    details["message"] = f"[root cause: {finding.cause}] {finding.headline}"
    labels = [
        label
        for label in result.get("labels") or []
        if not str(label.get("value", "")).startswith(TAG)
    ]
    labels.append({"name": "tag", "value": TAG + finding.cause})
    result["labels"] = labels
    description = str(result.get("description") or "")
    description = description.split(DESCRIPTION_START)[0].rstrip()
    block = (
        f"{DESCRIPTION_START} {finding.cause} ({finding.kind}, {finding.severity}) — "
        f"{finding.headline}\n\nNext action: {finding.next_action}"
    )
    result["description"] = f"{description}\n\n{block}".strip()
    return json.dumps(result, sort_keys=True) != before
