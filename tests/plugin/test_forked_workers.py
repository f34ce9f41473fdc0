"""`wetest run`'s xdist workers are forks of the fork server, unless fork_server is off."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from wetest.stack.forkserver import workers

TEST = """
import os
from pathlib import Path

def test_parent():
    parent = Path(f"/proc/{os.getppid()}/cmdline").read_bytes().replace(b"\\x00", b" ")
    Path(os.environ["PARENT_OUT"]).write_bytes(b"%d " % os.getppid() + parent)
"""


def worker_parent(tmp_path: Path, *extra: str, env: dict[str, str] | None = None) -> str:
    (tmp_path / "test_parent.py").write_text(TEST)
    out = tmp_path / "parent.txt"
    argv = [sys.executable, "-m", "pytest", "-n", "1", "-p", "no:cacheprovider", *extra]
    done = subprocess.run(
        [*argv, str(tmp_path / "test_parent.py")],
        cwd=tmp_path,
        env={**os.environ, "PARENT_OUT": str(out), **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PytestAssertRewriteWarning" not in done.stdout + done.stderr
    return out.read_text().partition(" ")[2]


def test_a_worker_is_a_child_of_the_fork_server(tmp_path: Path) -> None:
    assert "wetest.stack.forkserver.server" in worker_parent(tmp_path)


def test_the_fork_server_wetest_run_started_is_used(tmp_path: Path) -> None:
    # wetest run starts the workers' server before pytest and names it in SOCKET_ENV
    server = workers.start()
    try:
        worker_parent(tmp_path, env={workers.SOCKET_ENV: str(server.path)})
        pid = int((tmp_path / "parent.txt").read_text().partition(" ")[0])
        assert pid == server.proc.pid
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("extra", "env"),
    [(("--wetest-fork-server=false",), {}), ((), {"WETEST_FORK_SERVER": "false"})],
    ids=["option", "env"],
)
def test_fork_server_off_starts_each_worker_as_xdist_does(
    tmp_path: Path, extra: tuple[str, ...], env: dict[str, str]
) -> None:
    parent = worker_parent(tmp_path, *extra, env=env)
    assert "-m pytest" in parent
    assert "forkserver" not in parent
