"""What each process of a run imports before its first useful step: none of the heavy clients.

Start-up is CPU on a shared machine (seven processes at ``-n 6``), so the modules on the path
to a test's start load ``kubernetes``, ``httpx``, ``asyncpg`` and ``yaml`` only when a step
needs them (docs/performance.md, "Start-up"). Asserted on ``sys.modules``, never on a time.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("kubernetes", "httpx", "asyncpg", "yaml")

STEPS = {
    "the `wetest run` command line": "import wetest.cli\nwetest.cli.parser(['run'])",
    "the supervisor before its first state write": "import wetest.supervision.supervisor",
    "the pytest plugin's registration": (
        "import wetest.plugin\nfor name in wetest.plugin.MODULES: __import__(name)"
    ),
}


@pytest.mark.parametrize("step", sorted(STEPS))
def test_a_start_up_step_imports_no_heavy_client(step: str) -> None:
    probe = f"{STEPS[step]}\nimport sys\nprint(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    found = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert found == "", f"{step} imports {found}; import it where a step needs it"
