"""Templates published atomically into the cache (``wetest.stack.templates``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from wetest.stack import templates


def _writes(text: str) -> Callable[[Path], None]:
    def fill(private: Path) -> None:
        private.mkdir()
        (private / "data").write_text(text)

    return fill


def test_the_first_template_stays_and_no_private_folder_is_left(tmp_path: Path) -> None:
    kept = tmp_path / "cache" / "templates" / "abc"
    templates.publish(kept, _writes("first"))
    templates.publish(kept, _writes("second"))  # as a slower builder would: dropped
    assert (kept / "data").read_text() == "first"
    assert sorted(p.name for p in kept.parent.iterdir()) == ["abc"]


def test_a_failed_fill_leaves_nothing_and_says_why(tmp_path: Path) -> None:
    kept = tmp_path / "abc"

    def broken(private: Path) -> None:
        private.mkdir()
        raise RuntimeError("cp failed")

    with pytest.raises(RuntimeError, match="cp failed"):
        templates.publish(kept, broken)
    assert list(tmp_path.iterdir()) == []
