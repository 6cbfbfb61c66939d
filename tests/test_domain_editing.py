"""A domain carries what shrinking and the result store need to know of it.

The negative reals below are defined here, not in ``checks``: counterexamples
are shrunk inside them and their results are keyed by them without
``checks._src.search.shrink`` or ``checks._src.store.store`` knowing of such a domain.
"""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

import checks
from checks._src.declare import domain
from checks._src.declare.declare import make_derivation
from checks._src.store import store

RUN = {"samples": 64, "seed": 0, "dtypes": ("float64",), "mutants": False}


def _admits(ys: np.ndarray) -> np.ndarray:
    return np.all(np.isfinite(ys) & (ys < 0), axis=tuple(range(1, ys.ndim)))


def negative(scale: float = 1.0, self_describing: bool = True) -> domain.Domain:
    """Negative reals: a positive domain's values times ``-scale``."""
    positive = domain.positive()

    def draw(key, n, shp, dtype):
        values, strata = positive.draw(key, n, shp, dtype)
        return -scale * values, strata

    def host_draw(key, n, shp, dtype):
        values, strata = positive.host_draw(key, n, shp, dtype)
        return -scale * values, strata

    editing = domain.Editing(
        _admits, project=lambda ys: -np.abs(ys), simple=(-1.0, -0.5, -2.0)
    )
    return dataclasses.replace(
        positive,
        kind="negative",
        draw=draw,
        host_draw=host_draw,
        params=(("scale", scale),),
        editing=editing,
        self_describing=self_describing,
    )


def log_of_minus(x):
    return jnp.log(-x)


def sign_flipped(x):
    """Wrong: d/dx log(−x) is 1/x."""
    return -1 / x


def right(x):
    return 1 / x


def test_a_counterexample_is_shrunk_inside_a_domain_checks_does_not_define():
    inputs = {"x": negative()}
    good = checks.verify(right, of=log_of_minus, wrt="x", inputs=inputs, samples=64)
    assert good.outcome == "pass"
    bad = checks.verify(
        sign_flipped, of=log_of_minus, wrt="x", inputs=inputs, samples=64
    )
    assert bad.outcome == "fail"
    # The domain's simplest value, where a real domain would have given 0.0
    # (outside this one, where log(−x) is not even finite).
    assert float(bad.shrunk.inputs["x"]) == -1.0


def _key(dom: domain.Domain) -> str:
    d = make_derivation(right, of=log_of_minus, wrt="x", inputs={"x": dom})
    return store.fingerprint(d, devices=jax.devices("cpu"), **RUN)


def test_a_domain_checks_does_not_define_is_keyed_by_what_it_says_of_itself():
    assert _key(negative()) == _key(negative())
    assert _key(negative()) != _key(negative(scale=2.0))
    assert negative().key_text() != domain.positive().key_text()


def test_a_domain_that_does_not_describe_itself_is_keyed_by_its_code_too():
    plain, coded = negative(), negative(self_describing=False)
    assert _key(plain) != _key(coded)
    assert store._domain_digest(plain, 64, {}, "float64") == plain.key_text()
    coded_digest = store._domain_digest(coded, 64, {}, "float64")
    assert coded_digest.startswith(coded.key_text())
    assert coded_digest != coded.key_text()


def test_round_to_keeps_significant_digits_and_leaves_zero_and_non_finite_alone():
    assert domain.round_to(0.123456, 2) == 0.12
    assert domain.round_to(-98765.4321, 3) == -98800.0
    assert domain.round_to(1.5e-300, 1) == 2e-300
    assert domain.round_to(0.0, 3) == 0.0
    assert np.isnan(domain.round_to(float("nan"), 3))
    assert domain.round_to(float("inf"), 3) == float("inf")


def test_domain_error_is_named_where_it_is_public():
    assert domain.DomainError.__module__ == "checks.domain"
    assert domain.DomainError.__qualname__ == "DomainError"
