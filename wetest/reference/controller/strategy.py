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


PARTS = ("reconciler", "audit_client", "render_metrics", "fresh_reads")
"""What a variant may replace of the reference (the fields of ``variants.Variant``)."""


def variant(name: str) -> Variant:
    """Return the reference for ``""``, otherwise the registered benign variant.

    ``a,b``: several variants at once, when each replaces a different part of the reference
    (the reconciler, the audit client, the metrics renderer, the reads): contract-allowed
    behaviours in different parts stay allowed together, and one controller then stands for
    all of them (the self-test's variant run).
    """
    if not name:
        return REFERENCE
    names = [part.strip() for part in name.split(",")]
    unknown = [one for one in names if one not in VARIANTS]
    if unknown:
        known = ", ".join(sorted(VARIANTS))
        raise ValueError(f"Unknown variant {unknown[0]!r} (known: {known}). Omit --variant.")
    if len(names) == 1:
        return VARIANTS[names[0]]
    combined: dict[str, object] = {}
    by: dict[str, str] = {}
    for one in names:
        for part in PARTS:
            value = getattr(VARIANTS[one], part)
            if value == getattr(REFERENCE, part):
                continue
            if part in combined:
                raise ValueError(
                    f"Variants {by[part]!r} and {one!r} both replace the "
                    f"{part.replace('_', ' ')}; combine only variants that replace different "
                    "parts of the reference."
                )
            combined[part], by[part] = value, one
    return Variant(VARIANTS[names[0]].behaviour, **combined)  # type: ignore[arg-type]


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
