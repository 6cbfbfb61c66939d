"""Input domains: where a derivation's inputs are sampled, bulk and edges.

Each domain draws a batch of ``n`` samples inside ``jax.jit`` from a stream
(``checks.sampling``). The batch is split into *strata*: each sample comes from
the domain's bulk with probability 1/2, else from one of its hard regions (near 0
and 1, large magnitudes, vertices of the simplex, ties). Which stratum a sample
came from is returned with it, so a counterexample can say where it lives.

Sampling is done in float64 and rounded once to the case's dtype; a value that
rounding pushed out of the domain (a probability rounded to 1) is moved back to
the nearest representable value inside it.

The implementation behind the public ``checks.domain``, which re-exports
``__all__``; it names what the modules beside it implement: the ``Domain`` record
(``checks._src.declare.domain_base``), the built-in domains
(``checks._src.declare.domain_kinds``), their strata
(``checks._src.declare.domain_strata``) and how a value is edited inside a domain
(``checks._src.declare.domain_editing``).
"""

# Outside ``__all__`` (not public), for the checker's own modules (``as`` marks
# them as exported): the shape and sampler types of a declaration, and the rounding
# ``checks._src.search.shrink`` simplifies values with.
from checks._src.declare.domain_base import Domain, DomainError
from checks._src.declare.domain_base import Sampler as Sampler
from checks._src.declare.domain_base import Shape as Shape
from checks._src.declare.domain_base import ShapeLike as ShapeLike
from checks._src.declare.domain_editing import Editing
from checks._src.declare.domain_editing import round_to as round_to
from checks._src.declare.domain_kinds import (
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
