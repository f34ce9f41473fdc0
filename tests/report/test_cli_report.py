"""`wetest report <run-dir>` rebuilds the three files from an existing run directory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from wetest import cli


def test_report_prints_the_paths_it_wrote(
    seed_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["report", str(seed_run)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [str(seed_run / n) for n in ("triage.md", "triage.html", "conformance.yaml")]
    assert all(Path(line).stat().st_size > 0 for line in lines)


def test_report_json(seed_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["report", str(seed_run), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["triage.md"] == str(seed_run / "triage.md")


@pytest.mark.parametrize("make_dir", [False, True])
def test_missing_or_empty_dir_exits_2_with_the_fix(
    tmp_path: Path, make_dir: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "run"
    if make_dir:
        target.mkdir()
    assert cli.main(["report", str(target)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"wetest: error: The run directory {target} ")
    assert err.endswith("with the directory that pytest's --wetest-results-dir wrote.")


def test_report_package_imports_neither_pytest_nor_the_stack(seed_run: Path) -> None:
    """Beyond what ``import wetest`` (the facade) loads, the report adds no forbidden module."""
    code = (
        "import sys, pathlib, wetest; before = set(sys.modules); "
        "from wetest.report import build, compare; "
        f"build.build(pathlib.Path({str(seed_run)!r})); "
        "new = set(sys.modules) - before; "
        "bad = sorted(m for m in new if m.split('.')[0] in ('pytest', '_pytest', 'kubernetes')"
        " or m.startswith(('wetest.stack', 'wetest.plugin', 'wetest.kube'))); "
        "bad += [m for m in ('pytest', '_pytest') if m in sys.modules]; "
        "print(bad); sys.exit(bool(bad))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
