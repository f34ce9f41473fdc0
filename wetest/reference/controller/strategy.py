"""The seam for deliberately non-conformant variants ("mutants") of the reference controller.

A mutant is a ``Reconciler`` subclass that overrides one small method (``commit``,
``write_status``, ``progress``...) to reintroduce a known bug, registered here by name and
selected with the hidden ``--mutant NAME`` flag. The conformant behaviour is the base class;
the mutants live in ``mutants.py`` and none is ever the default.
"""

from __future__ import annotations

from wetest.reference.controller import mutants
from wetest.reference.controller.reconciler import Reconciler

MUTANTS: dict[str, type[Reconciler]] = dict(mutants.ALL)


def reconciler_class(mutant: str) -> type[Reconciler]:
    """Return the conformant reconciler for ``""``, otherwise the registered mutant."""
    if not mutant:
        return Reconciler
    if mutant not in MUTANTS:
        known = ", ".join(sorted(MUTANTS)) or "none"
        raise ValueError(f"Unknown mutant {mutant!r} (known: {known}). Omit --mutant.")
    return MUTANTS[mutant]
