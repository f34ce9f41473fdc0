"""Scratch directories (wetest.stack.scratch): an exited owner's are swept, nobody else's."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from wetest.stack import scratch


def dead_pid() -> int:
    done = subprocess.Popen(["true"])
    done.wait()  # reaped: the pid names no process now
    return done.pid


def scratch_dir(where: Path, name: str, owner: int | None) -> Path:
    made = where / name
    (made / "member").mkdir(parents=True)
    if owner is not None:
        scratch.owner_file(made).write_text(str(owner))
    return made


def test_only_directories_of_exited_owners_are_swept(tmp_path: Path) -> None:
    orphan = scratch_dir(tmp_path, "wetest-envtest-orphan", dead_pid())
    mine = scratch_dir(tmp_path, "wetest-pg-mine", os.getpid())
    parents = scratch_dir(tmp_path, "wetest-pg-parent", os.getppid())
    unknown = scratch_dir(tmp_path, "wetest-envtest-older", None)  # no owner file: left alone
    assert scratch.sweep(tmp_path) == [orphan]
    assert not orphan.exists()
    assert not scratch.owner_file(orphan).exists()
    assert mine.is_dir()
    assert parents.is_dir()
    assert unknown.is_dir()


def test_a_made_directory_names_its_owner_until_removed() -> None:
    made = scratch.make("wetest-test-scratch-")
    try:
        assert made.parent == scratch.root()
        assert scratch.owner_file(made).read_text() == str(os.getpid())
    finally:
        scratch.remove(made)
    assert not made.exists()
    assert not scratch.owner_file(made).exists()
