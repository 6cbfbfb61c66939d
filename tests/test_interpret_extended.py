"""The NumPy engine's scatters, gathers, convolutions, pooling windows and top-k
against XLA: values, and rounding-error bounds that hold and match the XLA
engine's (one rule table)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax
from jax.extend import core

from checks._src.evaluate import interpret
from checks._src.evaluate.rounding import trace_as_written, with_error_bound

RNG = np.random.default_rng(1)
B = 5  # points
DTYPES = ["float64", "float32", "bfloat16"]


def _closed(fn, xs):
    avals = [jax.ShapeDtypeStruct(np.shape(x)[1:], np.asarray(x).dtype) for x in xs]
    return trace_as_written(fn, *avals)


def _both(fn, *xs, bounds=False):
    """(NumPy engine, jax.jit) values of ``fn`` at a batch of points; the
    NumPy engine must take the whole jaxpr."""
    closed = _closed(fn, xs)
    assert interpret.supported(closed, bounds=bounds)
    ((got, _),) = interpret.evaluate(closed, [np.asarray(x) for x in xs])
    want = jax.jit(jax.vmap(core.jaxpr_as_fun(closed)))(*xs)[0]
    return got, np.asarray(want)


def _edge(shape, dtype):
    """Normal draws with zeros, subnormals, huge values and ties mixed in."""
    x = RNG.normal(size=(B, *shape))
    flat = x.reshape(B, -1)
    n = flat.shape[1]
    tiny = float(jnp.finfo(dtype).tiny)
    big = float(jnp.finfo(dtype).max) ** 0.25
    flat[0, : min(n, 3)] = 0.0
    flat[1, : min(n, 2)] = [tiny / 4, -tiny / 8][: min(n, 2)]
    flat[2, :] = flat[2, 0]  # every element tied
    flat[3, : min(n, 2)] = [big, -big][: min(n, 2)]
    return flat.reshape(x.shape).astype(jnp.dtype(dtype))


def _labels(n_rows, n_classes):
    return RNG.integers(0, n_classes, size=(B, n_rows)).astype(np.int32)


def _close(got, want, dtype, scale=16):
    assert got.dtype == want.dtype and got.shape == want.shape
    g, w = got.astype(np.float64), want.astype(np.float64)
    finite = np.isfinite(w)
    np.testing.assert_array_equal(g[~finite], w[~finite])  # NaN, ±∞ where XLA's
    eps = float(jnp.finfo(dtype).eps)
    size = np.max(np.abs(w[finite]), initial=0.0)
    np.testing.assert_allclose(
        g[finite], w[finite], rtol=0, atol=scale * eps * size + 1e-300
    )


def _softmax_grad(s, y):
    def loss(s):
        p = jax.nn.log_softmax(s)
        return -jnp.mean(p[jnp.arange(s.shape[0]), y])

    return jax.grad(loss)(s)


def _svm(s, y):
    n = s.shape[0]
    correct = s[jnp.arange(n), y][:, None]
    margins = jnp.maximum(0, s - correct + 1).at[jnp.arange(n), y].set(0)
    return margins


def _cs231n_scatter(s, y):
    p = jax.nn.softmax(s)
    return p.at[jnp.arange(s.shape[0]), y].add(-1)


def _embedding(w, idx):
    return w[idx] * 2


def _embedding_grad(w, idx):
    return jax.grad(lambda w: jnp.sum(jnp.sin(w[idx])))(w)


def _take_along(s, y):
    return jnp.take_along_axis(s, y[:, None], axis=1)


def _take_fill(s, y):
    return jnp.take(s, y + 2, axis=1, mode="fill", fill_value=-7.0)


def _scatter_drop(s, y):
    return s.at[jnp.arange(s.shape[0]), y + 2].add(10.0, mode="drop")


def _scatter_clip(s, y):
    return s.at[jnp.arange(s.shape[0]), y + 2].set(10.0, mode="clip")


def _scatter_max(s, y):
    return s.at[0, y[:3]].max(s[1])


SCATTER_GATHER = {
    "softmax gradient with labels": _softmax_grad,
    "SVM margins set at the labels": _svm,
    "P.at[arange(N), y].add(-1)": _cs231n_scatter,
    "take_along_axis": _take_along,
    "take, mode=fill": _take_fill,
    "scatter-add, out of bounds dropped": _scatter_drop,
    "scatter, mode=clip": _scatter_clip,
    "scatter-max with repeated indices": _scatter_max,
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(SCATTER_GATHER))
def test_scatter_and_gather_match_xla(name, dtype):
    s = _edge((4, 3), dtype)
    y = _labels(4, 3)
    y[0] = 1  # repeated labels in one point
    got, want = _both(SCATTER_GATHER[name], s, y)
    _close(got, want, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_embedding_lookup_and_its_gradient_with_repeated_indices(dtype):
    w = _edge((6, 3), dtype)
    idx = RNG.integers(0, 6, size=(B, 5)).astype(np.int32)
    idx[:, :2] = 4  # repeated rows add up in the gradient
    _close(*_both(_embedding, w, idx), dtype)
    _close(*_both(_embedding_grad, w, idx), dtype)


def _conv1d(x, w):
    return lax.conv_general_dilated(x, w, (2,), [(1, 2)], rhs_dilation=(2,))


def _conv2d(x, w):
    return lax.conv(x, w, (1, 1), "SAME")


def _conv2d_strided(x, w):
    return lax.conv_general_dilated(
        x, w, (2, 1), [(0, 0), (1, -1)], lhs_dilation=(1, 2)
    )


def _conv_nhwc(x, w):
    return lax.conv_general_dilated(
        jnp.transpose(x, (0, 2, 3, 1)),
        jnp.transpose(w, (2, 3, 1, 0)),
        (1, 1),
        [(1, 0), (0, 1)],
        dimension_numbers=("NHWC", "HWIO", "NHWC"),
    )


def _conv_grouped(x, w):
    return lax.conv_general_dilated(x, w[:, :1], (1, 1), "VALID", feature_group_count=2)


def _conv2d_grads(x, w):
    def loss(x, w):
        return jnp.sum(jnp.tanh(lax.conv(x, w, (1, 1), "SAME")))

    gx, gw = jax.grad(loss, argnums=(0, 1))(x, w)
    return jnp.sum(gx) + gw


CONVOLUTIONS = {
    "conv1d, strided, padded, dilated kernel": (_conv1d, (1, 2, 9), (3, 2, 3)),
    "conv2d SAME": (_conv2d, (2, 2, 4, 4), (3, 2, 3, 3)),
    "conv2d strided, dilated input": (_conv2d_strided, (1, 2, 5, 4), (2, 2, 2, 2)),
    "conv2d NHWC": (_conv_nhwc, (1, 2, 4, 3), (3, 2, 2, 2)),
    "conv2d, two feature groups": (_conv_grouped, (1, 2, 4, 4), (4, 2, 2, 2)),
    "both gradients of conv2d": (_conv2d_grads, (1, 2, 4, 4), (2, 2, 3, 3)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(CONVOLUTIONS))
def test_convolutions_match_xla(name, dtype):
    fn, xs, ws = CONVOLUTIONS[name]
    x, w = _edge(xs, dtype), _edge(ws, dtype)
    got, want = _both(fn, x, w)
    # Sums of products in another order: within the bound's K·u relative size.
    k = int(np.prod(ws[1:])) * 4
    _close(got, want, dtype, scale=k)


def _max_pool(x):
    return lax.reduce_window(x, -jnp.inf, lax.max, (1, 2, 2), (1, 2, 2), "VALID")


def _max_pool_padded(x):
    return lax.reduce_window(
        x, -jnp.inf, lax.max, (1, 3, 2), (1, 2, 1), [(0, 0), (1, 1), (0, 1)]
    )


def _avg_pool(x):
    return lax.reduce_window(x, 0.0, lax.add, (1, 2, 2), (1, 1, 2), "VALID") / 4


def _max_pool_grad(x):
    return jax.grad(lambda x: jnp.sum(jnp.sin(_max_pool(x))))(x)


def _max_pool_padded_grad(x):
    return jax.grad(lambda x: jnp.sum(jnp.sin(_max_pool_padded(x))))(x)


def _avg_pool_grad(x):
    return jax.grad(lambda x: jnp.sum(jnp.sin(_avg_pool(x))))(x)


def _top_k(x):
    values, indices = lax.top_k(x, 2)
    return values + indices


def _top_k_grad(x):
    return jax.grad(lambda x: jnp.sum(jnp.sin(lax.top_k(x, 2)[0])))(x)


POOLING = {
    "max pool": _max_pool,
    "max pool, padded, overlapping": _max_pool_padded,
    "average pool": _avg_pool,
    "max pool gradient (ties to the first)": _max_pool_grad,
    "overlapping max pool gradient": _max_pool_padded_grad,
    "average pool gradient": _avg_pool_grad,
    "top_k (ties to the lower index)": _top_k,
    "top_k gradient": _top_k_grad,
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(POOLING))
def test_pooling_and_top_k_match_xla(name, dtype):
    x = _edge((2, 4, 4), dtype)
    _close(*_both(POOLING[name], x), dtype)


def test_top_k_puts_nan_first_as_xla_does():
    x = np.array([[1.0, np.nan, 3.0, 3.0, -np.inf]])
    got, want = _both(lambda x: lax.top_k(x, 3)[1], x)
    np.testing.assert_array_equal(got, want)


BOUNDED = {
    "softmax gradient with labels": (_softmax_grad, [(4, 3), "labels"]),
    "P.at[arange(N), y].add(-1)": (_cs231n_scatter, [(4, 3), "labels"]),
    "SVM margins set at the labels": (_svm, [(4, 3), "labels"]),
    "embedding gradient": (_embedding_grad, [(3, 3), "labels"]),
    "conv2d SAME": (_conv2d, [(2, 2, 4, 4), (3, 2, 3, 3)]),
    "both gradients of conv2d": (_conv2d_grads, [(1, 2, 4, 4), (2, 2, 3, 3)]),
    "max pool gradient": (_max_pool_grad, [(2, 4, 4)]),
    "average pool gradient": (_avg_pool_grad, [(2, 4, 4)]),
    "top_k gradient": (_top_k_grad, [(2, 5)]),
}


def _inputs(shapes, dtype):
    return [
        _labels(4, 3) if s == "labels" else RNG.normal(size=(B, *s)).astype(dtype)
        for s in shapes
    ]


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize("name", list(BOUNDED))
def test_bounds_hold_against_float64(name, dtype):
    fn, shapes = BOUNDED[name]
    xs = _inputs(shapes, jnp.dtype(dtype))
    closed = _closed(fn, xs)
    assert interpret.supported(closed, bounds=True)
    ((value, bound),) = interpret.evaluate(closed, xs, bounds=True)
    wide = [x.astype(np.float64) if x.dtype != np.int32 else x for x in xs]
    ((exact, _),) = interpret.evaluate(_closed(fn, wide), wide)
    error = np.abs(value.astype(np.float64) - exact)
    assert bound is not None and np.all(error <= bound)
    assert np.any(error > 0)  # the check is not vacuous


@pytest.mark.parametrize("name", list(BOUNDED))
def test_bounds_match_the_xla_engine(name):
    """One rule table: the NumPy engine's bounds are the XLA engine's."""
    fn, shapes = BOUNDED[name]
    xs = _inputs(shapes, np.float32)
    ((value, bound),) = interpret.evaluate(_closed(fn, xs), xs, bounds=True)
    avals = [jax.ShapeDtypeStruct(x.shape[1:], x.dtype) for x in xs]
    want_value, want_bound = jax.jit(jax.vmap(with_error_bound(fn, *avals)))(*xs)
    _close(value, np.asarray(want_value), "float32", scale=64)
    np.testing.assert_allclose(bound, want_bound, rtol=1e-4, atol=1e-30)


def _gelu_grad(x):
    return jax.grad(lambda x: jnp.sum(0.5 * x * (1 + lax.erf(x / np.sqrt(2)))))(x)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "fn", [lax.erf, lax.erfc, _gelu_grad], ids=["erf", "erfc", "gelu"]
)
def test_erf_matches_xla(fn, dtype):
    x = _edge((6,), dtype)
    x[4] = np.array([30.0, -30.0, 6.0, -6.0, 1e-3, -0.5]).astype(x.dtype)
    _close(*_both(fn, x), dtype, scale=4)


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize(
    "fn", [lax.erf, lax.erfc, _gelu_grad], ids=["erf", "erfc", "gelu"]
)
def test_erf_bounds_hold_against_float64(fn, dtype):
    xs = [RNG.normal(scale=2.0, size=(50, 4)).astype(jnp.dtype(dtype))]
    ((value, bound),) = interpret.evaluate(_closed(fn, xs), xs, bounds=True)
    wide = [xs[0].astype(np.float64)]
    ((exact, _),) = interpret.evaluate(_closed(fn, wide), wide)
    error = np.abs(value.astype(np.float64) - exact)
    assert bound is not None and np.all(error <= bound)
    assert np.any(error > 0)


def _switch(x, i):
    branches = [jnp.sin, lambda v: v * 3.0, lambda v: jnp.exp(v) - v]
    return lax.switch(i[0], branches, x)


def _cond_on_sign(x, i):
    return lax.cond(jnp.sum(x) > 0, lambda v: v**2, lambda v: -v / 3.0, x)


def _fori_fixed(x, i):
    return lax.fori_loop(0, 4, lambda k, v: jnp.tanh(v) * 1.5 + k, x)


def _fori_traced(x, i):
    return lax.fori_loop(0, i[0] + 1, lambda k, v: v * 0.7 + jnp.sin(v), x)


def _while_until(x, i):
    return lax.while_loop(lambda v: jnp.sum(v * v) < 50.0, lambda v: v * 1.9 + 0.1, x)


def _while_vmapped(x, i):
    """A while loop under ``jax.vmap``: its condition is one per element (shape
    (4,)), each element stopping at its own step."""

    def one(v):
        return lax.while_loop(lambda u: u * u < 50.0, lambda u: u * 1.9 + 0.1, v)

    return jax.vmap(one)(jnp.abs(x) + 0.5)


def _scan_cumulative(x, i):
    def step(c, v):
        c = c * 0.5 + v
        return c, c * v

    carry, ys = lax.scan(step, jnp.zeros(()), x, reverse=True)
    return ys + carry


def _scan_gradient(x, i):
    def loss(x):
        h, _ = lax.scan(lambda h, v: (jnp.tanh(h * 0.9 + v), None), 0.0, x)
        return h

    return jax.grad(loss)(x)


CONTROL = {
    "switch, each point its branch": _switch,
    "cond on a sampled sign": _cond_on_sign,
    "fori_loop, fixed trip count (scan)": _fori_fixed,
    "fori_loop, traced trip count (while)": _fori_traced,
    "while_loop, stops at another step per point": _while_until,
    "while_loop under vmap, each element its own step": _while_vmapped,
    "scan in reverse with outputs": _scan_cumulative,
    "gradient through a scan (BPTT)": _scan_gradient,
}


def _control_inputs(dtype):
    x = RNG.normal(size=(B, 4)).astype(jnp.dtype(dtype))
    x[0] = 0.0
    i = np.array([[0], [1], [2], [3], [1]], np.int32)
    return x, i


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(CONTROL))
def test_control_flow_matches_xla(name, dtype):
    x, i = _control_inputs(dtype)
    _close(*_both(CONTROL[name], x, i), dtype, scale=64)


@pytest.mark.parametrize("name", list(CONTROL))
def test_control_flow_bounds_hold_and_match_the_xla_engine(name):
    fn = CONTROL[name]
    x, i = _control_inputs("float32")
    ((value, bound),) = interpret.evaluate(_closed(fn, [x, i]), [x, i], bounds=True)
    wide = [x.astype(np.float64), i]
    ((exact, _),) = interpret.evaluate(_closed(fn, wide), wide)
    assert bound is not None
    assert np.all(np.abs(value.astype(np.float64) - exact) <= bound)
    avals = [jax.ShapeDtypeStruct(v.shape[1:], v.dtype) for v in (x, i)]
    _, want = jax.jit(jax.vmap(with_error_bound(fn, *avals)))(x, i)
    np.testing.assert_allclose(bound, want, rtol=1e-4, atol=1e-30)


SORTS = {
    "sort": lambda x: jnp.sort(x, axis=-1),
    "argsort along the first axis": lambda x: jnp.argsort(x, axis=0),
    "sort by a key, carrying values": lambda x: lax.sort((x[0], x[1]), num_keys=1)[1],
    "gradient of a sorted weighting": lambda x: jax.grad(
        lambda x: jnp.sum(jnp.sort(x, axis=-1) * jnp.arange(4.0)[None, :])
    )(x),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(SORTS))
def test_sort_matches_xla(name, dtype):
    x = _edge((2, 4), dtype)
    x[4, 0] = np.array([0.0, -0.0, np.nan, -np.inf]).astype(x.dtype)  # −0 ties +0
    x[4, 1] = np.array([np.inf, -0.0, 0.0, -0.0]).astype(x.dtype)
    got, want = _both(SORTS[name], x)
    _close(got, want, dtype)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


def test_sort_bounds_match_the_xla_engine():
    fn = SORTS["gradient of a sorted weighting"]
    xs = [RNG.normal(size=(B, 2, 4)).astype(np.float32)]
    xs[0] = np.sin(xs[0])  # inexact inputs to sort: a nonzero bound to permute
    fn2 = lambda x: jnp.sort(jnp.sin(x), axis=-1) * 3  # noqa: E731
    for f in (fn, fn2):
        ((value, bound),) = interpret.evaluate(_closed(f, xs), xs, bounds=True)
        avals = [jax.ShapeDtypeStruct(x.shape[1:], x.dtype) for x in xs]
        _, want = jax.jit(jax.vmap(with_error_bound(f, *avals)))(*xs)
        want = np.zeros(value.shape) if bound is None and not np.any(want) else want
        np.testing.assert_allclose(
            np.zeros(value.shape) if bound is None else bound,
            want,
            rtol=1e-4,
            atol=1e-30,
        )


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint32])
def test_shift_right_arithmetic_matches_xla_past_the_width(dtype):
    """A shift by the width or more leaves the sign: −1 for a negative value."""
    bits = np.dtype(dtype).itemsize * 8
    info = np.iinfo(dtype)
    x = np.array([info.min, info.min + 3, 0, 1, 7, info.max - 1, info.max], dtype)
    s = np.arange(bits + 3, dtype=dtype)
    xs, ss = np.meshgrid(x, s)
    fn = lax.shift_right_arithmetic
    closed = jax.make_jaxpr(fn)(xs[0], ss[0])
    ((got, _),) = interpret.evaluate(closed, [xs, ss])
    np.testing.assert_array_equal(got, np.asarray(jax.jit(jax.vmap(fn))(xs, ss)))
