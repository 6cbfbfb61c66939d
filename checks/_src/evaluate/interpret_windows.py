"""Value rules of ``checks._src.evaluate.interpret``: windows of an operand.

``dynamic_slice``, ``dynamic_update_slice``, ``gather`` and ``scatter`` read or
write a window at a start given per point: a read's start is clamped into bounds
as XLA does (with ``mode="fill"``, a window out of bounds reads the fill value),
and so is ``dynamic_update_slice``'s; a scatter's window out of bounds is dropped
(with ``mode="clip"``, its start is clamped).
``conv_general_dilated`` contracts the windows of the dilated, padded input
with the kernel; ``reduce_window_*`` reduce each window and
``select_and_scatter_add`` (max pooling's transpose) adds into the element each
window selects.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from checks._src.evaluate.interpret_batch import (
    Rule,
    Unsupported,
    floating,
    full_batch,
    n_points,
)
from checks._src.evaluate.interpret_reduce import einsum
from checks._src.evaluate.interpret_shape import dilate, pad_spatial

__all__ = ["VALUES"]


def _point_index(starts: Sequence[np.ndarray], b: int, rank: int) -> list[np.ndarray]:
    """Scalar indices of each point, shaped to broadcast over ``rank`` axes."""
    return [full_batch(s.reshape(-1), b).reshape((b, *(1,) * rank)) for s in starts]


def _dynamic_slice(
    params: dict[str, Any], x: np.ndarray, *starts: np.ndarray
) -> np.ndarray:
    """``lax.dynamic_slice``: each start clamped into the operand, as XLA does."""
    sizes = [int(s) for s in params["slice_sizes"]]
    if len(starts) != len(sizes):
        raise Unsupported("dynamic_slice with dynamic sizes")
    b = n_points([x, *starts])
    x = full_batch(x, b)
    index = [np.arange(b).reshape((b, *(1,) * len(sizes)))]
    for d, (start, size) in enumerate(zip(_point_index(starts, b, len(sizes)), sizes)):
        start = np.clip(start.astype(np.int64), 0, x.shape[d + 1] - size)
        view = [1] * len(sizes)
        view[d] = size
        index.append(start + np.arange(size).reshape((1, *view)))
    return x[tuple(index)]


def _dynamic_update_slice(
    params: dict[str, Any], x: np.ndarray, update: np.ndarray, *starts: np.ndarray
) -> np.ndarray:
    """``lax.dynamic_update_slice``: ``update`` written over ``x`` at each start,
    clamped so that the whole update lands inside, as XLA does (and as
    ``dynamic_slice`` reads)."""
    b = n_points([x, update, *starts])
    out = np.array(full_batch(x, b))  # a copy, written below
    update = full_batch(update, b)
    sizes = update.shape[1:]
    index = [np.arange(b).reshape((b, *(1,) * len(sizes)))]
    for d, (start, size) in enumerate(zip(_point_index(starts, b, len(sizes)), sizes)):
        start = np.clip(start.astype(np.int64), 0, out.shape[d + 1] - size)
        view = [1] * len(sizes)
        view[d] = size
        index.append(start + np.arange(size).reshape((1, *view)))
    out[tuple(index)] = update
    return out


def _mode(params: dict[str, Any]) -> str:
    return str(params["mode"]).rsplit(".", 1)[-1]


def _along(rank: int, axis: int, n: int) -> np.ndarray:
    """0, 1, …, n − 1 along axis ``axis`` of a point of rank ``rank``, shaped to
    broadcast over the batch."""
    shape = [1] * (rank + 1)
    shape[axis + 1] = n
    return np.arange(n).reshape(shape)


def _spread(a: np.ndarray, window_axes: Sequence[int]) -> np.ndarray:
    """Per-point index values over the batch axes, with size-1 window axes
    inserted where ``window_axes`` (axes of one point) are."""
    for d in sorted(window_axes):
        a = np.expand_dims(a, d + 1)
    return a


def _fill_value(params: dict[str, Any], dtype: np.dtype) -> ArrayLike:
    """What ``mode="fill"`` puts where a gather reads out of bounds: as JAX,
    NaN for floats, the most negative signed and largest unsigned integer,
    True for booleans, unless given."""
    fill = params.get("fill_value")
    if fill is not None:
        return fill
    if floating(dtype):
        return np.nan
    if dtype == np.bool_:
        return True
    info = np.iinfo(dtype)
    return info.min if dtype.kind == "i" else info.max


def _window_index(
    operand_shape: Sequence[int],
    indices: np.ndarray,
    starts_map: Sequence[int],
    window_dims: Sequence[int],
    window_axes: Sequence[int],
    batching: Sequence[tuple[int, int]],
    sizes: Sequence[int],
    rank: int,
    clip: bool,
) -> tuple[list[np.ndarray | int], np.ndarray | bool]:
    """Operand indices of every element of a gather's output or a scatter's
    updates (the point's rank ``rank``), and where the window lies in bounds.

    ``indices`` (points axis first, index vector last) gives the window's start
    in the operand dims ``starts_map``; operand dim ``window_dims[j]`` runs
    along axis ``window_axes[j]``; ``batching`` pairs an operand dim with the
    index batch dim it follows. The other axes are the index batch dims, in
    order. A start is clamped so its window fits (``clip``, as XLA's gather
    does); otherwise a window out of bounds is flagged in the mask."""
    batch_axes = [a for a in range(rank) if a not in window_axes]
    batch_shape = indices.shape[1:-1]
    index: list[np.ndarray | int] = []
    valid: np.ndarray | bool = True
    for d, extent in enumerate(operand_shape):
        i: np.ndarray | int = 0
        if d in starts_map:
            start = indices[..., list(starts_map).index(d)].astype(np.int64)
            start = _spread(start, window_axes)
            top = extent - sizes[d]
            if not clip:
                valid = valid & (start >= 0) & (start <= top)
            i = np.clip(start, 0, max(top, 0))
        for od, idim in batching:
            if od == d:
                i = i + _along(rank, batch_axes[idim], batch_shape[idim])
        if d in window_dims:
            axis = window_axes[list(window_dims).index(d)]
            i = i + _along(rank, axis, sizes[d])
        index.append(i)
    return index, valid


def _gather(params: dict[str, Any], x: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """``lax.gather`` in every form JAX emits (``x[i]``, ``x[i, j]``,
    ``x[jnp.arange(n), y]``, ``jnp.take``, ``jnp.take_along_axis``, ``W[idx]``):
    each output element reads the operand at its window's start plus its
    offset; a start is clamped into bounds (XLA), or with ``mode="fill"`` an
    out-of-bounds window reads the fill value."""
    dn = params["dimension_numbers"]
    sizes = tuple(int(s) for s in params["slice_sizes"])
    rank = indices.ndim - 2 + len(dn.offset_dims)
    skipped = set(dn.collapsed_slice_dims) | set(dn.operand_batching_dims)
    window_dims = [d for d in range(x.ndim - 1) if d not in skipped]
    fill = _mode(params) == "FILL_OR_DROP"
    index, valid = _window_index(
        x.shape[1:],
        indices,
        dn.start_index_map,
        window_dims,
        dn.offset_dims,
        list(zip(dn.operand_batching_dims, dn.start_indices_batching_dims)),
        sizes,
        rank,
        clip=not fill,
    )
    b = n_points([x, indices])
    point = np.arange(b).reshape((b, *(1,) * rank))
    out = full_batch(x, b)[(point, *index)]
    out_shape = [0] * rank
    batch_axes = [a for a in range(rank) if a not in dn.offset_dims]
    for a, n in zip(batch_axes, indices.shape[1:-1]):
        out_shape[a] = n
    for a, d in zip(dn.offset_dims, window_dims):
        out_shape[a] = sizes[d]
    out = np.broadcast_to(out, (b, *out_shape))
    if fill and valid is not True:
        out = np.where(valid, out, np.asarray(_fill_value(params, x.dtype), x.dtype))
    return out


_COMBINE = {
    "scatter-add": np.add,
    "scatter_add": np.add,
    "scatter-mul": np.multiply,
    "scatter-min": np.minimum,
    "scatter-max": np.maximum,
}


def _scatter(name: str) -> Rule:
    """``lax.scatter`` (``x.at[i].set``) and its combining forms
    (``.at[i].add/mul/min/max``): every update element lands on the operand at
    its window's start plus its offset, in order, so repeated indices add up (or
    the last one wins, for ``set``). A window out of bounds is dropped, as XLA
    does, unless ``mode="clip"`` clamped its start."""

    def rule(
        params: dict[str, Any], x: np.ndarray, indices: np.ndarray, upd: np.ndarray
    ) -> np.ndarray:
        dn = params["dimension_numbers"]
        rank = upd.ndim - 1
        skipped = set(dn.inserted_window_dims) | set(dn.operand_batching_dims)
        window_dims = [d for d in range(x.ndim - 1) if d not in skipped]
        sizes = [1] * (x.ndim - 1)
        for d, a in zip(window_dims, dn.update_window_dims):
            sizes[d] = upd.shape[a + 1]
        index, valid = _window_index(
            x.shape[1:],
            indices,
            dn.scatter_dims_to_operand_dims,
            window_dims,
            dn.update_window_dims,
            list(zip(dn.operand_batching_dims, dn.scatter_indices_batching_dims)),
            sizes,
            rank,
            clip=_mode(params) == "CLIP",
        )
        b = n_points([x, indices, upd])
        shape = (b, *upd.shape[1:])
        point = np.arange(b).reshape((b, *(1,) * rank))
        where = [np.broadcast_to(i, shape) for i in (point, *index)]
        values = np.broadcast_to(upd, shape).astype(x.dtype)
        if valid is not True:
            keep = np.broadcast_to(valid, shape)
            where = [i[keep] for i in where]
            values = values[keep]
        out = np.array(full_batch(x, b))
        if name == "scatter":
            out[tuple(where)] = values
        else:
            _COMBINE[name].at(out, tuple(where), values)
        return out

    return rule


_SPATIAL = string.ascii_uppercase


def _conv(params: dict[str, Any], lhs: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """``lax.conv_general_dilated`` (cross-correlation) in any dimension layout,
    with strides, padding, input and kernel dilation and feature groups: the
    dilated, padded input's windows contracted with the kernel."""
    if int(params["batch_group_count"]) != 1:
        raise Unsupported("conv_general_dilated with batch_group_count")
    dn = params["dimension_numbers"]
    groups = int(params["feature_group_count"])
    dtype = params.get("preferred_element_type")
    if dtype is not None:
        lhs, rhs = lhs.astype(np.dtype(dtype)), rhs.astype(np.dtype(dtype))
    lhs = np.transpose(lhs, (0, *(int(d) + 1 for d in dn.lhs_spec)))
    rhs = np.transpose(rhs, (0, *(int(d) + 1 for d in dn.rhs_spec)))
    n_sp = lhs.ndim - 3
    lhs = dilate(lhs, params["lhs_dilation"], 3)
    lhs = pad_spatial(lhs, params["padding"], 3)
    rhs = dilate(rhs, params["rhs_dilation"], 3)
    kernel = rhs.shape[3:]
    windows = np.lib.stride_tricks.sliding_window_view(
        lhs, kernel, axis=tuple(range(3, 3 + n_sp))
    )
    strides = tuple(slice(None, None, int(s)) for s in params["window_strides"])
    windows = windows[(slice(None),) * 3 + strides]
    p, n, c = windows.shape[:3]
    out_sp = windows.shape[3 : 3 + n_sp]
    windows = windows.reshape((p, n, groups, c // groups, *windows.shape[3:]))
    o = rhs.shape[1]
    rhs = rhs.reshape((rhs.shape[0], groups, o // groups, *rhs.shape[2:]))
    so, sk = _SPATIAL[:n_sp], _SPATIAL[n_sp : 2 * n_sp]
    spec = f"...ngc{so}{sk},...goc{sk}->...ngo{so}"
    out = einsum(spec, windows, rhs)
    out = out.reshape((out.shape[0], n, o, *out_sp))
    inverse = np.argsort([int(d) for d in dn.out_spec])
    return np.transpose(out, (0, *(int(a) + 1 for a in inverse)))


def _windows(x: np.ndarray, params: dict[str, Any], fill: ArrayLike) -> np.ndarray:
    """The windows of ``lax.reduce_window``: (points, *output, *window), the
    operand dilated and padded with ``fill`` (the reduction's identity)."""
    rank = x.ndim - 1
    x = dilate(x, params.get("base_dilation") or (1,) * rank, 1, fill)
    x = pad_spatial(x, params["padding"], 1, fill)
    dims = [int(w) for w in params["window_dimensions"]]
    dil = [int(d) for d in params.get("window_dilation") or (1,) * rank]
    span = [(w - 1) * d + 1 for w, d in zip(dims, dil)]
    view = np.lib.stride_tricks.sliding_window_view(
        x, span, axis=tuple(range(1, rank + 1))
    )
    step = tuple(slice(None, None, int(s)) for s in params["window_strides"])
    return view[(slice(None), *step, *(slice(None, None, d) for d in dil))]


def _lowest(dtype: np.dtype, sign: int) -> float | int:
    if floating(dtype):
        return sign * np.inf
    info = np.iinfo(dtype)
    return info.min if sign < 0 else info.max


def _reduce_window(fn: Callable[..., np.ndarray], sign: int) -> Rule:
    def rule(params: dict[str, Any], x: np.ndarray) -> np.ndarray:
        fill = 0 if sign == 0 else _lowest(x.dtype, sign)
        win = _windows(x, params, np.asarray(fill).astype(x.dtype))
        rank = x.ndim - 1
        return fn(win, axis=tuple(range(1 + rank, 1 + 2 * rank)))

    return rule


def _select_and_scatter_add(
    params: dict[str, Any], source: np.ndarray, operand: np.ndarray
) -> np.ndarray:
    """The transpose of max (or min) pooling: each source value is added into
    the element its operand window selects, the first maximum (``ge``) or
    minimum (``le``) in window order, as XLA's select keeps the current
    element while ``select(current, candidate)`` holds."""
    name = getattr(params["select_prim"], "name", str(params["select_prim"]))
    if name not in ("ge", "le"):
        raise Unsupported(f"select_and_scatter_add selecting by {name}")
    sign = -1 if name == "ge" else 1
    rank = operand.ndim - 1
    fill = np.asarray(_lowest(operand.dtype, sign)).astype(operand.dtype)
    plain = dict(params, base_dilation=None, window_dilation=None)
    win = _windows(operand, plain, fill)
    b = n_points([source, operand])
    out_shape = win.shape[1 : 1 + rank]
    flat = win.reshape((win.shape[0], *out_shape, -1))
    pick = np.argmax(flat, axis=-1) if sign < 0 else np.argmin(flat, axis=-1)
    pick = np.broadcast_to(pick, (b, *out_shape))
    dims = [int(w) for w in params["window_dimensions"]]
    offsets = np.unravel_index(pick, dims)
    where = [np.broadcast_to(np.arange(b).reshape((b, *(1,) * rank)), pick.shape)]
    for d in range(rank):
        start = _along(rank, d, out_shape[d]) * int(params["window_strides"][d])
        where.append(start + offsets[d])
    padded = pad_spatial(
        np.zeros((b, *operand.shape[1:]), source.dtype), params["padding"], 1
    )
    np.add.at(padded, tuple(where), np.broadcast_to(source, pick.shape))
    lo = [int(lo) for lo, _ in params["padding"]]
    crop = tuple(slice(a, a + s) for a, s in zip(lo, operand.shape[1:]))
    return padded[(slice(None), *crop)]


VALUES: dict[str, Rule] = {
    "dynamic_slice": _dynamic_slice,
    "dynamic_update_slice": _dynamic_update_slice,
    "gather": _gather,
    "scatter": _scatter("scatter"),
    "scatter-add": _scatter("scatter-add"),
    "scatter_add": _scatter("scatter_add"),
    "scatter-mul": _scatter("scatter-mul"),
    "scatter-min": _scatter("scatter-min"),
    "scatter-max": _scatter("scatter-max"),
    "conv_general_dilated": _conv,
    "reduce_window_sum": _reduce_window(np.sum, 0),
    "reduce_window_max": _reduce_window(np.max, -1),
    "reduce_window_min": _reduce_window(np.min, 1),
    "select_and_scatter_add": _select_and_scatter_add,
}
