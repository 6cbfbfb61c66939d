"""The float64 tolerance, pinned: neither 10× looser nor 10× tighter would do.

``checks._src.judge.compare.tolerance`` allows ``τ = SAFETY · (e_C + e_R) + SAFETY ·
tiny``. Two closed forms of the binary cross-entropy's derivative in β,
``∂/∂β [−α log β − (1 − α) log(1 − β)] = (β − α) / (β (1 − β))``:

- the right one, written as one expression, whose float64 rounding error at the
  worst of 1000 points is a fifth of τ: a rule 10× tighter fails it;
- the same expression scaled by ``1 + 64u`` (u = 2⁻⁵³): wrong by 64 units of
  float64 rounding, which is about 3.4 τ at the worst point: a rule 10× looser
  passes it.

The seed is fixed, so the ratios are the same on every run; each is asserted to
lie in its band, so the test says so should a change of the sampler or of the
bound move them out of reach of a 10× change.
"""

import jax.numpy as jnp
import pytest

import checks
from checks._src.declare import domain
from checks._src.declare.declare import make_derivation

U = 2.0**-53  # float64's unit roundoff


def binary_cross_entropy(alpha, beta):
    return -(alpha * jnp.log(beta) + (1 - alpha) * jnp.log1p(-beta))


def _entry(closed, name):
    return make_derivation(
        closed,
        of=binary_cross_entropy,
        wrt="beta",
        inputs={"alpha": domain.unit_interval(), "beta": domain.unit_interval()},
        name=name,
    )


def right(alpha, beta):
    return (beta - alpha) / (beta * (1 - beta))


def off_by_64_units(alpha, beta):
    return (beta - alpha) / (beta * (1 - beta)) * (1 + 64 * U)


@pytest.mark.parametrize("engine", ["auto", "xla"])
def test_the_float64_tolerance_is_neither_10x_looser_nor_10x_tighter(engine):
    ok = checks.verify(
        _entry(right, "right"), samples=1000, dtypes=["float64"], engine=engine
    )
    wrong = checks.verify(
        _entry(off_by_64_units, "off_by_64_units"),
        samples=1000,
        dtypes=["float64"],
        engine=engine,
    )
    (ok_case,), (wrong_case,) = ok.cases, wrong.cases
    assert ok_case.status == "pass", ok_case.message
    assert wrong_case.status == "fail", wrong_case.message
    assert ok_case.checked == wrong_case.checked == 1000
    # |C − R| / τ at the worst point: 10× tighter fails the right closed form,
    # 10× looser passes the wrong one.
    assert 0.1 < ok_case.ratio <= 1, ok_case.ratio
    assert 1 < wrong_case.ratio < 10, wrong_case.ratio
