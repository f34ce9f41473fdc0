"""Session end: stop the stack this pytest session started, and check that none of it is left.

The check itself is the library's (``wetest.supervision.leftovers``, which `wetest run` also
calls after stopping its own stack); this module adds its result to the run that pytest
wrote. run.json and the triage report exist by then (they are written when the session
finishes, the stack stops after it), so a violation is added to run.json and the report is
built again; a clean stop only adds the empty list.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from wetest.plugin import session
from wetest.supervision import leftovers


def stop_stack(config: pytest.Config, shared: Path) -> list[leftovers.Leftover]:
    """Stop the stack whose state is in ``shared``; record and say what outlived the stop."""
    left = leftovers.stop(shared)
    run_dir = session.get(config).results_dir.resolve()
    if leftovers.record(run_dir, left) and left:
        from wetest.report import build

        try:
            build.build(run_dir)
        except Exception as exc:  # the report must never turn a run's result into a crash
            print(f"wetest: the triage report could not be rebuilt: {exc}", file=sys.stderr)
    if left:
        print(f"wetest: {leftovers.describe(left)}", file=sys.stderr)
    return left
