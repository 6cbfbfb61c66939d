"""Claims: what notes state besides a derivative (an identity, a bound, a printed
output, a count).

The public face of ``checks._src.declare.claims`` (see its docstring for the math and
the sources); every name here is in ``__all__``.
"""

from checks._src.declare.claims import (
    Claim,
    bound,
    convex,
    count,
    differs,
    identity,
    inequality,
    nonconvex,
    output,
    value,
)

__all__ = [
    "Claim",
    "bound",
    "convex",
    "count",
    "differs",
    "identity",
    "inequality",
    "nonconvex",
    "output",
    "value",
]
