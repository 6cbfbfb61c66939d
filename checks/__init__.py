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

Importing ``checks`` turns on JAX's float64 support (``jax_enable_x64``): the
reference is computed in float64, and that must be on before anything is traced.
"""

from checks import interrupt as _interrupt

if _interrupt.is_the_command():  # Ctrl-C while JAX loads: one line, no traceback
    _interrupt.exit_on_interrupt()

import jax

jax.config.update("jax_enable_x64", True)

from checks import claims as claim  # noqa: E402
from checks import domain  # noqa: E402
from checks.declare import (  # noqa: E402
    DeclarationError,
    Derivation,
    derivation,
    derivations_in,
)
from checks.domain import Domain  # noqa: E402
from checks.result import (  # noqa: E402
    CaseResult,
    Counterexample,
    DerivationResult,
    Report,
)
from checks.rules import rule  # noqa: E402
from checks.verify import assert_derivation, check_all, verify  # noqa: E402

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
