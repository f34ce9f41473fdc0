"""Cut a controller log down to the records that mention one test's objects.

The controller under test serves every test of a run at once, so its log interleaves them; a
failed test's evidence must show only lines about *its* objects (namespace, WorkflowExecution
names and uids, PipelineRun names), or a reader chases another test's failure. A record is a
line plus its continuation lines (indented lines and Python/Go traceback lines), so a
traceback stays with the line that logged it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MAX_LINES = 2000
_CONTINUATION = re.compile(
    r"^(\s|Traceback \(most recent call last\)|During handling of the above|"
    r"The above exception was|goroutine \d+|[A-Za-z_][\w.]*(Error|Exception)\b)"
)


def matcher(keys: Iterable[str]) -> re.Pattern[str] | None:
    """A regex that finds any key as a whole name (``ns-1`` does not match ``ns-10``)."""
    words = sorted({k for k in keys if k}, key=len, reverse=True)
    if not words:
        return None
    alternatives = "|".join(re.escape(w) for w in words)
    return re.compile(rf"(?<![A-Za-z0-9_.-])(?:{alternatives})(?![A-Za-z0-9_-]|\.[A-Za-z0-9])")


def records(lines: list[str]) -> list[list[str]]:
    """Group lines into records: a head line and the continuation lines after it."""
    out: list[list[str]] = []
    for line in lines:
        if out and _CONTINUATION.match(line):
            out[-1].append(line)
        else:
            out.append([line])
    return out


def mentioning(text: str, keys: Iterable[str]) -> str:
    """The records of text that mention a key, in order; the last MAX_LINES lines of them."""
    pattern = matcher(keys)
    if pattern is None:
        return ""
    kept = [
        line
        for record in records(text.splitlines())
        if any(pattern.search(line) for line in record)
        for line in record
    ]
    return "".join(line + "\n" for line in kept[-MAX_LINES:])
