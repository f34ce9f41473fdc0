"""The seam for deliberately non-conformant variants ("mutants") of the reference controller.

A mutant is a ``Reconciler`` subclass that overrides one small method (``commit``,
``write_status``, ``progress``...) to reintroduce a known bug, registered here by name and
selected with the hidden ``--mutant NAME`` flag. The conformant behaviour is the base class;
the mutants live in ``mutants.py`` and none is ever the default.

The other half are benign variants (``variants.py``, hidden ``--variant NAME``): behaviours the
contract allows but the reference does not have, which every suite must pass. A variant may
also replace the audit client and the metrics renderer, so it is registered as a
``variants.Variant`` rather than a bare class. A mutant and a variant are never combined.
"""

from __future__ import annotations

from wetest.reference.controller import mutants, variants
from wetest.reference.controller.reconciler import Reconciler
from wetest.reference.controller.variants import Variant

MUTANTS: dict[str, type[Reconciler]] = dict(mutants.ALL)
VARIANTS: dict[str, Variant] = dict(variants.ALL)
REFERENCE = Variant(Reconciler)  # the reference itself: replaces nothing


def variant(name: str) -> Variant:
    """Return the reference for ``""``, otherwise the registered benign variant."""
    if not name:
        return REFERENCE
    if name not in VARIANTS:
        known = ", ".join(sorted(VARIANTS))
        raise ValueError(f"Unknown variant {name!r} (known: {known}). Omit --variant.")
    return VARIANTS[name]


def reconciler_class(mutant: str, variant_name: str = "") -> type[Reconciler]:
    """Return the conformant reconciler for ``""``, otherwise the mutant or variant's one."""
    if mutant and variant_name:
        raise ValueError(
            f"--mutant {mutant} and --variant {variant_name} were both given; a run checks "
            "one controller behaviour at a time. Give only one of them."
        )
    if not mutant:
        return variant(variant_name).reconciler
    if mutant not in MUTANTS:
        known = ", ".join(sorted(MUTANTS)) or "none"
        raise ValueError(f"Unknown mutant {mutant!r} (known: {known}). Omit --mutant.")
    return MUTANTS[mutant]
