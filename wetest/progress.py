"""One place that prints progress for long work (building, starting, running).

Progress goes to stderr so that ``--json`` output on stdout stays machine-readable. Set
``WETEST_QUIET=1`` to silence it.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager


def enabled() -> bool:
    """Progress is on unless WETEST_QUIET is set to a true value."""
    return os.environ.get("WETEST_QUIET", "").lower() not in {"1", "true", "yes"}


def say(message: str) -> None:
    """Print one progress line, prefixed so it is recognisable in CI logs."""
    if enabled():
        print(f"wetest: {message}", file=sys.stderr, flush=True)


@contextmanager
def step(message: str) -> Iterator[None]:
    """Print the start of a step and, when it ends, how long it took."""
    say(f"{message} ...")
    started = time.monotonic()
    try:
        yield
    except BaseException:
        say(f"{message} failed after {time.monotonic() - started:.1f}s")
        raise
    say(f"{message} done in {time.monotonic() - started:.1f}s")
