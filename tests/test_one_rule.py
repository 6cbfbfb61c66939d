"""The verdict rule is read from ``checks._src.judge.compare`` alone.

Scaling the one tolerance function, or moving the one threshold, moves every
verdict built on it: derivations (both engines' comparison), claims, the
counterexample shrinker's still-failing test and the results' statuses. A copy
of the rule anywhere else would not move, and these tests would fail.
"""

import jax.numpy as jnp
import pytest

import checks
from checks import claim
from checks._src.declare import domain
from checks._src.declare.declare import make_derivation
from checks._src.judge import compare
from checks._src.search.shrink import shrink
from examples import BCE_INPUTS, binary_cross_entropy

SAMPLES = 64


def flipped(alpha, beta):
    """The gradient of binary cross-entropy with its sign flipped: wrong by O(1)."""
    return (alpha - beta) / (beta * (1 - beta))


@claim.identity(inputs={"x": domain.positive()})
def log_of_square_is_log(x):
    """False: log(x²) is 2·log(x), not log(x)."""
    return jnp.log(x**2), jnp.log(x)


def _verdicts() -> tuple[str, str, str, bool]:
    """(derivation outcome, its case's status, claim outcome, shrink finds a
    still-failing input) for a wrong derivation and a false claim."""
    checks.clear_caches()
    result = checks.verify(
        flipped,
        of=binary_cross_entropy,
        wrt="beta",
        inputs=BCE_INPUTS,
        samples=SAMPLES,
    )
    wrong = make_derivation(
        flipped, of=binary_cross_entropy, wrt="beta", inputs=BCE_INPUTS
    )
    shrunk = shrink(wrong, {}, {"alpha": 0.25, "beta": 0.5}) is not None
    claimed = checks.verify(log_of_square_is_log, samples=SAMPLES).outcome
    return result.outcome, result.cases[0].status, claimed, shrunk


def test_wrong_entries_fail_under_the_rule_as_it_is():
    assert _verdicts() == ("fail", "fail", "fail", True)


@pytest.fixture
def restore_caches():
    yield
    checks.clear_caches()


def test_scaling_the_one_tolerance_moves_every_verdict(monkeypatch, restore_caches):
    original = compare.tolerance

    def huge(*args, **kwargs):
        return original(*args, **kwargs) * 1e20

    monkeypatch.setattr(compare, "tolerance", huge)
    assert _verdicts() == ("pass", "pass", "pass", False)


def test_moving_the_one_threshold_moves_every_verdict(monkeypatch, restore_caches):
    monkeypatch.setattr(compare, "outside", lambda ratio: ratio > 1e20)
    assert _verdicts() == ("pass", "pass", "pass", False)
