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

import sys as _sys

try:
    import jax

    jax.config.update("jax_enable_x64", True)

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
    from checks.verify import assert_derivation, check_all, verify
except KeyboardInterrupt:  # Ctrl-C as the command starts: one line, no traceback
    if _sys.argv and _sys.argv[0].endswith("check-derivations"):
        _sys.stderr.write("check-derivations: interrupted\n")
        raise SystemExit(130) from None
    raise

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
    "verify",
]
