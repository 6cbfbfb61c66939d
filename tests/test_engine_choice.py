"""NumPy or XLA: one function decides, for derivations, claims and the
counterexample search alike, and one records a fall back to XLA."""

import jax
import jax.numpy as jnp
import pytest

import checks
from checks import claim
from checks._src.declare import domain
from checks._src.evaluate import case_program, on_host
from examples import bce_grad_beta

CPU = jax.devices("cpu")[0]


@claim.identity(inputs={"x": domain.positive()})
def log_of_square_is_twice_log(x):
    return jnp.log(x**2), 2 * jnp.log(x)


def _engines() -> tuple[str, str]:
    checks.clear_caches()
    derivation = checks.verify(bce_grad_beta, samples=64).cases[0].engine
    claimed = checks.verify(log_of_square_is_twice_log, samples=64).cases[0].engine
    return derivation, claimed


def test_small_cpu_checks_are_evaluated_by_numpy():
    assert _engines() == ("numpy", "numpy")


def test_every_check_asks_the_one_choice(monkeypatch):
    monkeypatch.setattr(on_host, "choose", lambda *a, **k: on_host.Choice("xla"))
    try:
        assert _engines() == ("xla", "xla")
        evaluate = case_program.point_evaluator(
            checks._src.declare.declare.as_derivation(bce_grad_beta), {}
        )
        assert not hasattr(evaluate, "fallback")  # compiled, not NumPy first
    finally:
        checks.clear_caches()


@pytest.mark.parametrize(
    "options", [{"chunks": 2}, {"devices": 2}, {"judged_on_device": True}]
)
def test_a_large_check_is_compiled(options):
    assert on_host.choose(CPU).engine == "numpy"
    assert on_host.choose(CPU, **options).engine == "xla"


def test_the_xla_engine_compiles_everything():
    with on_host.engine("xla"):
        assert on_host.choose(CPU).engine == "xla"


def test_numpy_raising_falls_back_to_xla_and_says_why():
    def host(x):
        raise ArithmeticError("no such rule")

    run = on_host.fallback(host, lambda: lambda x: x + 1)
    assert (run.engine, run.fallback) == ("numpy", "")
    assert run(1) == 2
    assert (run.engine, run.fallback) == ("xla", "ArithmeticError: no such rule")
    good = on_host.fallback(lambda x: x * 10, lambda: lambda x: x + 1)
    assert (good(1), good.engine, good.fallback) == (10, "numpy", "")
