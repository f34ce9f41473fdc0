"""The coverage tables name real tests, and every suite test cites clause IDs."""

from __future__ import annotations

import functools
import re
import subprocess
import sys
from pathlib import Path

from wetest.cli import run
from wetest.config import settings

ROOT = Path(__file__).resolve().parents[2]
NODE = re.compile(r"`(suites/[^`:]+\.py::[A-Za-z0-9_]+)(\[[^`]*\])?`")


@functools.cache  # one collection (a pytest process over every suite) serves both tests
def collected() -> frozenset[str]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            *(arg for plugin in run.PLUGINS for arg in ("-p", plugin)),
            "--rootdir",
            str(ROOT),
            "-c",
            str(ROOT / "suites" / "pytest.ini"),
            str(ROOT / "suites"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        env=run.pytest_env(
            settings.load({}).cache_dir
        ),  # the plugins `wetest run` loads, not every installed one
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    ids = {line.split("[")[0] for line in out.stdout.splitlines() if "::" in line}
    return frozenset(i if i.startswith("suites/") else f"suites/{i}" for i in ids)


def test_every_test_named_in_the_coverage_tables_exists() -> None:
    named = set()
    for table in ("COVERAGE-A.md", "COVERAGE-B.md"):
        named |= {m.group(1) for m in NODE.finditer((ROOT / "suites" / table).read_text())}
    assert len(named) > 40
    missing = sorted(named - collected())
    assert not missing, f"coverage tables name tests that do not exist: {missing}"


def test_there_are_at_least_sixty_conformance_tests() -> None:
    assert len(collected()) >= 60
