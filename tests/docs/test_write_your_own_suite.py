"""docs/how-to/write-your-own-suite.md: its example project passes under plain `pytest`.

The example is copied out of the tree (a separate project, as a user has it) and run with
`python -m pytest` and nothing else: the plugin comes from wetest's entry point, the settings
from the example's own ``[tool.wetest]``, the stack is started and stopped by that run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import wetest

ROOT = Path(wetest.__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "my-controller-suite"
PAGE = ROOT / "docs" / "how-to" / "write-your-own-suite.md"


def test_the_page_shows_the_example_project_as_it_is() -> None:
    page = PAGE.read_text()
    for name in ("pyproject.toml", "tests/test_my_controller.py"):
        assert (EXAMPLE / name).read_text().rstrip() in page, name


def test_the_example_project_passes_under_plain_pytest(tmp_path: Path) -> None:
    project = tmp_path / "my-controller-suite"
    shutil.copytree(EXAMPLE, project)
    env = {k: v for k, v in os.environ.items() if not k.startswith("WETEST_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "2 passed" in done.stdout
    results = project / "wetest-results" / "results.jsonl"
    outcomes = [json.loads(line)["outcome"] for line in results.read_text().splitlines()]
    assert outcomes == ["passed", "passed"]
