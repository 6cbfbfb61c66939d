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
turns float64 on only for its own work (``checks._src.evaluate.precision``).
"""

from checks._src.run import interrupt as _interrupt

if _interrupt.is_the_command():  # Ctrl-C while JAX loads: one line, no traceback
    _interrupt.exit_on_interrupt()

from checks import claim, domain, sampling
from checks import timing as timing  # the public module checks.timing
from checks._src.declare.declare import (
    DeclarationError,
    Derivation,
    as_derivation,
)
from checks._src.declare.domain import Domain
from checks._src.declare.register import derivation, derivations_in
from checks._src.declare.rules import rule
from checks._src.report.report import render_result
from checks._src.report.result import (
    CaseResult,
    Counterexample,
    DerivationResult,
    Report,
)
from checks._src.run.caches import clear as _clear
from checks._src.run.timing import Timing, profile_check, time_check
from checks._src.run.verify import OptionError, assert_derivation, check_all, verify

# A public exception names its public module in tracebacks and doctests.
DeclarationError.__module__ = __name__
OptionError.__module__ = __name__


def clear_caches() -> None:
    """Forget everything the checker keeps in memory: a fresh start, as in a new
    process (``checks._src.run.caches``).

    Compiled checks, traces, lowered forms and memoized tables are dropped; the
    next check compiles again. Nothing any cache is keyed on changes, so results
    are those a new process gets. Stored results on disk are kept (``--no-cache``
    or ``checks.check_all(reuse=False)`` ignores them).

    Examples:
        >>> import checks
        >>> checks.clear_caches()
    """
    _clear()


__all__ = [
    "CaseResult",
    "Counterexample",
    "DeclarationError",
    "Derivation",
    "DerivationResult",
    "Domain",
    "OptionError",
    "Report",
    "Timing",
    "as_derivation",
    "assert_derivation",
    "check_all",
    "claim",
    "clear_caches",
    "derivation",
    "derivations_in",
    "domain",
    "profile_check",
    "render_result",
    "rule",
    "sampling",
    "time_check",
    "verify",
]
