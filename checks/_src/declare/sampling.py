"""Random numbers for sampling inputs, cheap to compile and the same on every device.

A *stream* is a uint64 scalar. Values are ``splitmix64(stream + φ·i)`` for the
element counter ``i``: a counter-based generator made of a few integer
multiplies and shifts, so a whole case's sampling compiles in milliseconds
(``jax.random``'s threefry costs about a second of XLA compilation per program on
a small CPU) and integer arithmetic gives identical bits on CPU and GPU.

Every function that draws takes the array namespace ``xp`` it computes with:
``jax.numpy`` inside a compiled check, NumPy when the host evaluates one
(``checks._src.evaluate.on_host``), with the same operations in the same order. A stream
is then a NumPy ``uint64`` scalar, and the caller ignores NumPy's overflow warnings (the
generator's arithmetic is modulo 2⁶⁴ by design).

Reference: G. L. Steele, D. Lea, C. H. Flood, "Fast splittable pseudorandom
number generators", OOPSLA 2014 (the splitmix64 finalizer).
"""

from __future__ import annotations

import math
from types import ModuleType

import jax
import jax.numpy as jnp
import numpy as np

from checks._src.evaluate.precision import in_numerics

__all__ = [
    "chunk_stream",
    "integers",
    "jax_key",
    "normal",
    "stream",
    "substream",
    "substream_of",
    "uniform",
]

# A stream: a uint64 scalar, in JAX (a compiled check) or NumPy (the host's).
Stream = jax.Array | np.uint64
# An array of either namespace.
Array = jax.Array | np.ndarray

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix(z: jax.Array) -> jax.Array:
    """splitmix64's finalizer: a bijection of uint64 that scrambles every bit."""
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def _mix_constant(value: int) -> np.uint64:
    """``_mix`` of a Python integer, computed in NumPy (no traced operations)."""
    with np.errstate(over="ignore"):
        z = np.array([value % 2**64], np.uint64)
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        return (z ^ (z >> np.uint64(31)))[0]


@in_numerics
def stream(seed: int) -> jax.Array:
    """The root stream of a seed.

    A ``uint64`` array whether or not JAX's float64 support is on where it is
    called (made with it on, so it is never cut to 32 bits).

    Args:
        seed: an integer, 0 ≤ seed < 2⁶⁴.

    Returns:
        A ``uint64`` scalar: the key of ``checks.Domain.sample``.

    Examples:
        >>> from checks import sampling
        >>> s = sampling.stream(0)
        >>> str(s.dtype), s.shape, bool(s == sampling.stream(0))
        ('uint64', (), True)
    """
    return jnp.asarray(_mix_constant(int(seed) + int(_GOLDEN)))


@in_numerics
def chunk_stream(seed: int, index: int) -> jax.Array:
    """The stream of the ``index``-th chunk of a run's samples (chunk 0 is the
    seed's root stream, so a run that fits in one chunk samples the same points).

    Args:
        seed: the run's seed.
        index: the chunk's index, from 0.

    Returns:
        A ``uint64`` scalar.

    Examples:
        >>> from checks import sampling
        >>> bool(sampling.chunk_stream(7, 0) == sampling.stream(7))
        True
        >>> bool(sampling.chunk_stream(7, 1) == sampling.stream(7))
        False
    """
    if index == 0:
        return stream(seed)
    root = _mix_constant(int(seed) + int(_GOLDEN))
    with np.errstate(over="ignore"):
        return jnp.asarray(_mix_constant(int(root ^ np.uint64(index) * _GOLDEN)))


def substream(s: Stream, index: int) -> Stream:
    """An independent stream for the ``index``-th consumer of ``s``.

    Args:
        s: a stream: a ``uint64`` NumPy scalar, or a JAX one with float64 on
            (as inside a check; with it off JAX cuts ``uint64`` to 32 bits).
        index: which consumer, from 0.

    Returns:
        A stream of the same kind.

    Examples:
        >>> import numpy as np
        >>> from checks import sampling
        >>> s = np.uint64(12345)
        >>> with np.errstate(over="ignore"):
        ...     a, b = sampling.substream(s, 0), sampling.substream(s, 1)
        >>> bool(a != b), a.dtype
        (True, dtype('uint64'))
    """
    with np.errstate(over="ignore"):
        salt = _mix_constant(int(np.uint64(index + 1) * _GOLDEN))
    return _mix(s ^ salt)


def substream_of(s: np.uint64, index: int) -> np.uint64:
    """``substream`` of a concrete stream, computed in NumPy.

    Args:
        s: a stream as a ``numpy.uint64``.
        index: which consumer, from 0.

    Returns:
        A ``numpy.uint64``.

    Examples:
        >>> import jax
        >>> import numpy as np
        >>> from checks import sampling
        >>> s = sampling.stream(3)
        >>> with jax.enable_x64(True):  # the stream's uint64 arithmetic in JAX
        ...     in_jax = int(sampling.substream(s, 2))
        >>> int(sampling.substream_of(np.asarray(s), 2)) == in_jax
        True
    """
    with np.errstate(over="ignore"):
        return substream(np.uint64(s), index)


def _bits(s: Stream, shape: tuple[int, ...], xp: ModuleType) -> Array:
    count = math.prod(shape)
    i = xp.arange(count, dtype=xp.uint64).reshape(shape)
    return _mix(s + (i + np.uint64(1)) * _GOLDEN)


def uniform(
    s: Stream,
    shape: tuple[int, ...],
    low: float = 0.0,
    high: float = 1.0,
    xp: ModuleType = jnp,
) -> Array:
    """float64 uniform on the open interval (low, high).

    Args:
        s: a stream.
        shape: the shape of the values.
        low, high: the interval.
        xp: the array namespace to compute with (``jax.numpy`` or ``numpy``).

    Returns:
        float64 values, the top 53 bits of each counter's hash.

    Examples:
        >>> import numpy as np
        >>> from checks import sampling
        >>> with np.errstate(over="ignore"):
        ...     u = sampling.uniform(np.uint64(1), (1000,), 2.0, 3.0, xp=np)
        >>> bool((u > 2).all() and (u < 3).all()), u.dtype
        (True, dtype('float64'))
    """
    top53 = (_bits(s, shape, xp) >> np.uint64(11)).astype(xp.float64)
    u = (top53 + 0.5) * 2.0**-53
    return low + (high - low) * u


def normal(s: Stream, shape: tuple[int, ...], xp: ModuleType = jnp) -> Array:
    """float64 standard normal (Box–Muller).

    Args:
        s: a stream.
        shape: the shape of the values.
        xp: the array namespace to compute with (``jax.numpy`` or ``numpy``).

    Returns:
        float64 values.

    Examples:
        >>> import numpy as np
        >>> from checks import sampling
        >>> with np.errstate(over="ignore"):
        ...     z = sampling.normal(np.uint64(1), (20000,), xp=np)
        >>> abs(float(z.mean())) < 0.05, abs(float(z.std()) - 1) < 0.05
        (True, True)
    """
    u1 = uniform(substream(s, 0), shape, xp=xp)
    u2 = uniform(substream(s, 1), shape, xp=xp)
    return xp.sqrt(-2.0 * xp.log(u1)) * xp.cos(2.0 * xp.pi * u2)


def integers(
    s: Stream, shape: tuple[int, ...], low: int, high: int, xp: ModuleType = jnp
) -> Array:
    """int32 uniform on low ≤ n < high.

    Args:
        s: a stream.
        shape: the shape of the values.
        low, high: the bounds.
        xp: the array namespace to compute with (``jax.numpy`` or ``numpy``).

    Returns:
        int32 values.

    Examples:
        >>> import numpy as np
        >>> from checks import sampling
        >>> with np.errstate(over="ignore"):
        ...     n = sampling.integers(np.uint64(1), (1000,), -2, 3, xp=np)
        >>> sorted(set(n.tolist()))
        [-2, -1, 0, 1, 2]
    """
    n = xp.floor(uniform(s, shape, xp=xp) * (high - low)).astype(xp.int32)
    return xp.clip(n + xp.int32(low), xp.int32(low), xp.int32(high - 1))


def jax_key(s: jax.Array) -> jax.Array:
    """A ``jax.random`` key derived from a stream, for user-written samplers.

    Args:
        s: a stream (a ``uint64`` JAX scalar).

    Returns:
        A typed ``jax.random`` key (what ``checks.domain.custom`` passes on).

    Examples:
        >>> import jax
        >>> from checks import sampling
        >>> key = sampling.jax_key(sampling.stream(0))
        >>> jax.random.uniform(key, (2,)).shape
        (2,)
    """
    return jax.random.key((s >> np.uint64(32)).astype(jnp.uint32))
