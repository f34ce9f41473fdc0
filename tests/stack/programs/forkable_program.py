"""A program for the fork server's tests: reports what it was given, then exits or sleeps.

``main(["report", PATH, CODE])`` writes its argv, cwd, environment variable WETEST_PROBE and
process title to PATH as JSON and returns CODE; ``main(["sleep"])`` prints ``up`` and sleeps.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import setproctitle


def main(argv: Sequence[str]) -> int:
    if argv[0] == "sleep":
        print("up", flush=True)
        time.sleep(120)
        return 0
    _, path, code = argv
    report = {
        "argv": sys.argv,
        "cwd": str(Path.cwd()),
        "probe": os.environ.get("WETEST_PROBE"),
        "title": setproctitle.getproctitle(),
        "stdin": sys.stdin.read(),
    }
    Path(path).write_text(json.dumps(report))
    print("reported to the log", flush=True)
    return int(code)
