"""Value rules of ``checks._src.evaluate.interpret``: shapes and layout.

The primitives that move values without computing any: ``iota``, broadcasts,
reshapes, transposes, concatenation and splitting, slices, padding (with the
dilation and cropping that convolutions and pooling share, ``dilate`` and
``pad_spatial``) and reversal.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from checks._src.evaluate.interpret_batch import (
    Rule,
    Unsupported,
    full_batch,
    n_points,
    point_axes,
)

__all__ = ["VALUES", "dilate", "pad_spatial"]


def _iota(params: dict[str, Any]) -> np.ndarray:
    shape = tuple(params["shape"])
    dim = int(params["dimension"])
    line = np.arange(shape[dim], dtype=np.dtype(params["dtype"]))
    view = [1] * len(shape)
    view[dim] = shape[dim]
    return np.broadcast_to(line.reshape(view), shape)[None]


def _broadcast_in_dim(
    params: dict[str, Any], x: np.ndarray, *dyn: np.ndarray
) -> np.ndarray:
    if dyn:
        raise Unsupported("dynamic shapes")
    shape = tuple(params["shape"])
    view = [1] * len(shape)
    for i, d in enumerate(params["broadcast_dimensions"]):
        view[d] = x.shape[1 + i]
    return np.broadcast_to(x.reshape((x.shape[0], *view)), (x.shape[0], *shape))


def _reshape(params: dict[str, Any], x: np.ndarray, *dyn: np.ndarray) -> np.ndarray:
    if dyn:
        raise Unsupported("dynamic shapes")
    if params.get("dimensions") is not None:  # row-major order of a transpose
        x = np.transpose(x, (0, *point_axes(params["dimensions"])))
    return x.reshape((x.shape[0], *params["new_sizes"]))


def _squeeze(params: dict[str, Any], x: np.ndarray) -> np.ndarray:
    return np.squeeze(x, axis=point_axes(params["dimensions"]))


def _expand_dims(params: dict[str, Any], x: np.ndarray) -> np.ndarray:
    return np.expand_dims(x, point_axes(params["dimensions"]))


def _transpose(params: dict[str, Any], x: np.ndarray) -> np.ndarray:
    return np.transpose(x, (0, *point_axes(params["permutation"])))


def _concatenate(params: dict[str, Any], *xs: np.ndarray) -> np.ndarray:
    b = n_points(xs)
    axis = int(params["dimension"]) + 1
    return np.concatenate([full_batch(x, b) for x in xs], axis=axis)


def _stack(params: dict[str, Any], *xs: np.ndarray) -> np.ndarray:
    b = n_points(xs)
    return np.stack([full_batch(x, b) for x in xs], axis=int(params["axis"]) + 1)


def _unstack(params: dict[str, Any], x: np.ndarray) -> list[np.ndarray]:
    axis = int(params["axis"]) + 1
    return [np.take(x, i, axis=axis) for i in range(x.shape[axis])]


def _split(params: dict[str, Any], x: np.ndarray) -> list[np.ndarray]:
    cuts = np.cumsum([int(s) for s in params["sizes"]])[:-1]
    return np.split(x, cuts, axis=int(params["axis"]) + 1)


def _slice(params: dict[str, Any], x: np.ndarray) -> np.ndarray:
    strides = params.get("strides") or (1,) * (x.ndim - 1)
    index = tuple(
        slice(int(s), int(e), int(t))
        for s, e, t in zip(params["start_indices"], params["limit_indices"], strides)
    )
    return x[(slice(None), *index)]


def _pad(params: dict[str, Any], x: np.ndarray, value: np.ndarray) -> np.ndarray:
    """``lax.pad``: ``interior`` copies of the value between neighbours, then
    low and high padding (negative amounts crop)."""
    if value.shape[0] != 1:
        raise Unsupported("pad with a value that differs between points")
    fill = value.reshape(())
    config = params["padding_config"]
    x = dilate(x, [int(interior) + 1 for _, _, interior in config], 1, fill)
    return pad_spatial(x, [(lo, hi) for lo, hi, _ in config], 1, fill)


def _rev(params: dict[str, Any], x: np.ndarray) -> np.ndarray:
    return np.flip(x, point_axes(params["dimensions"]))


def dilate(
    x: np.ndarray, dilation: Sequence[int], first: int, fill: ArrayLike = 0
) -> np.ndarray:
    """``x`` with ``d − 1`` copies of ``fill`` between neighbours along axes
    ``first``, ``first + 1``, … (``lhs_dilation``, ``rhs_dilation``,
    ``base_dilation``)."""
    if all(int(d) == 1 for d in dilation):
        return x
    shape = list(x.shape)
    for i, d in enumerate(dilation):
        shape[first + i] = (
            (shape[first + i] - 1) * int(d) + 1 if shape[first + i] else 0
        )
    out = np.full(shape, fill, x.dtype)
    step = (slice(None),) * first + tuple(slice(None, None, int(d)) for d in dilation)
    out[step] = x
    return out


def pad_spatial(
    x: np.ndarray,
    padding: Sequence[tuple[int, int]],
    first: int,
    fill: ArrayLike = 0,
) -> np.ndarray:
    """``x`` padded by (low, high) on axes ``first``, …; negative amounts crop."""
    widths = [(0, 0)] * first + [
        (max(int(lo), 0), max(int(hi), 0)) for lo, hi in padding
    ]
    x = np.pad(x, widths, constant_values=fill)
    crop = (slice(None),) * first + tuple(
        slice(max(-int(lo), 0), x.shape[first + i] - max(-int(hi), 0))
        for i, (lo, hi) in enumerate(padding)
    )
    return x[crop]


def _empty(params: dict[str, Any]) -> np.ndarray:
    """``lax.empty``'s array, which XLA fills with zeros (its value is never
    meant to be read: the transpose of a gather starts from it)."""
    return np.zeros((1,), np.dtype(params["dtype"]))


VALUES: dict[str, Rule] = {
    "iota": _iota,
    "broadcast_in_dim": _broadcast_in_dim,
    "reshape": _reshape,
    "squeeze": _squeeze,
    "expand_dims": _expand_dims,
    "transpose": _transpose,
    "concatenate": _concatenate,
    "stack": _stack,
    "split": _split,
    "unstack": _unstack,
    "slice": _slice,
    "pad": _pad,
    "rev": _rev,
    "empty2": _empty,
}
