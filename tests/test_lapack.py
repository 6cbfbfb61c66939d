"""LAPACK calls of a compiled check on the CPU in batches that run inline
(checks._src.evaluate.lapack).

jaxlib 0.10's batched CPU kernels split a large batch over XLA's intra-op pool and
wait for it on a pool thread, which deadlocks when as many run concurrently as the
pool has threads; ``with_inline_lapack`` makes every call small enough to run inline.
These tests check that every LAPACK call, at every nesting level, is under the
kernels' threshold, that values are bit for bit those of the function as written,
and that a user's eigh derivation at two sizes finishes through the command line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from checks._src.evaluate.lapack import (
    LAPACK_PRIMITIVES,
    calls_lapack,
    chunk_size,
    with_inline_lapack,
)

FILES = Path(__file__).parent / "linalg_files"


def _symmetric(n: int, batch: int, seed: int = 0) -> np.ndarray:
    a = np.random.default_rng(seed).standard_normal((batch, n, n))
    return a + np.swapaxes(a, -1, -2)


def _lapack_work(jaxpr) -> list[tuple[str, int, int]]:
    """(primitive, batch, matrices per inline call) of every LAPACK call in
    ``jaxpr`` and the jaxprs nested in it."""
    found = []
    for eqn in jaxpr.eqns:
        if eqn.primitive.name in LAPACK_PRIMITIVES:
            shapes = [v.aval.shape for v in eqn.invars]
            core = 1 if eqn.primitive.name == "tridiagonal_solve" else 2
            batch = int(np.prod(shapes[0][: len(shapes[0]) - core]))
            limit = chunk_size([s[len(shapes[0]) - core :] for s in shapes])
            found.append((eqn.primitive.name, batch, limit))
        for value in eqn.params.values():
            for item in value if isinstance(value, (tuple, list)) else (value,):
                inner = getattr(item, "jaxpr", item)
                if hasattr(inner, "eqns"):
                    found += _lapack_work(inner)
    return found


def _two_eighs(a):
    return jnp.linalg.eigh(a)[0], jnp.linalg.eigh(2.0 * a + 1.0)[1]


def test_the_kernels_threshold_is_respected():
    # 30·n³ flops per 4 × 4 matrix: 104 of them stay under 200,000 flops
    assert chunk_size([(4, 4)]) == 104
    assert chunk_size([(4, 4), (4, 10)]) == (200_000 - 1) // (30 * 4 * 10 * 10)
    assert chunk_size([(64, 64)]) == 1  # one matrix always runs inline
    assert chunk_size([(5,)]) == (200_000 - 1) // (30 * 125)


def test_large_batches_are_made_in_chunks_that_run_inline():
    a = _symmetric(4, 1000)
    plain = _lapack_work(jax.make_jaxpr(_two_eighs)(a).jaxpr)
    assert [batch for _, batch, _ in plain] == [1000, 1000]
    chunked = _lapack_work(jax.make_jaxpr(with_inline_lapack(_two_eighs))(a).jaxpr)
    assert chunked and all(batch <= limit for _, batch, limit in chunked)


def test_values_are_those_of_the_function_as_written():
    a = _symmetric(4, 1000)
    expected = jax.jit(_two_eighs)(a)
    got = jax.jit(with_inline_lapack(_two_eighs))(a)
    for x, y in zip(expected, got):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def _solve_and_factor(a, b):
    lu = jnp.linalg.solve(a, b)
    q, r = jnp.linalg.qr(a)
    s = jnp.linalg.svd(a)[1]
    return lu, q, r, s, jnp.linalg.slogdet(a)[1], jnp.linalg.inv(a)


def test_every_factorization_keeps_its_values():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((700, 5, 5)) + 5 * np.eye(5)
    b = rng.standard_normal((700, 5, 3))
    chunked = _lapack_work(
        jax.make_jaxpr(with_inline_lapack(_solve_and_factor))(a, b).jaxpr
    )
    assert len(chunked) >= 4 and all(batch <= limit for _, batch, limit in chunked)
    for x, y in zip(
        jax.jit(_solve_and_factor)(a, b),
        jax.jit(with_inline_lapack(_solve_and_factor))(a, b),
    ):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def test_calls_inside_loop_bodies_and_nested_jits_are_chunked():
    def body(a):
        inner = jax.jit(
            lambda m: jnp.linalg.cholesky(m @ jnp.swapaxes(m, -1, -2) + 4 * jnp.eye(8))
        )
        return jnp.linalg.eigh(a)[0] + jnp.diagonal(inner(a), axis1=-2, axis2=-1)

    def blocks(a):  # 40 matrices of 8 × 8 per block: over the limit of 13
        return lax.map(body, a, batch_size=40)

    def branches(a, flag):
        return lax.cond(flag, jax.vmap(body), lambda m: jnp.linalg.eigh(m)[0], a)

    a = _symmetric(8, 400)
    for fn, args in ((blocks, (a,)), (branches, (a, True))):
        plain = _lapack_work(jax.make_jaxpr(fn)(*args).jaxpr)
        assert any(batch > limit for _, batch, limit in plain)
        chunked = _lapack_work(jax.make_jaxpr(with_inline_lapack(fn))(*args).jaxpr)
        assert chunked and all(batch <= limit for _, batch, limit in chunked)
        np.testing.assert_array_equal(
            np.asarray(jax.jit(with_inline_lapack(fn))(*args)),
            np.asarray(jax.jit(fn)(*args)),
        )


def test_a_function_without_linear_algebra_is_traced_as_written():
    def f(x, y):
        return {"s": jnp.sin(x) * y, "t": (x + y,)}

    x, y = np.arange(4.0), np.ones(4)
    assert not calls_lapack(jax.make_jaxpr(f)(x, y).jaxpr)
    assert str(jax.make_jaxpr(with_inline_lapack(f))(x, y)) == str(
        jax.make_jaxpr(f)(x, y)
    )
    out = jax.jit(with_inline_lapack(f))(x, y)
    np.testing.assert_array_equal(np.asarray(out["s"]), np.sin(x) * y)
    np.testing.assert_array_equal(np.asarray(out["t"][0]), x + y)


def test_off_the_cpu_nothing_is_rewritten(monkeypatch):
    monkeypatch.setattr("checks._src.evaluate.lapack._on_cpu", lambda: False)
    a = _symmetric(4, 1000)
    plain = _lapack_work(jax.make_jaxpr(with_inline_lapack(_two_eighs))(a).jaxpr)
    assert [batch for _, batch, _ in plain] == [1000, 1000]


def _cli(*args: str, env_extra: dict[str, str] | None = None, timeout: float = 900):
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "checks.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        cwd=Path(__file__).parent.parent,
    )


@pytest.mark.parametrize("engine", ["auto", "xla"])
def test_eigh_and_cholesky_at_two_sizes_finish_through_the_command_line(
    engine, tmp_path
):
    """The default sample count, both dtypes, two sizes per entry: the programs
    that deadlocked before their LAPACK calls were chained."""
    out = _cli(
        str(FILES / "symmetric_eigen.py"),
        "--engine",
        engine,
        "--format",
        "json",
        "--progress",
        "off",
        env_extra={"XDG_CACHE_HOME": str(tmp_path)},
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    results = {r["name"]: r for r in json.loads(out.stdout)["results"]}
    assert results["eigenvalues_jacobian"]["status"] == "pass"
    assert results["cholesky_log_det_grad"]["status"] == "pass"
    assert results["eigenvalues_jacobian_rows"]["status"] == "xfail"
    for r in results.values():
        assert {c["dims"]["n"] for c in r["cases"]} == {2, 4}
        assert all(c["samples"] == 1000 for c in r["cases"])
