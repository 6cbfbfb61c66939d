"""derivation-checker: is a hand-derived gradient right?

Declare a closed form next to the function it differentiates, then check it
against JAX autodiff on sampled inputs::

    import jax.numpy as jnp
    from checks import derivation, domain, verify

    def binary_cross_entropy(alpha, beta):
        return -(alpha * jnp.log(beta) + (1 - alpha) * jnp.log1p(-beta))

    @derivation(of=binary_cross_entropy, wrt="beta",
                inputs={"alpha": domain.unit_interval(),
                        "beta": domain.unit_interval()})
    def binary_cross_entropy_grad_beta(alpha, beta):
        return (beta - alpha) / (beta * (1 - beta))

    verify(binary_cross_entropy_grad_beta).status   # 'pass'

Importing ``checks`` leaves JAX's ``jax_enable_x64`` as it was: the checker
turns float64 on only for its own work (``checks.precision``).
"""

from checks import interrupt as _interrupt

if _interrupt.is_the_command():  # Ctrl-C while JAX loads: one line, no traceback
    _interrupt.exit_on_interrupt()

from checks import claims as claim
from checks import domain
from checks.declare import (
    DeclarationError,
    Derivation,
    derivation,
    derivations_in,
)
from checks.domain import Domain
from checks.result import (
    CaseResult,
    Counterexample,
    DerivationResult,
    Report,
)
from checks.rules import rule
from checks.verify import assert_derivation, check_all, verify

__all__ = [
    "CaseResult",
    "Counterexample",
    "DeclarationError",
    "Derivation",
    "DerivationResult",
    "Domain",
    "Report",
    "assert_derivation",
    "check_all",
    "claim",
    "derivation",
    "derivations_in",
    "domain",
    "rule",
    "verify",
]
