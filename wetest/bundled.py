"""Locate the non-Python parts (fixtures/, suites/, infra/) in a checkout or an installed wheel.

A source checkout wins (so edits take effect without reinstalling); an installed wheel carries
copies under ``wetest/_bundled/`` (see ``[tool.hatch.build.targets.wheel.force-include]``).
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def path(folder: str) -> Path:
    """Return the folder ('fixtures', 'suites' or 'infra') from the checkout or the wheel."""
    checkout = PACKAGE.parent / folder
    if checkout.is_dir():
        return checkout
    return PACKAGE / "_bundled" / folder


def crd_dir() -> Path:
    """The WorkflowExecution CRD kept in fixtures/crds."""
    return path("fixtures") / "crds"
