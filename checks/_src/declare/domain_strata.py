"""The strata and edge points the built-in domains
(``checks._src.declare.domain_kinds``) share, each in JAX and NumPy alike (``xp``):
which stratum each sample comes from, the candidate of its stratum, log-uniform
magnitudes, and how far toward 0 and 1 edge samples reach in a dtype.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from types import ModuleType

import jax.numpy as jnp
from jax.typing import DTypeLike

from checks._src.declare import sampling
from checks._src.declare.sampling import Array, Stream


def _stratum_index(key: Stream, n: int, count: int, xp: ModuleType) -> Array:
    """Each sample's stratum: the bulk with probability 1/2, else one of the others.

    Drawn from the parameter's own stream, so two parameters' strata are
    independent (a large θ is not always paired with a large x).
    """
    if count == 1:
        return xp.zeros(n, xp.int32)
    u = sampling.uniform(sampling.substream(key, 99), (n,), xp=xp)
    edge = xp.floor((u - 0.5) * 2.0 * (count - 1)).astype(xp.int32) + xp.int32(1)
    edge = xp.clip(edge, xp.int32(1), xp.int32(count - 1))
    return xp.where(u < 0.5, xp.int32(0), edge)


def _choose(strata: Array, candidates: Sequence[Array], xp: ModuleType) -> Array:
    """Per sample, the candidate of its stratum (candidates are ``(n, *shape)``)."""
    index = strata.reshape(strata.shape + (1,) * (candidates[0].ndim - 1))
    return xp.select([index == s for s in range(len(candidates))], candidates)


def _indicator(labels: Array, classes: int, dtype: DTypeLike, xp: ModuleType) -> Array:
    """``jax.nn.one_hot`` in either namespace."""
    classes_axis = xp.arange(classes, dtype=labels.dtype)
    classes_axis = classes_axis.reshape((1,) * labels.ndim + (classes,))
    return (labels[..., None] == classes_axis).astype(dtype)


def _decades(dtype: DTypeLike) -> tuple[float, float]:
    """How far toward 0 and toward 1 edge samples reach, as powers of ten."""
    eps = float(jnp.finfo(dtype).eps)
    toward_one = math.floor(math.log10(eps)) + 1  # 1 - 1e-15 in float64
    toward_zero = -30.0 if jnp.finfo(dtype).bits >= 64 else -15.0
    if jnp.finfo(dtype).bits <= 16:
        toward_zero = -4.0
    return toward_zero, float(toward_one)


def _log_uniform(
    key: Stream, shape: tuple[int, ...], low: float, high: float, xp: ModuleType
) -> Array:
    """10**U(low, high) in float64."""
    return 10.0 ** sampling.uniform(key, shape, low, high, xp=xp)


def _random_sign(key: Stream, shape: tuple[int, ...], xp: ModuleType) -> Array:
    return xp.where(sampling.uniform(key, shape, xp=xp) < 0.5, 1.0, -1.0)


def _keys(key: Stream, count: int) -> list[Stream]:
    return [sampling.substream(key, i) for i in range(count)]
