"""What tracing a case at its example arguments tells, before anything is compiled:
steps 1–3 of a case (``checks._src.evaluate.case``), the sizes of one point, and the
messages of a case that cannot be traced or evaluated.

1. ``of`` traces on one example and returns real values;
2. the closed form traces under ``jax.jit``;
3. the closed form's shape is ``of(...).shape + wrt.shape`` (twice for order 2).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax.extend import core, source_info_util
from jax.typing import DTypeLike

from checks._src.declare.declare import Derivation
from checks._src.declare.forms import FormError
from checks._src.evaluate import lapack, on_host
from checks._src.evaluate.reference import expected_shape

# JAX's note under an exception whose frames it filtered: not the user's error.
_JAX_FOOTER = "--------------------\nFor simplicity, JAX has removed"
MESSAGE_LIMIT = 4000


def _whole(exc: BaseException) -> str:
    """The exception's type and whole message (every line, JAX's footer left
    out), cut at ``MESSAGE_LIMIT`` characters."""
    text = str(exc).split(_JAX_FOOTER)[0].strip()
    text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    if len(text) > MESSAGE_LIMIT:
        text = text[:MESSAGE_LIMIT] + f" … ({len(text) - MESSAGE_LIMIT:,} more)"
    return text


def _where(exc: BaseException, fn: Callable[..., object]) -> str:
    """' (file.py:line)' for the frame of ``fn``'s file nearest the error."""
    filename = getattr(getattr(fn, "__code__", None), "co_filename", None)
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename == filename:
            return f" ({frame.filename.rsplit('/', 1)[-1]}:{frame.lineno})"
    return ""


def example_args(
    d: Derivation, dims: dict[str, int], dtype: DTypeLike
) -> list[jax.ShapeDtypeStruct]:
    """``jax.ShapeDtypeStruct`` of one example of each parameter."""
    args = []
    for dom in d.inputs.values():
        kind = dtype if dom.floating else jnp.int32
        args.append(jax.ShapeDtypeStruct(dom.resolve(dims), jnp.dtype(kind)))
    return args


def _static_checks(d: Derivation, dims: dict[str, int], dtype: str) -> str | None:
    """Steps 1–3: a message saying what is wrong, or None."""
    args = tuple(example_args(d, dims, dtype))
    try:
        traced_of = on_host.traced(d.of, args)
    except Exception as exc:
        return f"of= cannot be traced: {_whole(exc)}{_where(exc, d.of)}"
    outs = traced_of.out_avals
    if len(outs) != 1 or not jnp.issubdtype(outs[0].dtype, jnp.inexact):
        return "of= must return one real array"
    out = outs[0]
    try:
        traced, tree = on_host._traced_with_tree(d.closed_form, args)
    except FormError as exc:  # a VJP, JVP or tuple result of the wrong shape
        return str(exc)
    except Exception as exc:
        where = _where(exc, d.closed_form)
        return f"closed form cannot be traced by jax.jit: {_whole(exc)}{where}"
    want = expected_shape(out.shape, args[d.wrt_index].shape, d.order)
    wrong = _not_one_array(tree, traced.out_avals, want)
    if wrong:
        return wrong
    got = traced.out_avals[0]
    if not hasattr(got, "shape"):
        return "closed form must return one array"
    if tuple(got.shape) != want:
        layout = "of(...).shape + wrt.shape" + (" + wrt.shape" if d.order == 2 else "")
        shape = tuple(got.shape)
        return f"closed form returns shape {shape}, expected {want} (= {layout})"
    if jnp.dtype(got.dtype) != jnp.dtype(dtype):
        name = jnp.dtype(got.dtype).name
        if jnp.dtype(out.dtype) == jnp.dtype(got.dtype):  # JAX's, not a constant
            return (
                f"of= and the closed form both return {name} for {dtype} inputs: "
                f"JAX computes an operation of both in {name} (jnp.fft has no "
                f"{dtype}), so they cannot be checked in {dtype}"
            )
        return (
            f"closed form returns {name} for {dtype} inputs"
            f"{_first_other_dtype(traced.jaxpr, dtype)}: a value of another "
            "dtype promotes it (a NumPy scalar: np.sqrt(2.0), np.float32(0.5), "
            "1.0 - jnp.finfo(x.dtype).eps; jax.nn.one_hot's float32 default; "
            "jnp.eye, jnp.zeros, jnp.array without dtype=x.dtype)"
        )
    return lapack.low_precision_call(traced_of) or lapack.low_precision_call(traced)


def _first_other_dtype(jaxpr: core.Jaxpr, dtype: str) -> str:
    """' (first at file.py:line, a mul to float32)': where the closed form's
    first value of a float dtype other than ``dtype`` is made, or ''."""
    for eqn in jaxpr.eqns:
        for v in eqn.outvars:
            kind = jnp.dtype(v.aval.dtype)
            if jnp.issubdtype(kind, jnp.floating) and kind != jnp.dtype(dtype):
                where = source_info_util.summarize(eqn.source_info)
                where = where.rsplit("/", 1)[-1].split(" ")[0]
                at = ":".join(where.split(":")[:2])
                return f" (first at {at}, a {eqn.primitive.name} to {kind.name})"
    return ""


def _not_one_array(
    tree: jax.tree_util.PyTreeDef,
    avals: Sequence[jax.core.ShapedArray],
    want: tuple[int, ...],
) -> str:
    """What is wrong with a closed form's result that is not one array, or ''."""
    if tree.num_leaves == 1 and jax.tree_util.treedef_is_leaf(tree):
        return ""
    shaped = f"return one array shaped {want}"
    if tree.num_leaves == 0:
        return f"the closed form returned None (or nothing); {shaped}"
    kind = type(jax.tree.unflatten(tree, [0] * tree.num_leaves)).__name__
    shapes = ", ".join(str(tuple(a.shape)) for a in avals[:4])
    more = ", ..." if len(avals) > 4 else ""
    return (
        f"the closed form returned a {kind} of {tree.num_leaves} arrays "
        f"(shapes {shapes}{more}); {shaped}"
    )


def _point_sizes(d: Derivation, dims: dict[str, int]) -> tuple[list[int], int]:
    """Elements of each of a point's inputs, and of its derivative."""
    inputs = [int(np.prod(dom.resolve(dims))) for dom in d.inputs.values()]
    args = tuple(example_args(d, dims, jnp.float64))
    out = on_host.traced(d.of, args).out_avals[0]
    return inputs, int(np.prod(out.shape)) * inputs[d.wrt_index] ** d.order


def _largest(d: Derivation, dims: dict[str, int]) -> int:
    """Elements in the largest of a point's inputs and derivative."""
    inputs, derivative = _point_sizes(d, dims)
    return max(derivative, *inputs)
