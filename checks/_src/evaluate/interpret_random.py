"""Value rules of ``checks._src.evaluate.interpret``: ``jax.random``'s bits.

Keys made by ``random_seed`` and the bits ``random_bits`` draws from them, by
threefry2x32 as JAX computes it in its partitionable form; a key is two uint32
words. Another generator, or threefry's original form, is ``Unsupported``.
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

from checks._src.evaluate.interpret_batch import Rule, Unsupported

__all__ = ["VALUES"]


# jax.random's default generator, threefry2x32 (Salmon et al., "Parallel random
# numbers: as easy as 1, 2, 3", SC 2011), as JAX computes it: a key is two uint32
# words, and ``random_bits`` hashes the element counter, split into two words.
_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))


def _threefry2x32(
    k1: np.ndarray, k2: np.ndarray, x1: np.ndarray, x2: np.ndarray
) -> list[np.ndarray]:
    def rotl(v: np.ndarray, d: int) -> np.ndarray:
        return (v << np.uint32(d)) | (v >> np.uint32(32 - d))

    ks = [k1, k2, k1 ^ k2 ^ np.uint32(0x1BD11BDA)]
    x = [x1 + ks[0], x2 + ks[1]]
    for i in range(5):
        for r in _ROTATIONS[i % 2]:
            x[0] = x[0] + x[1]
            x[1] = x[0] ^ rotl(x[1], r)
        x[0] = x[0] + ks[(i + 1) % 3]
        x[1] = x[1] + ks[(i + 2) % 3] + np.uint32(i + 1)
    return x


def _is_threefry(impl: object) -> bool:
    return getattr(impl, "tag", None) == "fry"


def _random_seed(params: dict[str, Any], seed: np.ndarray) -> np.ndarray:
    """A threefry key from an integer seed: (high word, low word)."""
    if not _is_threefry(params["impl"]):
        raise Unsupported("a random generator other than threefry")
    wide = seed.astype(np.uint64)
    high = (wide >> np.uint64(32)).astype(np.uint32)
    if seed.dtype.itemsize < 8:
        high = np.zeros_like(high)
    return np.stack([high, (wide & np.uint64(0xFFFFFFFF)).astype(np.uint32)], -1)


def _random_bits(params: dict[str, Any], key: np.ndarray) -> np.ndarray:
    """``jax.random.bits`` of threefry keys (its partitionable form)."""
    if not jax.config.jax_threefry_partitionable:
        raise Unsupported("threefry bits in their original (non-partitionable) form")
    shape = tuple(int(s) for s in params["shape"])
    width = int(params["bit_width"])
    count = np.arange(int(np.prod(shape)), dtype=np.uint64).reshape(shape)
    high = (count >> np.uint64(32)).astype(np.uint32)[None]
    low = (count & np.uint64(0xFFFFFFFF)).astype(np.uint32)[None]
    lead = (key.shape[0], *key.shape[1:-1], *(1,) * (len(shape) - key.ndim + 2))
    k1 = key[..., 0].reshape(lead)
    k2 = key[..., 1].reshape(lead)
    b1, b2 = _threefry2x32(k1, k2, high, low)
    if width == 64:
        return (b1.astype(np.uint64) << np.uint64(32)) | b2.astype(np.uint64)
    return (b1 ^ b2).astype(np.dtype(f"uint{width}"))


VALUES: dict[str, Rule] = {
    "random_seed": _random_seed,
    "random_bits": _random_bits,
    "random_wrap": lambda params, x: x,
    "random_unwrap": lambda params, x: x,
}
