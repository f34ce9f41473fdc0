"""Data directories kept in the cache as templates (etcd with the CRDs, a PostgreSQL cluster).

A template is built once per key and copied at every start instead of being rebuilt. Two
stacks (two workers, ``wetest up`` and a run) may build the same one at once, so it is filled
in a private sibling folder and renamed into place: a reader sees either no template or a whole
one, and the slower builder's copy is dropped.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path


def publish(template: Path, fill: Callable[[Path], None]) -> None:
    """Make ``template`` by letting ``fill`` write a private folder, then renaming it."""
    template.parent.mkdir(parents=True, exist_ok=True)
    private = template.with_name(f"{template.name}.building-{os.getpid()}-{threading.get_ident()}")
    shutil.rmtree(private, ignore_errors=True)
    try:
        fill(private)
        private.rename(template)
    except OSError:
        shutil.rmtree(private, ignore_errors=True)
        if not template.is_dir():
            raise  # not "built by someone else meanwhile": the fill or the rename failed
    except BaseException:
        shutil.rmtree(private, ignore_errors=True)
        raise
