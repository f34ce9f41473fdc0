"""The advisory file locks every run shares (``wetest.filelocks``)."""

from __future__ import annotations

import threading
from pathlib import Path

from wetest import filelocks


def test_a_held_lock_is_refused_at_once_and_free_again_when_closed(tmp_path: Path) -> None:
    path = tmp_path / "new" / "slot-0.lock"  # its folder is created on first use
    held = filelocks.try_exclusive(path)
    assert held is not None
    assert filelocks.try_exclusive(path) is None  # another open file: refused, not waited for
    held.close()
    again = filelocks.try_exclusive(path)
    assert again is not None
    again.close()


def test_exclusive_waits_for_the_holder(tmp_path: Path) -> None:
    path = tmp_path / "stack.lock"
    held = filelocks.try_exclusive(path)
    assert held is not None
    entered = threading.Event()

    def enter() -> None:
        with filelocks.exclusive(path):
            entered.set()

    waiter = threading.Thread(target=enter)
    waiter.start()
    assert not entered.wait(0.2)  # still held by us
    held.close()
    assert entered.wait(5)
    waiter.join(5)
    after = filelocks.try_exclusive(path)
    assert after is not None  # released on leaving the block
    after.close()
