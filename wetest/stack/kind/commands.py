"""Run the kind path's executables (``kind``, ``kubectl``, ``docker``) with a timeout each.

Why executables and not the Python client: a user of the kind backend already has these tools,
the commands we run are the ones they would type (and can paste from an error message), and a
recording stand-in on ``PATH`` proves the exact sequence in wetest's own tests. This module only
runs commands and polls; it decides nothing about what to run.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from wetest.errors import StartupFailed


@dataclass(frozen=True)
class Result:
    """What one command did: its argv, exit code and output (text)."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def said(self, lines: int = 15) -> str:
        """Return the last lines of stderr (or stdout), for error messages."""
        text = (self.stderr.strip() or self.stdout.strip() or "(no output)").splitlines()
        return "\n".join(text[-lines:])


def run(argv: Sequence[str], timeout: float, stdin: str | None = None) -> Result:
    """Run argv to completion; a timeout or an unstartable program raises StartupFailed."""
    try:
        done = subprocess.run(
            list(argv),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise StartupFailed(
            f"`{' '.join(argv)}` did not finish within {timeout:.0f}s. "
            "Raise --wetest-timeout-scale or run the command yourself to see "
            "where it hangs."
        ) from exc
    except OSError as exc:
        raise StartupFailed(f"`{argv[0]}` could not be run: {exc}. Run: wetest doctor") from exc
    return Result(tuple(argv), done.returncode, done.stdout, done.stderr)


def check(argv: Sequence[str], timeout: float, fix: str, stdin: str | None = None) -> Result:
    """Run argv and raise StartupFailed with its output and the fix when it exits non-zero."""
    result = run(argv, timeout, stdin)
    if not result.ok:
        raise StartupFailed(
            f"`{' '.join(argv)}` failed with exit code {result.returncode}. "
            f"It said:\n{result.said()}\n{fix}"
        )
    return result


@dataclass(frozen=True)
class Kubectl:
    """``kubectl`` bound to one kubeconfig, passed as a flag so the user's config is untouched."""

    kubeconfig: Path
    timeout: float = 60.0

    def argv(self, *args: str) -> list[str]:
        return ["kubectl", "--kubeconfig", str(self.kubeconfig), *args]

    def run(self, *args: str, stdin: str | None = None, timeout: float | None = None) -> Result:
        return run(self.argv(*args), timeout or self.timeout, stdin)

    def check(
        self, *args: str, fix: str, stdin: str | None = None, timeout: float | None = None
    ) -> Result:
        return check(self.argv(*args), timeout or self.timeout, fix, stdin)


Attempt = Callable[[], tuple[bool, str]]


def poll(attempt: Attempt, timeout: float, interval: float) -> tuple[bool, str]:
    """Call attempt until it reports done or time runs out; return (done, last observation).

    The last observation is what a timeout message shows, so that a failure says what the
    cluster looked like rather than only that time ran out.
    """
    deadline = time.monotonic() + timeout
    while True:
        done, seen = attempt()
        if done or time.monotonic() >= deadline:
            return done, seen
        time.sleep(interval)
