"""A compiled check on the CPU evaluates its points a block at a time
(``checks._src.evaluate.blocks.over_points``): the same values as ``jax.vmap`` up to the
last bits of library functions, and the same verdicts, whatever the block size."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import checks
from checks._src.declare import domain
from checks._src.declare.declare import make_derivation
from checks._src.evaluate import blocks, case_program
from examples import (
    bce_grad_beta,
    bce_grad_beta_sign_flipped,
    softmax,
    softmax_jacobian,
)


def f(x, y):
    return jnp.exp(x) * jnp.log(y) + jnp.sum(x * y)


@pytest.mark.parametrize("block", [1, 7, 50, 64])
def test_over_points_is_vmap_block_by_block(block, monkeypatch):
    monkeypatch.setattr(blocks, "MIN_BLOCKS", 1)
    x = jnp.linspace(-3.0, 3.0, 50 * 3).reshape(50, 3)
    y = jnp.linspace(0.1, 5.0, 50 * 3).reshape(50, 3)
    want = jax.jit(jax.vmap(f))(x, y)
    got = jax.jit(blocks.over_points(f, block))(x, y)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=8 * np.finfo(np.float64).eps)


def test_few_points_are_vmapped_whole(monkeypatch):
    traced = jax.make_jaxpr(blocks.over_points(f, 4))(
        jnp.ones((10, 3)), jnp.ones((10, 3))
    )
    assert "while" not in str(traced) and "scan" not in str(traced)
    monkeypatch.setattr(blocks, "MIN_BLOCKS", 2)
    traced = jax.make_jaxpr(blocks.over_points(f, 4))(
        jnp.ones((10, 3)), jnp.ones((10, 3))
    )
    assert "scan" in str(traced) or "while" in str(traced)


def test_blocks_on_the_cpu_only():
    class Gpu:
        platform = "gpu"

    cpu = jax.devices("cpu")[0]
    assert blocks.block_points(4, [Gpu()]) is None
    assert blocks.block_points(4, [cpu, cpu]) == blocks.MAX_BLOCK_POINTS  # per device
    assert blocks.block_points(4, [cpu]) == blocks.MAX_BLOCK_POINTS
    assert blocks.block_points(10**6, [cpu]) == 1
    assert blocks.block_points(512, [cpu]) == blocks.BLOCK_BYTES // (8 * 512)
    for default in ("cpu", cpu):
        with jax.default_device(default):
            assert blocks.block_points(4) == blocks.MAX_BLOCK_POINTS


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of 5 points, so 1000 points take 200 blocks (none left over)
    and 998 leave a remainder."""
    monkeypatch.setattr(blocks, "MAX_BLOCK_POINTS", 5)
    monkeypatch.setattr(blocks, "MIN_BLOCKS", 2)
    checks.clear_caches()  # programs kept for other block sizes are not reused
    yield
    checks.clear_caches()


@pytest.mark.parametrize("samples", [1000, 998])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_verdicts_in_blocks_both_ways(small_blocks, samples, dtype):
    options = {"samples": samples, "dtypes": [dtype], "engine": "xla"}
    assert checks.verify(bce_grad_beta, **options).status == "pass"
    assert checks.verify(softmax_jacobian, **options).status == "pass"
    assert checks.verify(bce_grad_beta_sign_flipped, **options).outcome == "fail"
    scaled = make_derivation(  # off by a factor 1.001: wrong in every dtype
        lambda a: softmax_jacobian(a) * (1 + 1e-3),
        of=softmax,
        wrt="a",
        inputs={"a": domain.real(("k",))},
        dims={"k": (3,)},
        name="softmax_jacobian_scaled",
    )
    assert checks.verify(scaled, **options).outcome == "fail"


def test_blocks_and_one_batch_find_the_same_worst_point(small_blocks, monkeypatch):
    blocked = checks.verify(bce_grad_beta_sign_flipped, samples=600, engine="xla")
    monkeypatch.setattr(case_program, "block_points", lambda *a, **k: None)
    checks.clear_caches()
    whole = checks.verify(bce_grad_beta_sign_flipped, samples=600, engine="xla")
    for b, w in zip(blocked.cases, whole.cases):
        assert b.counterexample.inputs == w.counterexample.inputs
        assert b.ratio == pytest.approx(w.ratio, rel=1e-6)
