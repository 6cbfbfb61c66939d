"""The built-in domains of ``checks.domain``, one constructor each: ``real``,
``positive``, ``unit_interval``, ``simplex``, ``one_hot``, ``integers``, ``fixed`` and
``custom``; each draws its bulk and strata (``checks._src.declare.domain_strata``) in
JAX and NumPy alike, and says how its values are edited
(``checks._src.declare.domain_editing``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike, DTypeLike

from checks._src.declare import sampling
from checks._src.declare.domain_base import (
    Domain,
    DomainError,
    Shape,
    ShapeLike,
    _check_shape,
)
from checks._src.declare.domain_editing import (
    _POSITIVE_EDITING,
    _REAL_EDITING,
    _SIMPLEX_EDITING,
    _UNIT_EDITING,
)
from checks._src.declare.domain_strata import (
    _choose,
    _decades,
    _indicator,
    _keys,
    _log_uniform,
    _random_sign,
    _stratum_index,
)
from checks._src.declare.sampling import Array
from checks._src.run import caches


def _domain(
    kind: str,
    shape: Shape,
    strata: tuple[str, ...],
    draw: Callable[..., tuple[Array, Array]],
    **kw: Any,
) -> Domain:
    """A built-in domain: ``draw(key, n, shape, dtype, xp)`` in both namespaces."""
    return Domain(
        kind,
        shape,
        strata,
        functools.partial(draw, xp=jnp),
        host_draw=functools.partial(draw, xp=np),
        **kw,
    )


def real(shape: ShapeLike = (), scale: float = 1.0) -> Domain:
    """Any real number: N(0, scale²) bulk, magnitudes 4·scale to 30·scale, values
    near 0 (1e-8·scale to 0.1·scale), and ties (all entries equal).

    Args:
        shape: the shape of one example: ints, or size names given sizes by
            the declaration's ``dims`` (``("k",)``).
        scale: the bulk's standard deviation, > 0.

    Returns:
        The domain.

    Raises:
        DomainError: a bad shape, or ``scale`` ≤ 0.

    Examples:
        >>> from checks import domain
        >>> domain.real(("k",)).strata
        ('bulk', 'large', 'near-zero', 'ties')
    """
    shape = _check_shape(shape)
    return _real(shape, scale)


@caches.register
@functools.cache
def _real(shape, scale) -> Domain:
    if not scale > 0:
        raise DomainError(f"real(scale=...) must be positive, got {scale!r}")
    strata = ("bulk", "large", "near-zero") + (("ties",) if shape else ())

    def draw(key, n, shp, dtype, xp):
        k = _keys(key, 5)
        full = (n, *shp)
        bulk = sampling.normal(k[0], full, xp=xp)
        large = _random_sign(k[1], full, xp) * sampling.uniform(
            k[2], full, 4.0, 30.0, xp=xp
        )
        small = _random_sign(k[3], full, xp) * _log_uniform(k[4], full, -8.0, -1.0, xp)
        candidates = [bulk, large, small]
        if shp:
            tie = sampling.normal(k[4], (n,) + (1,) * len(shp), xp=xp)
            candidates.append(xp.broadcast_to(tie, full))
        s = _stratum_index(key, n, len(candidates), xp)
        return (scale * _choose(s, candidates, xp)).astype(dtype), s

    return _domain(
        "real", shape, strata, draw, params=(("scale", scale),), editing=_REAL_EDITING
    )


def positive(shape: ShapeLike = ()) -> Domain:
    """A positive real: log-normal bulk, values down to 1e-8 (float32) or 1e-15
    (float64), and values up to 1e4 (float32) or 1e6 (float64).

    Args:
        shape: the shape of one example: ints, or size names given sizes by
            the declaration's ``dims`` (``("k",)``).

    Returns:
        The domain.

    Raises:
        DomainError: a shape entry is not a positive int or a size name.

    Examples:
        >>> import numpy as np
        >>> from checks import domain, sampling
        >>> x, _ = domain.positive().sample(sampling.stream(1), 500, {}, "float64")
        >>> bool((np.asarray(x) > 0).all())
        True
    """
    shape = _check_shape(shape)
    return _positive(shape)


@caches.register
@functools.cache
def _positive(shape) -> Domain:
    def draw(key, n, shp, dtype, xp):
        k = _keys(key, 3)
        full = (n, *shp)
        wide = jnp.finfo(dtype).bits >= 64
        bulk = xp.exp(sampling.normal(k[0], full, xp=xp))
        small = _log_uniform(k[1], full, -15.0 if wide else -8.0, -1.0, xp)
        large = _log_uniform(k[2], full, 1.0, 6.0 if wide else 4.0, xp)
        s = _stratum_index(key, n, 3, xp)
        x = _choose(s, [bulk, small, large], xp).astype(dtype)
        return xp.maximum(x, jnp.finfo(dtype).tiny), s

    strata = ("bulk", "near-zero", "large")
    return _domain("positive", shape, strata, draw, editing=_POSITIVE_EDITING)


def unit_interval(shape: ShapeLike = ()) -> Domain:
    """A number in the open interval (0, 1): uniform bulk, and values within
    1e-30 (float64) or 1e-15 (float32) of 0 and within one rounding unit of 1.

    Args:
        shape: the shape of one example: ints, or size names given sizes by
            the declaration's ``dims`` (``("k",)``).

    Returns:
        The domain.

    Raises:
        DomainError: a shape entry is not a positive int or a size name.

    Examples:
        >>> import numpy as np
        >>> from checks import domain, sampling
        >>> x, _ = domain.unit_interval().sample(sampling.stream(1), 500, {}, "float32")
        >>> x = np.asarray(x)
        >>> bool(((x > 0) & (x < 1)).all()), str(x.dtype)
        (True, 'float32')
    """
    shape = _check_shape(shape)
    return _unit_interval(shape)


@caches.register
@functools.cache
def _unit_interval(shape) -> Domain:
    def draw(key, n, shp, dtype, xp):
        k = _keys(key, 3)
        full = (n, *shp)
        toward_zero, toward_one = _decades(dtype)
        bulk = sampling.uniform(k[0], full, xp=xp)
        near0 = _log_uniform(k[1], full, toward_zero, -1.0, xp)
        near1 = 1.0 - _log_uniform(k[2], full, toward_one, -1.0, xp)
        s = _stratum_index(key, n, 3, xp)
        x = _choose(s, [bulk, near0, near1], xp).astype(dtype)
        finfo = jnp.finfo(dtype)
        below_one = xp.asarray(1.0 - float(finfo.epsneg), dtype)  # exact
        return xp.minimum(xp.maximum(x, xp.asarray(finfo.tiny, dtype)), below_one), s

    strata = ("bulk", "near-0", "near-1")
    return _domain("unit_interval", shape, strata, draw, editing=_UNIT_EDITING)


def simplex(shape: ShapeLike) -> Domain:
    """A probability vector along the last axis: entries > 0 summing to 1.

    Strata: uniform on the simplex (Dirichlet(1)); near a vertex, with the other
    entries down to 1e-30 (float64) or 1e-15 (float32); the centre (all equal).

    Args:
        shape: the shape of one example: ints, or size names given sizes by
            the declaration's ``dims`` (``("k",)``).

    Returns:
        The domain.

    Raises:
        DomainError: a bad or empty shape.

    Examples:
        >>> import numpy as np
        >>> from checks import domain, sampling
        >>> key = sampling.stream(0)
        >>> p, _ = domain.simplex(("k",)).sample(key, 100, {"k": 4}, "float64")
        >>> p = np.asarray(p)
        >>> p.shape, bool(abs(p.sum(axis=-1) - 1).max() < 1e-12)
        ((100, 4), True)
    """
    shape = _check_shape(shape)
    return _simplex(shape)


@caches.register
@functools.cache
def _simplex(shape) -> Domain:
    if not shape:
        raise DomainError("simplex(shape) needs at least one axis (the last sums to 1)")

    def draw(key, n, shp, dtype, xp):
        k = _keys(key, 3)
        full = (n, *shp)
        toward_zero, _ = _decades(dtype)
        bulk = -xp.log(sampling.uniform(k[0], full, xp=xp))
        small = _log_uniform(k[1], full, toward_zero, -1.0, xp)
        top = sampling.integers(k[2], full[:-1], 0, shp[-1], xp=xp)
        vertex = xp.where(_indicator(top, shp[-1], bool, xp), 1.0, small)
        centre = xp.ones(full, xp.float64)
        s = _stratum_index(key, n, 3, xp)
        x = _choose(s, [bulk, vertex, centre], xp)
        x = (x / xp.sum(x, axis=-1, keepdims=True)).astype(dtype)
        return xp.maximum(x, jnp.finfo(dtype).tiny), s

    strata = ("dirichlet", "near-vertex", "centre")
    return _domain("simplex", shape, strata, draw, editing=_SIMPLEX_EDITING)


def one_hot(shape: ShapeLike) -> Domain:
    """A one-hot vector along the last axis (a class label), class uniform.

    Args:
        shape: the shape of one example: ints, or size names given sizes by
            the declaration's ``dims`` (``("k",)``).

    Returns:
        The domain.

    Raises:
        DomainError: a bad or empty shape.

    Examples:
        >>> from checks import domain, sampling
        >>> y, _ = domain.one_hot((3,)).sample(sampling.stream(0), 10, {}, "float64")
        >>> y.sum(axis=-1).tolist() == [1.0] * 10
        True
    """
    shape = _check_shape(shape)
    return _one_hot(shape)


@caches.register
@functools.cache
def _one_hot(shape) -> Domain:
    if not shape:
        raise DomainError("one_hot(shape) needs at least one axis (the classes)")

    def draw(key, n, shp, dtype, xp):
        labels = sampling.integers(key, (n, *shp[:-1]), 0, shp[-1], xp=xp)
        return _indicator(labels, shp[-1], dtype, xp), xp.zeros(n, xp.int32)

    return _domain("one_hot", shape, ("uniform",), draw, continuous=False)


def integers(low: int, high: int, shape: ShapeLike = ()) -> Domain:
    """An integer n with low ≤ n < high (int32). Never differentiated.

    Args:
        low, high: the bounds, ``low < high``.
        shape: the shape of one example: ints, or size names given sizes by
            the declaration's ``dims`` (``("k",)``).

    Returns:
        The domain.

    Raises:
        DomainError: bounds that are not ints with ``low < high``, or a bad
            shape.

    Examples:
        >>> from checks import domain, sampling
        >>> n, _ = domain.integers(0, 5).sample(sampling.stream(0), 100, {}, "int32")
        >>> int(n.min()) >= 0 and int(n.max()) < 5
        True
    """
    shape = _check_shape(shape)
    return _integers(low, high, shape)


@caches.register
@functools.cache
def _integers(low, high, shape) -> Domain:
    if not (isinstance(low, (int, np.integer)) and isinstance(high, (int, np.integer))):
        raise DomainError(f"integers(low, high) takes ints, got {low!r}, {high!r}")
    if high <= low:
        raise DomainError(f"integers(low, high) needs low < high, got {low}, {high}")

    def draw(key, n, shp, dtype, xp):
        values = sampling.integers(key, (n, *shp), low, high, xp=xp)
        return values, xp.zeros(n, xp.int32)

    return _domain(
        "integers",
        shape,
        ("uniform",),
        draw,
        floating=False,
        continuous=False,
        params=(("", low), ("", high)),
    )


def fixed(value: ArrayLike) -> Domain:
    """A constant, the same for every sample (cast to the case's dtype if real).

    Args:
        value: a number or an array of numbers.

    Returns:
        The domain.

    Raises:
        DomainError: ``value`` is not a number or an array of numbers.

    Examples:
        >>> from checks import domain, sampling
        >>> x, _ = domain.fixed([1.0, 2.0]).sample(sampling.stream(0), 2, {}, "float64")
        >>> x.tolist()
        [[1.0, 2.0], [1.0, 2.0]]
    """
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise DomainError(f"fixed(value) needs a number or array, got {value!r}")
    floating = array.dtype.kind == "f"

    def draw(key, n, shp, dtype, xp):
        x = xp.asarray(array, dtype if floating else xp.int32)
        return xp.broadcast_to(x, (n, *shp)), xp.zeros(n, xp.int32)

    return _domain(
        "fixed",
        tuple(int(s) for s in array.shape),
        ("fixed",),
        draw,
        floating=floating,
        continuous=False,
        params=(("", array.tolist()),),
        self_describing=False,
    )


def custom(
    sample: Callable[[jax.Array, tuple[int, ...], DTypeLike], ArrayLike],
    shape: ShapeLike = (),
) -> Domain:
    """Values from your own sampler.

    ``sample(key, shape, dtype)`` must return an array of exactly ``shape``, which
    is the batch shape ``(n, *shape_of_one_example)``, using only ``jax.random``
    and ``jax.numpy`` (it runs inside ``jax.jit``).

    Args:
        sample: the sampler; ``key`` is a ``jax.random`` key.
        shape: the shape of one example: ints, or size names given sizes by
            the declaration's ``dims`` (``("k",)``).

    Returns:
        The domain (one stratum, ``"custom"``; no NumPy sampler).

    Raises:
        DomainError: ``sample`` is not callable, or a bad shape.

    Examples:
        >>> import jax
        >>> import numpy as np
        >>> from checks import domain, sampling
        >>> def near_one(key, shape, dtype):
        ...     return 1 + 0.01 * jax.random.normal(key, shape, dtype)
        >>> sampler = domain.custom(near_one)
        >>> x, _ = sampler.sample(sampling.stream(0), 100, {}, "float64")
        >>> bool(abs(np.asarray(x) - 1).max() < 0.1)
        True
    """
    shape = _check_shape(shape)
    if not callable(sample):
        raise DomainError(f"custom(sample) needs a callable, got {sample!r}")

    def draw(key, n, shp, dtype):
        values = jnp.asarray(sample(sampling.jax_key(key), (n, *shp), dtype))
        if jnp.issubdtype(values.dtype, jnp.floating):
            values = values.astype(dtype)
        return values, jnp.zeros(n, jnp.int32)

    name = getattr(sample, "__name__", "sample")
    params = (("", name),)
    return Domain(
        "custom", shape, ("custom",), draw, params=params, self_describing=False
    )
