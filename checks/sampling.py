"""Random numbers for sampling inputs, cheap to compile and the same on every device.

A *stream* is a uint64 scalar. Values are ``splitmix64(stream + φ·i)`` for the
element counter ``i``: a counter-based generator made of a few integer
multiplies and shifts, so a whole case's sampling compiles in milliseconds
(``jax.random``'s threefry costs about a second of XLA compilation per program on
a small CPU) and integer arithmetic gives identical bits on CPU and GPU.

Every function that draws takes the array namespace ``xp`` it computes with:
``jax.numpy`` inside a compiled check, NumPy when the host evaluates one
(``checks.on_host``), with the same operations in the same order. A stream is then
a NumPy ``uint64`` scalar, and the caller ignores NumPy's overflow warnings
(the generator's arithmetic is modulo 2⁶⁴ by design).

Reference: G. L. Steele, D. Lea, C. H. Flood, "Fast splittable pseudorandom
number generators", OOPSLA 2014 (the splitmix64 finalizer).
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

__all__ = [
    "integers",
    "jax_key",
    "normal",
    "stream",
    "substream",
    "substream_of",
    "uniform",
]

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


def stream(seed: int) -> jax.Array:
    """The root stream of a seed."""
    return jnp.asarray(_mix_constant(int(seed) + int(_GOLDEN)))


def chunk_stream(seed: int, index: int) -> jax.Array:
    """The stream of the ``index``-th chunk of a run's samples (chunk 0 is the
    seed's root stream, so a run that fits in one chunk samples the same points)."""
    if index == 0:
        return stream(seed)
    root = _mix_constant(int(seed) + int(_GOLDEN))
    with np.errstate(over="ignore"):
        return jnp.asarray(_mix_constant(int(root ^ np.uint64(index) * _GOLDEN)))


def substream(s: jax.Array, index: int) -> jax.Array:
    """An independent stream for the ``index``-th consumer of ``s``."""
    with np.errstate(over="ignore"):
        salt = _mix_constant(int(np.uint64(index + 1) * _GOLDEN))
    return _mix(s ^ salt)


def substream_of(s: np.uint64, index: int) -> np.uint64:
    """``substream`` of a concrete stream, computed in NumPy."""
    with np.errstate(over="ignore"):
        return substream(np.uint64(s), index)


def _bits(s: Any, shape: tuple[int, ...], xp: Any) -> Any:
    count = math.prod(shape)
    i = xp.arange(count, dtype=xp.uint64).reshape(shape)
    return _mix(s + (i + np.uint64(1)) * _GOLDEN)


def uniform(
    s: Any, shape: tuple[int, ...], low: float = 0.0, high: float = 1.0, xp: Any = jnp
) -> Any:
    """float64 uniform on the open interval (low, high)."""
    top53 = (_bits(s, shape, xp) >> np.uint64(11)).astype(xp.float64)
    u = (top53 + 0.5) * 2.0**-53
    return low + (high - low) * u


def normal(s: Any, shape: tuple[int, ...], xp: Any = jnp) -> Any:
    """float64 standard normal (Box–Muller)."""
    u1 = uniform(substream(s, 0), shape, xp=xp)
    u2 = uniform(substream(s, 1), shape, xp=xp)
    return xp.sqrt(-2.0 * xp.log(u1)) * xp.cos(2.0 * xp.pi * u2)


def integers(s: Any, shape: tuple[int, ...], low: int, high: int, xp: Any = jnp) -> Any:
    """int32 uniform on low ≤ n < high."""
    n = xp.floor(uniform(s, shape, xp=xp) * (high - low)).astype(xp.int32)
    return xp.clip(n + xp.int32(low), xp.int32(low), xp.int32(high - 1))


def jax_key(s: jax.Array) -> jax.Array:
    """A ``jax.random`` key derived from a stream, for user-written samplers."""
    return jax.random.key((s >> np.uint64(32)).astype(jnp.uint32))
