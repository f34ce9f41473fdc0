"""Deterministic PipelineRun naming and label values (WE-PR-001, WE-PR-003).

The name is the lock: one PipelineRun per target, so two WEs on the same target collide on
create (WE-LOCK-001..004) instead of running twice.
"""

from __future__ import annotations

import hashlib

LABEL_VALUE_MAX = 63


def pipelinerun_name(target_resource: str) -> str:
    """``wfe-`` + the first 16 hex characters of SHA-256 over the target (WE-PR-001)."""
    return "wfe-" + hashlib.sha256(target_resource.encode("utf-8")).hexdigest()[:16]


def target_label(target_resource: str) -> str:
    """Return the target as a label value: ``/`` → ``__``, cut to 63 characters (WE-PR-003, Q5)."""
    return target_resource.replace("/", "__")[:LABEL_VALUE_MAX]
