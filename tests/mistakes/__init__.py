"""A corpus of realistic mistakes, each with the diagnosis it must get.

Every entry is a wrong derivation (``expect="fail"``) of one kind of
``checks._src.search.diagnose``: a constant factor, a layout, a structure, a term, a
region, or a neighbouring function (``checks._src.search.diagnose_neighbour``).
``EXPECTED`` maps each entry's name to its kind and the details its first
diagnosis must have. ``measure`` checks every entry, as ``verify`` does with
``repair=True``, and counts how many are diagnosed as expected, diagnosed
otherwise (wrong), and repaired by one edit; ``python -m tests.mistakes``
prints the figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from checks import derivations_in
from tests.mistakes import factor, layout, neighbour, region, structure, term

MODULES = (factor, layout, structure, term, region, neighbour)
CATALOG = [d for module in MODULES for d in derivations_in(module)]
EXPECTED = {name: e for module in MODULES for name, e in module.EXPECTED.items()}


def matches(found: dict[str, Any], want: dict[str, Any]) -> bool:
    """Every field of ``want`` is in ``found`` with the same value (recursively
    for a nested object)."""
    for key, value in want.items():
        if isinstance(value, dict):
            if not isinstance(found.get(key), dict) or not matches(found[key], value):
                return False
        elif found.get(key, object()) != value:
            return False
    return True


@dataclass
class Outcome:
    """What the diagnosis and the repair made of the corpus."""

    total: int = 0
    right: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)  # a first diagnosis not expected
    missed: list[str] = field(default_factory=list)  # no diagnosis at all
    repaired: list[str] = field(default_factory=list)
    not_failing: list[str] = field(default_factory=list)


def measure(samples: int = 300, repair_time: float = 3.0) -> Outcome:
    """Check every entry with diagnosis and repair, and sort the results."""
    from checks import verify

    out = Outcome()
    for d in CATALOG:
        out.total += 1
        result = verify(d, samples=samples, repair=True, repair_time=repair_time)
        if result.outcome != "fail":
            out.not_failing.append(d.name)
            continue
        kind, details = EXPECTED[d.name]
        if result.repair is not None:
            out.repaired.append(d.name)
        if not result.diagnosis:
            out.missed.append(d.name)
            continue
        first = result.diagnosis[0]
        if first.kind == kind and matches(first.details, details):
            out.right.append(d.name)
        else:
            out.wrong.append(f"{d.name}: {first.kind}: {first.message}")
    return out
