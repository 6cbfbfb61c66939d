"""Counterexamples: searched, shrunk to simple values, reproducible in plain JAX."""

import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np

import checks
from checks._src.declare import domain
from examples import BCE_INPUTS, binary_cross_entropy


def test_wrong_derivation_gets_a_simple_still_failing_input_and_a_repro(tmp_path):
    def flipped(alpha, beta):
        return (alpha - beta) / (beta * (1 - beta))

    result = checks.verify(
        flipped, of=binary_cross_entropy, wrt="beta", inputs=BCE_INPUTS, samples=300
    )
    shrunk = result.shrunk
    assert shrunk is not None
    for value in shrunk.inputs.values():
        assert len(repr(value)) <= 5  # 0.5, 0.25, 0.1 ...: a few digits
    alpha, beta = shrunk.inputs["alpha"], shrunk.inputs["beta"]
    assert flipped(alpha, beta) == -binary_cross_entropy_grad(alpha, beta)

    assert "checks" not in result.repro
    difference = _repro_difference(result.repro, tmp_path)
    assert difference > 0.1


def binary_cross_entropy_grad(alpha, beta):
    return (beta - alpha) / (beta * (1 - beta))


def test_shrinking_goes_to_the_smallest_failing_sizes():
    def total(x):
        return jnp.sum(x**2)

    def gradient_missing_two(x):
        return x

    result = checks.verify(
        gradient_missing_two,
        of=total,
        wrt="x",
        inputs={"x": domain.real(("n",))},
        dims={"n": (5, 2, 3)},
        samples=200,
    )
    assert result.status == "fail"
    assert result.shrunk_dims == {"n": 2}
    assert all(abs(v) in (0.0, 0.5, 1.0, 2.0) for v in result.shrunk.inputs["x"])


def test_a_kink_is_reported_as_a_non_differentiable_point():
    def relu(x):
        return jax.nn.relu(x)

    def relu_grad_one_half_at_zero(x):
        return jnp.where(x > 0, 1.0, 0.5)

    result = checks.verify(
        relu_grad_one_half_at_zero,
        of=relu,
        wrt="x",
        inputs={"x": domain.fixed(0.0)},
        samples=4,
    )
    assert result.status == "fail"
    assert "non-differentiable point" in result.non_differentiable


def test_no_kink_note_for_a_smooth_function():
    def flipped(alpha, beta):
        return (alpha - beta) / (beta * (1 - beta))

    result = checks.verify(
        flipped, of=binary_cross_entropy, wrt="beta", inputs=BCE_INPUTS, samples=100
    )
    assert result.non_differentiable == ""
    assert np.isfinite(result.cases[0].ratio)


def newton_cube_root(a):
    """∛a by Newton's iteration in ``lax.while_loop``: JAX has no reverse mode
    through it."""

    def step(carry):
        x, _ = carry
        new = x - (x**3 - a) / (3.0 * x**2)
        return new, jnp.abs(new - x)

    x, _ = jax.lax.while_loop(lambda c: c[1] > 1e-12, step, (a + 1.0, a + 1.0))
    return x


def cube_root_grad_lost_third(a):
    return 1.0 / newton_cube_root(a) ** 2


def test_the_repro_of_a_while_loop_differentiates_in_forward_mode(tmp_path):
    """``jax.jacobian`` (reverse mode) raises on a while loop; the script calls
    ``jax.jacfwd``, as the check's reference does, and shows the difference."""
    result = checks.verify(
        cube_root_grad_lost_third,
        of=newton_cube_root,
        wrt="a",
        inputs={"a": domain.positive()},
        samples=100,
        dtypes=("float64",),
    )
    assert result.status == "fail", result.message
    assert "jax.jacfwd(newton_cube_root, argnums=0)" in result.repro
    difference = _repro_difference(result.repro, tmp_path)
    assert difference > 0.1 * abs(float(cube_root_grad_lost_third(1.0)))


def _repro_difference(repro: str, tmp_path) -> float:
    """Run a reproduction script alone (``python -I``, nothing of this project on
    the path) and read the difference it prints last."""
    script = tmp_path / "repro.py"
    script.write_text(repro)
    proc = subprocess.run(
        [sys.executable, "-I", str(script)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    return float(proc.stdout.strip().splitlines()[-1].split(":")[1])
