"""Running the cases of one derivation at one set of sizes on one device.

Checks run in a fixed order, each with its own message:

1. ``of`` traces on one example and returns real values;
2. the closed form traces under ``jax.jit``;
3. the closed form's shape is ``of(...).shape + wrt.shape`` (twice for order 2);
4. one compiled program per set of sizes samples the inputs for every dtype,
   evaluates the closed form in each dtype and the float64 reference on all of
   them, each with its rounding-error bound, and autodiff in each low-precision
   dtype; the values are then compared on the host (``checks.compare``), or in
   the program for large or many points. A point too large for one chunk is
   checked by a sequence of programs instead, one dtype at a time
   (``_build_staged``), the same computation with fewer values alive at once.
"""

from __future__ import annotations

import functools
import os
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.extend import core

from checks import ahead, caches, compare, identity, lapack, on_host, sampling
from checks.blocks import (
    _gather,
    block_points,
    on_shards,
    over_points,
    points_sharding,
    shard_devices,
)
from checks.compare import Comparison
from checks.declare import Derivation
from checks.forms import FormError
from checks.lapack import with_inline_lapack
from checks.reference import expected_shape, reference
from checks.result import CaseResult
from checks.rounding import trace_as_written, with_error_bound
from checks.summary import Tally as _Tally
from checks.summary import nested as _nested  # noqa: F401  (claims, verify)
from checks.summary import summarize as _summarize

__all__ = [
    "block_points",
    "example_args",
    "over_points",
    "point_evaluator",
    "run_cases",
]


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


def _where(exc: BaseException, fn: Any) -> str:
    """' (file.py:line)' for the frame of ``fn``'s file nearest the error."""
    filename = getattr(getattr(fn, "__code__", None), "co_filename", None)
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename == filename:
            return f" ({frame.filename.rsplit('/', 1)[-1]}:{frame.lineno})"
    return ""


def example_args(d: Derivation, dims: dict[str, int], dtype: Any) -> list[Any]:
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
        return (
            f"closed form returns {jnp.dtype(got.dtype).name} for {dtype} inputs: "
            "a constant of another dtype promotes it (give jnp.eye, jnp.zeros, "
            "jnp.array ... dtype=x.dtype)"
        )
    return lapack.low_precision_call(traced_of) or lapack.low_precision_call(traced)


def _not_one_array(tree: Any, avals: Sequence[Any], want: tuple[int, ...]) -> str:
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


def _compiler_options() -> dict[str, Any]:
    """Compile fast on CPU: XLA's fusion emitters cost most of the compile time of a
    program that runs once. (``xla_backend_optimization_level=0`` is faster still
    but computed float64 exp-based results 160 ulps off in mixed-dtype programs;
    the float64 verdict rule caught it.)"""
    if jax.default_backend() == "cpu":
        return {"xla_cpu_use_fusion_emitters": False}
    return {}


# XLA's CPU backend can hand a reduction and the elementwise operations feeding it
# to YNNPACK as one fusion ("library fusion"); at large shapes (4096 × 32000) the
# fusions it forms keep most intermediates of a rounding-error bound alive at once
# (the reference's bound: 18.6 GiB of temporaries instead of 4.9). This list
# leaves YNNPACK only single dot products.
_YNN_FUSIONS = "xla_cpu_experimental_ynn_fusion_type"
_YNN_DOTS_ONLY = "LIBRARY_FUSION_TYPE_INDIVIDUAL_DOT"


@caches.register
@functools.cache
def _staged_options() -> dict[str, Any]:
    """``_compiler_options`` for the stages of a large check, with YNNPACK's
    reduction fusions off where this XLA has them (a trivial program compiled with
    the option tells; an XLA without it rejects the option)."""
    options = _compiler_options()
    if jax.default_backend() != "cpu":
        return options
    trial = {**options, _YNN_FUSIONS: _YNN_DOTS_ONLY}
    try:
        jax.jit(lambda x: x + 1, compiler_options=trial).lower(np.float32(0)).compile()
    except Exception:
        return options
    return trial


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


def _bounded(
    fn: Callable[..., Any], avals: tuple[Any, ...], block: int | None = None
) -> Callable[..., Any]:
    """``fn`` with its rounding-error bound, over points and jitted; one per
    function, what it computes now (``checks.identity``) and shapes, so a function
    shared by several derivations is traced once, and again once it changes."""
    return _bounded_kept(fn, identity.computes(fn, avals), avals, block)


@caches.register
@functools.lru_cache(maxsize=512)
def _bounded_kept(
    fn: Callable[..., Any], computes: Any, avals: tuple[Any, ...], block: int | None
) -> Callable[..., Any]:
    return jax.jit(over_points(with_error_bound(fn, *avals), block))


def _reference(
    of, wrt_index: int, order: int, avals: tuple[Any, ...], block: int | None = None
):
    """The reference at these shapes with its bound, over points and jitted."""
    what = identity.computes(of, avals)
    return _reference_kept(of, what, wrt_index, order, avals, block)


@caches.register
@functools.lru_cache(maxsize=512)
def _reference_kept(of, computes, wrt_index, order, avals, block):
    ref_fn = reference(of, wrt_index, order, avals)
    return jax.jit(over_points(with_error_bound(ref_fn, *avals), block))


def _reference_as_written(
    of, wrt_index: int, order: int, avals: tuple[Any, ...], block: int | None = None
):
    """Autodiff evaluated in the arguments' own precision, over points and jitted."""
    what = identity.computes(of, avals)
    return _reference_as_written_kept(of, what, wrt_index, order, avals, block)


@caches.register
@functools.lru_cache(maxsize=512)
def _reference_as_written_kept(of, computes, wrt_index, order, avals, block):
    ref_fn = reference(of, wrt_index, order, avals)
    as_written = core.jaxpr_as_fun(trace_as_written(ref_fn, *avals))
    return jax.jit(over_points(as_written, block))


def computes(d: Any, dims: dict[str, int], dtypes: Sequence[str]) -> tuple[Any, ...]:
    """What every function of ``d`` (a derivation or a claim) computes now at
    these sizes and dtypes, and its domains' samplers (``checks.identity``): a
    program kept under this key is built again after an edit."""
    functions = [d.fn] if d.kind == "claim" else [d.closed_form, d.of]
    parts: list[Any] = []
    for dt in dtypes:
        args = tuple(example_args(d, dims, dt))
        parts += [identity.computes(fn, args) for fn in functions]
    for dom in d.inputs.values():
        if dom.kind in ("custom", "fixed"):
            parts.append(identity.computes(dom.draw, None))
    return tuple(parts)


_PROGRAMS: dict[tuple[Any, ...], tuple[Derivation, Any]] = caches.register({})


def _program(
    d: Derivation,
    dims: dict[str, int],
    dtypes: Sequence[str],
    n: int,
    devices: tuple[Any, ...] = (),
    on_device: bool = False,
    staged: bool = False,
):
    """The compiled check of every dtype at these sizes, kept for reuse: the seed is
    an argument, so checking again with another seed compiles nothing. With more
    than one of ``devices``, the ``n`` points are sharded over them. ``staged``:
    the same check as a sequence of programs (``_build_staged``)."""
    key = (id(d), tuple(sorted(dims.items())), tuple(dtypes), n, devices, on_device)
    key = (*key, staged, computes(d, dims, dtypes))
    cached = _PROGRAMS.get(key)
    if cached is not None and cached[0] is d:
        return cached[1]
    if staged:
        program = _build_staged(d, dims, dtypes, n, devices)
    else:
        program = _build_program(d, dims, dtypes, n, devices, on_device)
    return _keep(key, d, program)


def _keep(key: tuple[Any, ...], d: Derivation, program: Any) -> Any:
    """``program`` kept in ``_PROGRAMS`` under ``key``; past 256 kept programs the
    oldest is dropped (a run of many derivations, or diagnosis's neighbours,
    does not hold every compiled program for the process's life)."""
    if len(_PROGRAMS) >= 256:
        _PROGRAMS.pop(next(iter(_PROGRAMS)))
    _PROGRAMS[key] = (d, program)
    return program


def point_evaluator(
    d: Derivation, dims: dict[str, int], sides: Sequence[str] = on_host.SIDES
):
    """A float64 function of a batch of inputs: (C, e_C, R, e_R), evaluated by
    NumPy on the CPU (``checks.on_host``) where it can be, else jitted; only the
    closed form's pair or the reference's with ``sides`` (``on_host.SIDES``).

    Used to search around, and simplify, a counterexample.
    """
    device = jax.config.jax_default_device or jax.devices()[0]
    part = on_host.side_slice(sides)

    def compiled():
        program = _compiled_point_evaluator(d, dims)
        return program if part == slice(0, 4) else lambda *x: program(*x)[part]

    if on_host.choose(device).engine == "numpy":
        host = on_host.point_evaluator(d, dims, sides)
        if host is not None:  # should NumPy raise, the compiled evaluator decides
            return on_host.fallback(host, compiled)
    return compiled()


def _compiled_point_evaluator(d: Derivation, dims: dict[str, int]):
    key = ("points", id(d), tuple(sorted(dims.items())))
    key = (*key, computes(d, dims, ("float64",)))
    cached = _PROGRAMS.get(key)
    if cached is not None and cached[0] is d:
        return cached[1]
    return _keep(key, d, _build_point_evaluator(d, dims))


def _build_point_evaluator(d: Derivation, dims: dict[str, int]):
    args64 = tuple(example_args(d, dims, jnp.float64))
    closed = _bounded(d.closed_form, args64)
    ref = _reference(d.of, d.wrt_index, d.order, args64)

    def evaluate(*xs):
        c, ec = closed(*xs)
        r, er = ref(*xs)
        return c, ec, r, er

    return jax.jit(with_inline_lapack(evaluate), compiler_options=_compiler_options())


def judge(o: dict[str, Any], dtype: str, count: Any, xp: Any) -> dict[str, Any]:
    """Compare one dtype's values (``checks.compare``) and pick the points a
    summary may need: the worst for correctness and, below float64, the worst for
    stability, among the first ``count``. Runs on the host (``xp = numpy``) or
    inside the compiled check (``xp = jax.numpy``), the same rule either way."""
    cmp = compare.compare(
        o["c"], o["ec"], o["r"], o["er"], dtype, o["same_dtype"], xp=xp
    )
    index = _worst(cmp, count, xp)
    return {"cmp": cmp, "index": index, "points": _kept_points(o, index)}


def _worst(cmp: Comparison, count: Any, xp: Any) -> Any:
    """The index of the worst point for correctness and, below float64, for
    stability, among the first ``count``."""
    valid = xp.arange(cmp.ratio.shape[0]) < count
    picks = [xp.argmax(xp.where(cmp.checked & valid, cmp.ratio, -1.0))]
    if cmp.stability_checked is not None:
        considered = cmp.stability_checked & valid
        picks.append(xp.argmax(xp.where(considered, cmp.stability_ratio, -1.0)))
    return xp.stack(picks)


def _kept_points(o: dict[str, Any], index: Any) -> dict[str, Any]:
    """The inputs and values a summary may quote, at the picked points only."""
    kept = {key: o[key] for key in ("xs", "strata", "c", "r", "same_dtype")}
    return jax.tree.map(lambda x: x[index], kept)


def _build_program(
    d: Derivation,
    dims: dict[str, int],
    dtypes: Sequence[str],
    n: int,
    devices: tuple[Any, ...] = (),
    on_device: bool = False,
):
    """Sample, evaluate the closed form and the reference, and compare them
    (``checks.compare``), for every dtype, in one program.

    With ``on_device``, ``program(key, count)`` returns, per dtype, ``judge``'s
    comparison of each of the ``n`` points (of which the first ``count`` are
    used) and the full inputs and values of at most two of them: nothing else
    leaves the device, so a check needs the memory of its intermediates, not of
    every value, and the host does no per-element work. Otherwise it returns the
    values and bounds, which the host judges: for the few points of a default
    run that compiles in half the time.

    Every value is computed point by point, so sharding the sampled inputs'
    points axis over several devices lets XLA's partitioner split the whole
    program, sampling included (the counter generator draws point ``i`` from
    ``i`` alone), with no communication but the concatenation of dtypes for the
    one reference call and the choice of the worst points."""
    args64 = tuple(example_args(d, dims, jnp.float64))
    block = block_points(_largest(d, dims), devices)
    sharding = points_sharding(devices) if len(devices) > 1 else None
    # Blocks of points are mapped by each device over its own shard.
    local = sharding if block is not None else None
    ref_bounded = on_shards(
        _reference(d.of, d.wrt_index, d.order, args64, block), local
    )
    closed = {
        dt: on_shards(
            _bounded(d.closed_form, tuple(example_args(d, dims, dt)), block), local
        )
        for dt in dtypes
    }
    domains = list(d.inputs.values())

    def spread(x: jax.Array) -> jax.Array:
        if sharding is None:
            return x
        return jax.lax.with_sharding_constraint(x, sharding)

    def program(key: jax.Array, count: jax.Array):
        out = {}
        for dt in dtypes:
            xs, strata = [], []
            for i, dom in enumerate(domains):
                k = sampling.substream(key, i)
                x, s = dom.sample(k, n, dims, dt if dom.floating else jnp.int32)
                xs.append(spread(x))
                strata.append(spread(s))
            c, ec = closed[dt](*xs)
            xs64 = [
                x.astype(jnp.float64) if dom.floating else x
                for x, dom in zip(xs, domains)
            ]
            same = None
            if dt != "float64":
                avals = tuple(example_args(d, dims, dt))
                written = _reference_as_written(
                    d.of, d.wrt_index, d.order, avals, block
                )
                (same,) = on_shards(written, local)(*xs)
            out[dt] = {"xs": xs, "strata": strata, "c": c, "ec": ec, "xs64": xs64}
            out[dt]["same_dtype"] = same
        # One reference evaluation for every dtype's inputs.
        stacked = [
            jnp.concatenate([out[dt]["xs64"][i] for dt in dtypes])
            for i in range(len(domains))
        ]
        r, er = ref_bounded(*stacked)
        results = {}
        for t, dt in enumerate(dtypes):
            o = out[dt]
            o["r"] = r[t * n : (t + 1) * n]
            o["er"] = er[t * n : (t + 1) * n]
            del o["xs64"]
            results[dt] = judge(o, dt, count, jnp) if on_device else o
        return results

    return jax.jit(with_inline_lapack(program), compiler_options=_compiler_options())


def _build_staged(
    d: Derivation,
    dims: dict[str, int],
    dtypes: Sequence[str],
    n: int,
    devices: tuple[Any, ...] = (),
) -> Callable[[jax.Array, Any], dict[str, Any]]:
    """``_build_program(..., on_device=True)``'s check as a sequence of programs,
    one dtype after another: sample; the closed form with its bound; autodiff in
    the dtype (below float64); the float64 reference with its bound; ``judge``'s
    comparison; the picked points.

    The same functions of the same sampled inputs, so the same verdict; only what
    is alive at once differs. One program holds the intermediates of every stage
    and dtype together, and its outputs besides: for cross-entropy through
    softmax at batch × classes = 4096 × 32000 in float64, 26.5 GB of temporaries
    (25 arrays the size of the derivative, most of them kept alive by YNNPACK's
    reduction fusions, see ``_staged_options``). Here a stage's temporaries are
    freed when it ends, and between stages one dtype's inputs, closed form,
    reference and the two bounds are held (six such arrays; the bounds are
    dropped once compared). Used for points too large for one chunk
    (``STAGE_BYTES``), where compiling one program instead of five saves
    nothing next to the run."""
    sharding = points_sharding(devices) if len(devices) > 1 else None
    per_dtype = {dt: _dtype_stages(d, dims, dt, n, sharding) for dt in dtypes}
    gather = jax.jit(_kept_points, compiler_options=_staged_options())

    def program(key: jax.Array, count: Any) -> dict[str, Any]:
        """Like ``_build_program``'s, but on the host: each dtype's outputs are
        fetched before the next dtype runs, so they do not wait on the device."""
        return {
            dt: _gather(_run_stages(stages, gather, key, count))
            for dt, stages in per_dtype.items()
        }

    return program


def _run_stages(
    stages: tuple[Any, ...], gather: Any, key: jax.Array, count: Any
) -> dict[str, Any]:
    """One dtype's check, stage by stage; returns what ``judge`` returns. The
    bounds are dropped once compared, everything else on return."""
    sample, closed, written, ref, judged = stages
    xs, strata = sample(key)
    c, ec = closed(*xs)
    same = written(*xs) if written is not None else None
    r, er = ref(*xs)
    cmp, index = judged(c, ec, r, er, same, count)
    del ec, er
    o = {"xs": xs, "strata": strata, "c": c, "r": r, "same_dtype": same}
    return {"cmp": cmp, "index": index, "points": gather(o, index)}


def _dtype_stages(
    d: Derivation, dims: dict[str, int], dt: str, n: int, sharding: Any
) -> tuple[Any, ...]:
    """The jitted stages of one dtype's check (``_build_staged``): sample(key),
    closed(*xs), written(*xs) (None in float64), ref(*xs) and
    judged(c, ec, r, er, same, count) -> (comparison, index of the worst points)."""
    options = _staged_options()
    domains = list(d.inputs.values())
    avals = tuple(example_args(d, dims, dt))
    args64 = tuple(example_args(d, dims, jnp.float64))
    ref_bounded = _reference(d.of, d.wrt_index, d.order, args64)

    def sample(key: jax.Array) -> tuple[list[jax.Array], list[jax.Array]]:
        xs, strata = [], []
        for i, dom in enumerate(domains):
            k = sampling.substream(key, i)
            x, s = dom.sample(k, n, dims, dt if dom.floating else jnp.int32)
            if sharding is not None:
                x = jax.lax.with_sharding_constraint(x, sharding)
                s = jax.lax.with_sharding_constraint(s, sharding)
            xs.append(x)
            strata.append(s)
        return xs, strata

    def ref(*xs: jax.Array) -> tuple[jax.Array, jax.Array]:
        xs64 = [
            x.astype(jnp.float64) if dom.floating else x for x, dom in zip(xs, domains)
        ]
        return ref_bounded(*xs64)

    def judged(c, ec, r, er, same, count):
        cmp = compare.compare(c, ec, r, er, dt, same, xp=jnp)
        return cmp, _worst(cmp, count, jnp)

    written = None
    if dt != "float64":
        as_written = _reference_as_written(d.of, d.wrt_index, d.order, avals)

        def written(*xs: jax.Array) -> jax.Array:
            return as_written(*xs)[0]

    closed = _bounded(d.closed_form, avals)
    return tuple(
        f if f is None else jax.jit(with_inline_lapack(f), compiler_options=options)
        for f in (sample, closed, written, ref, judged)
    )


# Points per compiled call: a run of more samples is checked chunk by chunk, so
# memory stays bounded whatever --samples says.
MAX_CHUNK = 1 << 16
CHUNK_BYTES = 1 << 30  # a chunk's inputs, values and bounds, all dtypes, about
# A chunk larger than this (one point too large for CHUNK_BYTES) is checked in
# stages, one program each (``_build_staged``).
STAGE_BYTES = CHUNK_BYTES


# Judged inside the compiled check when a run has several chunks (compiling the
# comparison pays off), or when a chunk's values would be large to move to the host.
DEVICE_JUDGE_POINTS = 10_000
DEVICE_JUDGE_BYTES = 1 << 26


def _point_bytes(d: Derivation, dims: dict[str, int], dtypes: Sequence[str]) -> int:
    """About how many bytes one point's inputs, values and bounds take."""
    inputs, derivative = _point_sizes(d, dims)
    # Inputs in every dtype and float64, then value and bound of both sides.
    return 8 * (sum(inputs) * (len(dtypes) + 1) + 4 * derivative * len(dtypes))


# What one point needs, at the least, beyond its values and bounds (autodiff's
# intermediates, the comparison's): a Hessian by jacfwd of jacrev holds about
# as many arrays of its size again.
_WORKING_COPIES = 2


def available_memory(device: Any) -> int | None:
    """Bytes a check on ``device`` may use: free memory on a GPU, available
    memory (``MemAvailable``) on the host; None when it cannot be told."""
    if device.platform != "cpu":
        stats = device.memory_stats() or {}
        if "bytes_limit" in stats:
            return int(stats["bytes_limit"] - stats.get("bytes_in_use", 0))
        return None
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def memory_problem(d: Derivation, dims: dict[str, int], device: Any) -> str | None:
    """Why a case cannot run at these sizes for want of memory, or None.

    The least a case needs is one point in one dtype (a large point is checked
    in stages, a dtype at a time): its inputs, the closed form's and the float64
    reference's values and bounds, and autodiff's working copies of the
    derivative. Above the memory available, the case is an error naming the
    estimate, before anything is compiled or allocated.
    """
    free = available_memory(device)
    if free is None:
        return None
    inputs, derivative = _point_sizes(d, dims)
    need = 8 * (2 * sum(inputs) + (4 + _WORKING_COPIES) * derivative)
    if need <= free:
        return None
    sizes = ", ".join(f"{k}={v}" for k, v in dims.items()) or "the declared shapes"
    return (
        f"too large for memory: one point at {sizes} needs at least about "
        f"{_in_units(need)} (a derivative of {derivative:,} elements), "
        f"and {_in_units(free)} is available on {device.platform}"
    )


def _in_units(size: int) -> str:
    if size >= 2**30:
        return f"{size / 2**30:,.1f} GiB"
    return f"{size / 2**20:,.1f} MiB"


def chunk_size(d: Derivation, dims: dict[str, int], dtypes: Sequence[str], n: int):
    """Points per compiled call at these sizes: all ``n`` when they fit in
    ``CHUNK_BYTES``, else fewer (at least one), never more than ``MAX_CHUNK``."""
    per_point = _point_bytes(d, dims, dtypes)
    return int(max(1, min(n, MAX_CHUNK, CHUNK_BYTES // max(per_point, 1))))


class _Plan(NamedTuple):
    """How a case is run: ``chunk`` points per call of its compiled check, sharded
    over ``devices``, judged inside the program or (``on_device`` false) on the
    host; ``key`` names that program for ``checks.ahead``."""

    key: tuple[Any, ...]
    dtypes: tuple[str, ...]
    chunk: int
    devices: tuple[Any, ...]
    on_device: bool
    staged: bool = False

    def program(self, d: Derivation, dims: dict[str, int]) -> Any:
        return _program(
            d,
            dims,
            self.dtypes,
            self.chunk,
            self.devices,
            self.on_device,
            self.staged,
        )


def _plan(
    d: Derivation,
    dims: dict[str, int],
    runnable: Sequence[str],
    device: Any,
    samples: int,
    shards: int | None,
) -> _Plan:
    devices = shard_devices(device, shards)
    chunk = chunk_size(d, dims, runnable, samples)
    chunk = -(-chunk // len(devices)) * len(devices)
    chunk_bytes = _point_bytes(d, dims, runnable) * chunk
    staged = chunk_bytes > STAGE_BYTES
    on_device = (
        staged
        or chunk < samples
        or chunk >= DEVICE_JUDGE_POINTS
        or chunk_bytes > DEVICE_JUDGE_BYTES
    )
    dtypes = tuple(runnable)
    key = ("case", id(d), tuple(sorted(dims.items())), dtypes, chunk, devices)
    key = (*key, on_device, staged, device, computes(d, dims, dtypes))
    return _Plan(key, dtypes, chunk, devices, on_device, staged)


def _host_program(d: Derivation, dims: dict[str, int], plan: _Plan, device: Any):
    """The check evaluated by NumPy (``checks.on_host``) if it is small enough to
    be cheaper than compiling (one chunk, judged on the host, one CPU device)
    and can be evaluated there; else None."""
    choice = on_host.choose(
        device, devices=len(plan.devices), judged_on_device=plan.on_device
    )
    if choice.engine != "numpy":
        return None
    return on_host.case_program(d, dims, plan.dtypes, plan.chunk)


def _runner(d: Derivation, dims: dict[str, int], plan: _Plan, device: Any):
    """``run(stream, count)``: a chunk's outputs on the host, from NumPy where
    ``_host_program`` allows, else (or should NumPy fail) from the compiled check."""
    return on_host.runner(
        _host_program(d, dims, plan, device),
        lambda: ahead.compiled(plan.key, plan.program(d, dims)),
        (lambda outputs: outputs) if plan.staged else _gather,  # staged: fetched
    )


def ahead_jobs(
    d: Derivation,
    dtypes: Sequence[str],
    device: Any,
    samples: int,
    seed: int,
    shards: int | None = 1,
) -> list[ahead.Job]:
    """The compiled checks ``run_cases`` will need for every set of sizes of ``d``,
    for ``checks.ahead`` (best effort: a case that cannot be planned is left to
    ``run_cases``, which reports why)."""
    jobs = []
    with jax.default_device(device):
        for dims in d.dims_cases():
            try:
                runnable = [dt for dt in dtypes if not _static_checks(d, dims, dt)]
                if not runnable:
                    continue
                plan = _plan(d, dims, runnable, device, samples, shards)
                if _host_program(d, dims, plan, device) is not None:
                    continue  # evaluated by NumPy: nothing to compile
            except Exception:
                continue
            if plan.staged:  # a sequence of programs, each compiled when it runs
                continue
            stream = sampling.chunk_stream(seed, 0)
            once = plan.chunk >= samples and not plan.on_device
            jobs.append(
                ahead.Job(
                    plan.key,
                    plan.program(d, dims),
                    (stream, np.int32(min(plan.chunk, samples))),
                    device,
                    once and len(plan.devices) == 1,
                    _compiler_options(),
                )
            )
    return jobs


def run_cases(
    d: Derivation,
    dims: dict[str, int],
    dtypes: Sequence[str],
    device: Any,
    samples: int,
    seed: int,
    progress: Callable[[int, int], None] | None = None,
    shards: int | None = 1,
) -> list[CaseResult]:
    """Check ``d`` at sizes ``dims`` in each dtype on ``device``, a result per dtype.

    ``shards``: how many devices of ``device``'s platform share the points (None:
    all); the verdict does not depend on it, the same points being drawn.

    The samples are drawn and checked in chunks of ``chunk_size`` points, each
    chunk's outputs reduced to counts and its worst points before the next runs;
    when there is more than one chunk, ``progress(done, samples)`` is called after
    each.
    """
    start = time.perf_counter()
    results: dict[str, CaseResult] = {}
    tallies: dict[str, _Tally] = {}
    program, ran = None, ()
    with jax.default_device(device):
        runnable = []
        too_large = memory_problem(d, dims, device)
        for dt in dtypes:
            problem = too_large or _static_checks(d, dims, dt)
            base = {"dtype": dt, "device": device.platform, "dims": dict(dims)}
            if problem:
                results[dt] = CaseResult(
                    samples=samples, status="error", message=problem, **base
                )
            else:
                runnable.append(dt)
        if runnable:
            try:
                plan = _plan(d, dims, runnable, device, samples, shards)
                chunk, on_device = plan.chunk, plan.on_device
                program = _runner(d, dims, plan, device)
                ran = tuple(runnable)
                tallies = {dt: _Tally() for dt in runnable}
                for index, first in enumerate(range(0, samples, chunk)):
                    count = min(chunk, samples - first)
                    stream = sampling.chunk_stream(seed, index)
                    outputs = program(stream, np.int32(count))
                    for dt in runnable:
                        judged = outputs[dt]
                        if not on_device:
                            judged = judge(judged, dt, count, np)
                        tallies[dt].add(judged, count)
                    del outputs
                    if progress and chunk < samples:
                        progress(first + count, samples)
            except Exception as exc:
                if len(runnable) > 1:
                    # One dtype the program cannot evaluate (JAX has no bfloat16
                    # eigh on the CPU, say) must not hide the others' verdicts.
                    for dt in runnable:
                        (results[dt],) = run_cases(
                            d, dims, [dt], device, samples, seed, progress, shards
                        )
                    runnable, ran = [], ()
                for dt in runnable:
                    results[dt] = CaseResult(
                        dtype=dt,
                        device=device.platform,
                        dims=dict(dims),
                        samples=samples,
                        status="error",
                        message=f"evaluation failed: {_whole(exc)}"
                        f"{_where(exc, d.closed_form)}",
                    )
                runnable = []
    seconds = (time.perf_counter() - start) / max(len(dtypes), 1)
    for dt in runnable:
        results[dt] = _summarize(d, dims, dt, device.platform, samples, tallies[dt])
    for dt, r in results.items():
        r.seconds = seconds
        if program is not None and dt in ran:
            r.engine, r.engine_fallback = program.engine, program.fallback
    compare.judge_by_float64(results)
    return [results[dt] for dt in dtypes]
