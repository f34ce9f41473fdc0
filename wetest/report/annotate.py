"""Write each failed test's root cause back into results.jsonl (the ``root_cause`` field).

The report is rebuilt from files (``wetest report <dir>`` after the run, or again in a CI step),
so this is idempotent: the field is recomputed and replaced, records of tests that did not fail
lose a stale one, lines that are not records (a half-written last line) are kept as they are,
and the file is only rewritten when something changed, atomically.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from wetest.report.analysis.causes import Finding

FIELD = "root_cause"


def results_jsonl(path: Path, findings: dict[str, Finding]) -> bool:
    """Set ``root_cause`` on every failed record; return whether the file changed."""
    if not path.is_file():
        return False
    old = path.read_text("utf-8", errors="replace")
    new = "".join(_line(line, findings) + "\n" for line in old.splitlines())
    if new == old:
        return False
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(new, "utf-8")
    tmp.replace(path)
    return True


def _line(line: str, findings: dict[str, Finding]) -> str:
    try:
        record = json.loads(line)
    except ValueError:
        return line
    if not isinstance(record, dict) or "nodeid" not in record:
        return line
    finding = findings.get(str(record["nodeid"]))
    if finding is None and FIELD not in record:
        return line
    if finding is None:
        record.pop(FIELD)
    else:
        record[FIELD] = finding.to_json()
    return json.dumps(record)
