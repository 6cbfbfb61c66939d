"""The running error bound: it covers the true error, and it is not vacuous."""

from fractions import Fraction
from types import SimpleNamespace

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from checks._src.evaluate import rounding
from checks._src.evaluate.rounding import NoErrorBound, rounding_unit, with_error_bound
from checks._src.judge.compare import compare


def bound_and_error(fn, *xs32):
    """(value, bound, |value − exact|) of fn in float32 against float64."""
    value, bound = jax.jit(with_error_bound(fn, *xs32))(*xs32)
    exact = fn(*(x.astype(jnp.float64) for x in xs32))
    return float(value), float(bound), abs(float(value) - float(exact))


def difference_of_large_terms(alpha, beta):
    return -alpha / beta + (1 - alpha) / (1 - beta)


def one_expression(alpha, beta):
    return (beta - alpha) / (beta * (1 - beta))


@pytest.mark.parametrize("fn", [difference_of_large_terms, one_expression])
def test_bound_covers_the_error(fn):
    rng = np.random.default_rng(0)
    for _ in range(200):
        a, b = rng.uniform(1e-3, 1 - 1e-3, 2).astype(np.float32)
        _, bound, error = bound_and_error(fn, jnp.float32(a), jnp.float32(b))
        assert error <= bound


def test_cancellation_gets_a_larger_bound_than_a_direct_expression():
    a, b = jnp.float32(0.3), jnp.float32(0.3000001)
    v1, b1, _ = bound_and_error(difference_of_large_terms, a, b)
    v2, b2, _ = bound_and_error(one_expression, a, b)
    assert b1 / abs(v1) > 1e-2  # the terms are ~1, the result ~4e-7
    assert b2 / abs(v2) < 10 * rounding_unit(jnp.float32)


def test_exact_operations_have_a_bound_of_a_few_units():
    x = jnp.linspace(1, 2, 7, dtype=jnp.float32)
    _, bound = with_error_bound(lambda v: jnp.sum(v * 2.0), x)(x)
    # 7 terms summed (7 roundings) and one product each: 8u·Σ|2x|, no more.
    assert float(bound) <= 8.01 * rounding_unit(jnp.float32) * float(jnp.sum(x * 2))


def test_bound_through_softmax_and_matrix_products():
    def f(W, x):
        return jax.nn.softmax(W @ x)

    W = jnp.asarray(np.random.default_rng(1).normal(size=(4, 3)), jnp.float32)
    x = jnp.asarray([1.0, -2.0, 0.5], jnp.float32)
    value, bound = with_error_bound(f, W, x)(W, x)
    exact = f(W.astype(jnp.float64), x.astype(jnp.float64))
    assert np.all(np.abs(np.asarray(value, np.float64) - exact) <= np.asarray(bound))
    assert np.all(np.asarray(bound) < 1e-5)


def test_underflow_is_covered():
    y = jnp.float32(-3.6e-6)
    _, bound, error = bound_and_error(lambda v: 8 * v**7, y)
    assert error <= bound


def test_vmap_and_jit_compose():
    """Batched and compiled, each point gets its own value and bound: those of
    the point evaluated alone, the bound covering the float32 error."""
    f = with_error_bound(one_expression, jnp.float32(0.5), jnp.float32(0.5))
    a = jnp.linspace(0.1, 0.9, 6, dtype=jnp.float32)
    v, b = jax.jit(jax.vmap(f))(a, a[::-1])
    assert v.shape == b.shape == (6,)
    one_point = jax.jit(f)
    for i, (x, y) in enumerate(zip(a, a[::-1], strict=True)):
        alone, alone_bound = one_point(x, y)
        assert float(v[i]) == float(alone)
        assert float(b[i]) == pytest.approx(float(alone_bound), rel=1e-12)
    wide = np.asarray(a, np.float64)
    exact = (wide[::-1] - wide) / (wide[::-1] * (1 - wide[::-1]))  # one_expression
    assert np.all(np.abs(np.asarray(v, np.float64) - exact) <= np.asarray(b))
    assert np.all(np.asarray(b) > 0)  # a rounded result: never exact by decree


# Every primitive the issue named, in float32 (against float64) and float64:
# the bound transform traces, compiles under vmap and jit, and covers the error.


def _spd(n, seed):
    a = np.random.default_rng(seed).uniform(-0.3, 0.3, (n, n))
    return (a + a.T) / 2 + 2 * np.eye(n)  # condition number below 10


def _rnn(h0, xs):
    def step(h, x):
        h = jnp.tanh(0.5 * h + x)
        return h, h

    return lax.scan(step, h0, xs)[1]


def _loop(x):
    return lax.fori_loop(0, 3, lambda i, c: c * x + 0.1, x)


def _while(x):
    return lax.while_loop(
        lambda c: c[1] < 3, lambda c: (c[0] * 0.7 + x, c[1] + 1), (x, 0)
    )[0]


PROGRAMS = {
    "solve": (lambda a, X, b: a @ jnp.linalg.solve(X, b), [(3,), "spd", (3,)]),
    "inv": (lambda X: jnp.linalg.inv(X), ["spd"]),
    "inv of the log-determinant": (
        jax.grad(lambda X: jnp.linalg.slogdet(X)[1]),
        ["spd"],
    ),
    "scatter-add": (
        lambda P, y: P.at[jnp.arange(4), y].add(-1),
        [(4, 3), "labels"],
    ),
    "scan": (_rnn, [(2,), (4, 2)]),
    "fori_loop": (_loop, [(3,)]),
    "while_loop": (_while, [(3,)]),
    "cond": (
        lambda x: lax.cond(x[0] > 0, lambda v: v * 0.1, lambda v: jnp.sin(v), x),
        [(3,)],
    ),
    "switch": (
        lambda x: lax.switch(
            jnp.clip(x[0] * 3, 0, 2).astype(jnp.int32),
            [lambda v: v * 0.1, jnp.sin, jnp.exp],
            x,
        ),
        [(3,)],
    ),
    "lu factors": (lambda X: jax.scipy.linalg.lu_factor(X)[0], ["spd"]),
    "log-determinant": (lambda X: jnp.linalg.slogdet(X)[1], ["spd"]),
    "cholesky": (lambda X: jnp.linalg.cholesky(X), ["spd"]),
    "triangular solve": (
        lambda X, b: jax.scipy.linalg.solve_triangular(X, b, lower=True),
        ["spd", (3,)],
    ),
    "eigenvalues": (lambda X: jnp.linalg.eigh(X)[0], ["spd"]),
    "singular values": (lambda X: jnp.linalg.svd(X, compute_uv=False), ["spd"]),
    "qr's R": (lambda X: jnp.abs(jnp.linalg.qr(X)[1]), ["spd"]),
    "cumsum": (lambda x: jnp.cumsum(x * 0.1), [(5,)]),
    "cumprod": (lambda x: jnp.cumprod(x * 0.1 + 1), [(5,)]),
    "cumlogsumexp": (lambda x: lax.cumlogsumexp(x * 0.1), [(5,)]),
    "cummax": (lambda x: lax.cummax(x * 0.1), [(5,)]),
}


def _inputs(shapes, dtype, seed):
    rng = np.random.default_rng(seed)
    out = []
    for s in shapes:
        if s == "spd":
            out.append(_spd(3, seed).astype(dtype))
        elif s == "labels":
            out.append(rng.integers(0, 3, 4).astype(np.int32))
        else:
            out.append(rng.normal(size=s).astype(dtype))
    return out


def _batched(fn, dtype, shapes, seeds):
    points = [_inputs(shapes, dtype, s) for s in seeds]
    xs = [np.stack(p) for p in zip(*points)]
    avals = [jax.ShapeDtypeStruct(x.shape[1:], x.dtype) for x in xs]
    value, bound = jax.jit(jax.vmap(with_error_bound(fn, *avals)))(*xs)
    return xs, np.asarray(value), np.asarray(bound)


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_float32_bounds_trace_and_cover_the_error(name):
    fn, shapes = PROGRAMS[name]
    xs, value, bound = _batched(fn, np.float32, shapes, range(8))
    wide = [x.astype(np.float64) if x.dtype == np.float32 else x for x in xs]
    exact = np.asarray(jax.jit(jax.vmap(fn))(*wide))
    assert value.dtype == np.float32 and bound.dtype == np.float64
    error = np.abs(value.astype(np.float64) - exact)
    assert np.all(error <= bound), (error / bound).max()
    # Not vacuous: within 1000× of u·|value| where the value is not ~0.
    scale = np.abs(exact).max(axis=tuple(range(1, exact.ndim)), keepdims=True)
    assert np.all(bound <= 1000 * rounding_unit(np.float32) * np.maximum(scale, 1))


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_float64_bounds_trace(name):
    fn, shapes = PROGRAMS[name]
    _, value, bound = _batched(fn, np.float64, shapes, range(4))
    assert value.dtype == np.float64 and np.all(np.isfinite(bound))


def _exact_inverse(X):
    """The inverse of a float64 matrix in rational arithmetic."""
    n = len(X)
    m = [
        [Fraction(float(v)) for v in row] + [Fraction(int(i == j)) for j in range(n)]
        for i, row in enumerate(X)
    ]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        m[c] = [v / m[c][c] for v in m[c]]
        for r in range(n):
            if r != c:
                m[r] = [a - m[r][c] * b for a, b in zip(m[r], m[c])]
    return [row[n:] for row in m]


def test_the_inverse_in_float64_is_within_its_bound_of_the_exact_inverse():
    """d/dX log|det X| = X⁻ᵀ: the closed form ``inv(X).T`` and autodiff of
    ``slogdet`` agree within their bounds (they did not: 1e-17 > 1.7e-20)."""
    u = rounding_unit(np.float64)
    for seed in range(20):
        X = _spd(3, seed)
        exact = np.array(_exact_inverse(X), dtype=object)
        for fn in (
            lambda A: jnp.linalg.inv(A).T,
            jax.grad(lambda A: jnp.linalg.slogdet(A)[1]),
        ):
            value, bound = jax.jit(with_error_bound(fn, X))(X)
            value, bound = np.asarray(value), np.asarray(bound)
            error = np.array(
                [
                    [abs(Fraction(float(value[i, j])) - exact[j, i]) for j in range(3)]
                    for i in range(3)
                ],
                dtype=float,
            )
            assert np.all(error <= bound)
            assert np.all(bound <= 1000 * u * np.abs(value).max())


def test_cumsum_counts_the_terms_summed_into_each_element():
    x = jnp.asarray([1e17, 1.0, -1e17])
    value, bound = with_error_bound(jnp.cumsum, x)(x)
    assert float(value[2]) == 0.0  # exact: 1
    assert float(bound[2]) >= 1.0
    value, bound = with_error_bound(lambda v: lax.cumsum(v, reverse=True), x)(x)
    assert float(bound[0]) >= abs(float(value[0]) - 1.0)


def test_scatter_add_counts_each_addition_into_an_element():
    """1 + 2⁻²⁴ rounds (a tie) to 1 in float32, four times: the exact sum is
    1 + 4·2⁻²⁴, so the error is 4u, one rounding per update landing there."""
    P = jnp.ones((2,), jnp.float32)
    upd = jnp.full((4,), 2.0**-24, jnp.float32)
    idx = jnp.zeros((4,), jnp.int32)
    value, bound = with_error_bound(lambda p, v: p.at[idx].add(v), P, upd)(P, upd)
    error = abs(float(value[0]) - (1 + 4 * 2.0**-24))
    assert error == 4 * 2.0**-24 and float(bound[0]) >= error
    assert float(bound[1]) == 0.0  # nothing lands there: exact


def test_the_generic_rule_does_not_let_jacobian_terms_cancel():
    """At x = (0.7, −0.7) with equal errors, a JVP of the cumulative product
    sums x₁·e₀ + x₀·e₁ = 0; each error still moves the product."""
    x, e = jnp.asarray([0.7, -0.7]), jnp.asarray([1e-3, 1e-3])
    out = [SimpleNamespace(aval=jax.ShapeDtypeStruct((2,), jnp.float64))]
    params = {"axis": 0, "reverse": False}
    (bound,) = rounding._jacobian_bound(lax.cumprod_p, params, [x], [e], out)
    np.testing.assert_allclose(bound, [1e-3, 1.4e-3])


def test_a_primitive_without_a_bound_is_named_in_the_error():
    a = jnp.float64(2.0)

    def f(s):
        return lax.nextafter(s * 0.1, s)  # no derivative

    with pytest.raises(NoErrorBound, match="'nextafter'"):
        with_error_bound(f, a)(a)


def test_squaring_an_inexact_zero_keeps_the_second_order_term():
    x = jnp.float32(0.3)

    e = 2 * rounding_unit(np.float32) * 0.03  # the operand's bound, about
    for square in (lambda d: d**2, jnp.square, lambda d: d**3 * d):

        def f(v, square=square):
            return square(v * 0.1 - v * 0.1)  # 0, with an operand error e > 0

        value, bound = with_error_bound(f, x)(x)
        assert float(value) == 0.0 and float(bound) >= e**4 / 4


def test_a_value_equal_to_autodiff_in_its_own_dtype_is_within_tolerance():
    """Bit for bit autodiff in float32: never a failure, never unstable, even
    where the bound is 0."""
    c = np.array([[0.1]], np.float32)
    r = np.array([[0.1]], np.float64)
    zero = np.zeros((1, 1))
    cmp = compare(c, zero, r, zero, np.float32, same_dtype=c)
    assert cmp.ratio[0] <= 1 and cmp.stability_ratio[0] <= 1
    worse = compare(c + np.float32(1e-8), zero, r, zero, np.float32, same_dtype=c)
    assert worse.ratio[0] > 1


def test_a_zeroed_rule_is_caught(monkeypatch):
    """The soundness tests have teeth: with the bound of triangular solves set to
    0, the error of a float32 solve is outside it."""
    from checks._src.evaluate import rounding

    monkeypatch.setitem(
        rounding._RULES, "triangular_solve", lambda p, xs, es, outs: [outs[0] * 0.0]
    )
    fn, shapes = PROGRAMS["triangular solve"]
    xs, value, bound = _batched(fn, np.float32, shapes, range(8))
    exact = np.asarray(jax.vmap(fn)(*[x.astype(np.float64) for x in xs]))
    assert np.any(np.abs(value - exact) > bound)


def test_which_rules_are_estimates():
    assert not any(map(rounding.is_estimated, ["add", "cumsum", "lu", "scatter-add"]))
    assert all(map(rounding.is_estimated, ["exp", "eigh", "cumlogsumexp", "erf"]))


def test_the_generic_rule_never_forms_a_huge_jacobian():
    """A primitive without a rule (``cumlogsumexp``) is bounded through its
    Jacobian; at 5000 entries that would be 25 million of them: the bound is
    refused, naming the primitive, instead of allocating them."""

    def fn(x):  # x / 3 carries a rounding error into cumlogsumexp
        return lax.cumlogsumexp(x / 3)

    # Below the limit the Jacobian is formed (compiled: run op by op, each of its
    # many small operations was dispatched on its own, 20× slower).
    small = jnp.linspace(-1.0, 1.0, 10)
    _, bound = jax.jit(with_error_bound(fn, small))(small)
    assert bound.shape == (10,) and bool(jnp.all(bound > 0))
    large = jnp.linspace(-1.0, 1.0, 5000)
    with pytest.raises(NoErrorBound, match=r"'cumlogsumexp'.*Jacobian"):
        jax.make_jaxpr(with_error_bound(fn, large))(large)


@pytest.mark.parametrize(
    "fn",
    [
        lambda v: jnp.min(v * 0.1),
        lambda v: lax.cummin(v * 0.1, 0)[-1],
        lambda v: lax.cummin(v * 0.1, 0, reverse=True)[0],
    ],
)
def test_the_minimum_carries_the_largest_error_of_its_terms(fn):
    """The smallest term may carry the largest error: -10·0.1 rounds by up to
    u, 1·0.1 by a tenth of that, and the bound of the minimum is the larger."""
    x = jnp.asarray([-10.0, 1.0, 2.0])
    _, bound = with_error_bound(fn, x)(x)
    _, error_of_term = with_error_bound(lambda v: v * 0.1, x)(x)
    assert float(bound) >= float(error_of_term[0])
    assert float(bound) > 5 * float(error_of_term[1])


def test_reduce_precision_carries_its_rounding():
    """Rounding float32 to bfloat16's 8 bits is no identity: its error is
    within 2⁻⁸·|z|."""
    x = jnp.asarray([1.0508429, -1.0790164, 3.3333333], jnp.float32)
    fn = lambda v: lax.reduce_precision(v, exponent_bits=8, mantissa_bits=7)  # noqa: E731
    value, bound = with_error_bound(fn, x)(x)
    error = np.abs(np.asarray(value, np.float64) - np.asarray(x, np.float64))
    assert np.all(error <= np.asarray(bound)) and error.max() > 0


@pytest.mark.parametrize(
    "name,fn,x",
    [
        ("log1p", lax.log1p, -0.41034788999480615),
        ("atanh", lax.atanh, 0.41012142261962775),
        ("rsqrt", lax.rsqrt, 0.75),
    ],
)
def test_library_functions_xla_computes_coarsely_are_covered(name, fn, x):
    """XLA's CPU log1p is off by ~100 ulps here in float64, its rsqrt by more
    than the one ulp of a correctly rounded operation."""
    x = jnp.float64(x)
    value, bound = with_error_bound(fn, x)(x)
    exact = {"log1p": np.log1p, "atanh": np.arctanh, "rsqrt": lambda v: 1 / np.sqrt(v)}
    want = exact[name](np.longdouble(float(x)))
    assert abs(np.longdouble(float(value)) - want) <= float(bound)


def test_the_generic_rule_moves_a_complex_operand_in_both_directions():
    """A complex operand's error moves its real and its imaginary part: the
    imaginary part of z (``imag``, not holomorphic) carries the whole error, and
    the Jacobian is taken at z itself, not at its real part."""
    z, e = jnp.asarray([0.3 + 0.4j, -1.0 + 2.0j]), jnp.asarray([1e-3, 2e-3])
    out = [SimpleNamespace(aval=jax.ShapeDtypeStruct((2,), jnp.float64))]
    for prim in (lax.imag_p, lax.real_p):
        (bound,) = rounding._jacobian_bound(prim, {}, [z], [e], out)
        np.testing.assert_allclose(bound, e)
    (bound,) = rounding._jacobian_bound(lax.abs_p, {}, [z], [e], out)
    # |∂|z|/∂ Re z| + |∂|z|/∂ Im z| = (|Re z| + |Im z|)/|z|
    np.testing.assert_allclose(bound, [0.7 / 0.5 * 1e-3, 3.0 / np.sqrt(5.0) * 2e-3])
    out = [SimpleNamespace(aval=jax.ShapeDtypeStruct((2,), jnp.complex128))]
    params = {"fft_type": lax.FftType.IFFT, "fft_lengths": (2,)}
    (bound,) = rounding._jacobian_bound(lax.fft_p, params, [z], [e], out)
    np.testing.assert_allclose(bound, [(1e-3 + 2e-3)] * 2)  # |1/n|·2 per entry


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: jnp.abs(jnp.fft.fft(x * 0.1)) ** 2,
        lambda x: jnp.real(jnp.fft.ifft(3.0 * jnp.fft.fft(x * 0.1))),
        lambda x: jnp.fft.irfft(jnp.fft.rfft(x * 0.1) * jnp.fft.rfft(x[::-1]), 5),
    ],
)
def test_bound_covers_the_error_through_complex_intermediates(fn):
    """FFTs of either kind, ``real`` and complex ``abs`` between real inputs and
    real results: a bound (not ``NoErrorBound``) that covers the float32 error."""
    rng = np.random.default_rng(1)
    x = jnp.asarray(rng.normal(size=(5,)), jnp.float32)
    value, bound = jax.jit(with_error_bound(fn, x))(x)
    exact = fn(x.astype(jnp.float64))
    assert np.all(np.abs(np.asarray(value, np.float64) - exact) <= bound)
    assert np.all(bound < 1e-4 * np.max(np.abs(exact)))


def test_a_complex_constant_is_exact_only_when_both_parts_are():
    from checks._src.evaluate.error_rules import constant_error

    assert constant_error(np, np.complex128(0.5 - 0.25j)) is None
    assert constant_error(np, np.complex128(0.5 + 0.1j)) is not None


@pytest.mark.parametrize("n", [5, 8])
def test_the_fft_bound_holds_where_an_output_cancels(n):
    """x = cos(2πj/n + φ) has a spectrum of two entries: the others cancel to
    about u·‖x‖, which 4 ulps of their own size (≈ 0) does not cover; the
    normwise rule does. Exact: the DFT summed in long double."""
    j = np.arange(n)
    x = np.cos(2 * np.pi * j / n + 0.3)
    value, bound = jax.jit(with_error_bound(jnp.fft.fft, jnp.asarray(x)))(x)
    turn = 2 * np.longdouble(np.pi) * ((np.outer(j, j) % n) / np.longdouble(n))
    xl = x.astype(np.longdouble)
    exact_re, exact_im = np.cos(turn) @ xl, -np.sin(turn) @ xl
    v = np.asarray(value)
    error = np.hypot(v.real - exact_re, v.imag - exact_im).astype(np.float64)
    assert np.all(error <= bound)
    assert np.max(bound) < 1e3 * rounding_unit(np.float64) * n


def test_a_complex_product_rounds_more_than_one_ulp():
    """(a + ib)(c + id) rounds ac, bd and their difference: up to √2·γ₂·|z|
    (Higham §3.6), more than the u·|z| of one real rounding, where ac ≈ bd.
    Float32 products against complex128 ones, from exact float32 parts."""
    rng = np.random.default_rng(3)
    parts = rng.normal(size=(4, 2000)).astype(np.float32)
    x = jnp.asarray(parts[0] + 1j * parts[1], jnp.complex64)
    y = jnp.asarray(parts[2] + 1j * parts[3], jnp.complex64)
    value, bound = jax.jit(with_error_bound(lambda a, b: a * b, x, y))(x, y)
    exact = np.asarray(x, np.complex128) * np.asarray(y, np.complex128)
    error = np.abs(np.asarray(value, np.complex128) - exact)
    assert np.all(error <= bound)
    assert np.any(error > rounding_unit(np.float32) * np.abs(exact))
