"""Input domains: where a derivation's inputs are sampled from.

The public face of ``checks._src.declare.domain`` (see its docstring for the math and
the sources); every name here is in ``__all__``.
"""

from checks._src.declare.domain import (
    Domain,
    DomainError,
    Editing,
    custom,
    fixed,
    integers,
    one_hot,
    positive,
    real,
    simplex,
    unit_interval,
)

__all__ = [
    "Domain",
    "DomainError",
    "Editing",
    "custom",
    "fixed",
    "integers",
    "one_hot",
    "positive",
    "real",
    "simplex",
    "unit_interval",
]
