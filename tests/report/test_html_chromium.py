"""triage.html renders in headless Chromium: groups, actions and per-test timelines are in the DOM.

Chromium is a test dependency (scripts/setup.sh installs it). When it is missing this test
fails with the install command instead of skipping, because a skipped render check would let a
broken page ship silently.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from wetest.report import build

MISSING = (
    "Chromium is required to check triage.html but was not found on PATH (looked for chromium, "
    "chromium-browser). Run: apt-get install -y chromium"
)
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)  # fmt: skip


def find_chromium() -> str:
    """Called in the test body, not a fixture, so a missing browser is a failure, not an error."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail(MISSING, pytrace=False)
    return found


def run_chromium(tmp_path: Path, *args: str) -> str:
    command = [find_chromium(), *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"chromium exited {done.returncode}: {done.stderr[-2000:]}"
    return done.stdout


@pytest.fixture
def page(seed_run: Path) -> Path:
    build.build(seed_run)
    return seed_run / "triage.html"


def test_dom_has_the_groups_actions_and_timeline(page: Path, tmp_path: Path) -> None:
    dom = run_chromium(tmp_path, "--dump-dom", page.as_uri())
    assert "<tbody>" in dom, "the DOM was not produced by the browser's parser"
    groups = re.findall(
        r'<section class="group k-[\w-]+" data-cause="([^"]+)" data-kind="([^"]+)">', dom
    )
    assert groups == [
        ("DataStorage unavailable", "environment"),
        ("resource-version conflict", "controller-defect"),
    ]
    assert "<h3>6 tests: DataStorage was not available to the controller or the harness" in dom
    assert "<h3>5 tests: status writes refused with 409 Conflict — the controller wrote" in dom
    assert "<th>Kind</th><td>controller defect against a clause</td>" in dom
    assert "<th>Clauses</th><td>WE-STAT-002, WE-STAT-004, WE-COND-040</td>" in dom
    assert "<pre>wetest up</pre>" in dom
    steps = re.findall(r"<li>([^<]+)</li>", dom[dom.index('<ol id="checklist">') :])
    assert steps[0].startswith("Start DataStorage")
    assert steps[1].startswith("Merge the transition and the AuditRecorded condition")
    assert "Operation cannot be fulfilled on workflowexecutions.kubernaut.ai" in dom
    timeline = dom[dom.index('<div id="timelines">') :]
    kinds = re.findall(r'<li class="k-(\w+)" data-kind="\w+">', timeline)
    assert kinds == ["status", "status", "audit", "event", "wait"]
    assert "phase Pending -&gt; Running" in timeline
    assert "Normal PipelineRunCreated Created PipelineRun" in timeline
    opened = re.search(
        r'<details class="test-timeline" id="(tl-\w+)" '
        r'data-nodeid="suites/conditions/test_conditions.py::test_conflict_0" open="">',
        timeline,
    )
    assert opened, "the failed test's timeline is missing or collapsed"
    assert f'<a href="#{opened.group(1)}">timeline</a>' in dom


def test_page_is_self_contained(page: Path) -> None:
    html = page.read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html
    assert "url(" not in html
    assert "<script" not in html


def test_screenshot_is_a_full_page_png(page: Path, tmp_path: Path) -> None:
    png = tmp_path / "triage.png"
    run_chromium(tmp_path, f"--screenshot={png}", "--window-size=1280,2000", page.as_uri())
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 2000)
    assert len(data) > 20_000, "the screenshot is nearly empty; the page did not render"
