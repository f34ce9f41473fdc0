"""The supervisor's command channel (wetest.stack.control): requests are read whole or answered."""

from __future__ import annotations

import json
import os
import signal
import threading
from pathlib import Path

from wetest.stack import control


def test_a_request_is_never_seen_half_written(tmp_path: Path) -> None:
    """The supervisor lists the folder whenever any worker rings; the run that found this had a
    request read while another worker was still writing it, and the supervisor stopped."""
    seen: list[str] = []
    rang = threading.Event()
    previous = signal.signal(signal.SIGUSR1, lambda *_: rang.set())
    try:

        def supervisor() -> None:
            while rang.wait(5):
                rang.clear()
                for request, command in control.pending(tmp_path):
                    seen.append(command)
                    control.answer(request, {"ok": command})
                if len(seen) == 40:
                    return

        loop = threading.Thread(target=supervisor)
        loop.start()
        senders = [
            threading.Thread(
                target=control.send,
                args=(tmp_path, os.getpid(), f"cmd-{i}"),
                kwargs={"timeout": 10},
            )
            for i in range(40)
        ]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join()
        rang.set()
        loop.join()
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert sorted(seen) == sorted(f"cmd-{i}" for i in range(40))


def test_an_unreadable_request_is_answered_with_an_error(tmp_path: Path) -> None:
    (control.folder(tmp_path) / "broken.json").write_text("")
    (control.folder(tmp_path) / "good.json").write_text(json.dumps({"command": "component-status"}))
    assert [command for _, command in control.pending(tmp_path)] == ["component-status"]
    answer = json.loads((control.folder(tmp_path) / "broken.done").read_text())
    assert "unreadable request broken.json" in answer["error"]
