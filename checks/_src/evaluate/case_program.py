"""The compiled check of a case, and the programs it is built from.

One compiled program per set of sizes samples the inputs for every dtype, evaluates the
closed form in each dtype and the float64 reference on all of them, each with its
rounding-error bound, and autodiff in each low-precision dtype (``_build_program``); the
values are then judged on the host (``checks._src.judge.case_judge``), or in the program
for large or many points. A point too large for one chunk is checked by a sequence of
programs instead, one dtype at a time (``_build_staged``), the same computation with
fewer values alive at once. Every program is kept for reuse, keyed by what its functions
compute now (``checks._src.store.identity``); so is the float64 evaluator of single
points that search and shrinking use (``point_evaluator``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Sequence
from typing import TYPE_CHECKING, TypeVar

import jax
import jax.numpy as jnp
import numpy as np
from jax.extend import core
from jax.typing import ArrayLike

from checks._src.declare import sampling
from checks._src.declare.declare import Derivation
from checks._src.declare.domain import Domain
from checks._src.evaluate import on_host
from checks._src.evaluate.blocks import (
    _gather,
    block_points,
    on_shards,
    over_points,
    points_sharding,
)
from checks._src.evaluate.case_static import _largest, example_args
from checks._src.evaluate.lapack import with_inline_lapack
from checks._src.evaluate.reference import reference
from checks._src.evaluate.rounding import trace_as_written, with_error_bound
from checks._src.judge import compare
from checks._src.judge.case_judge import Judged, Values, _kept_points, _worst, judge
from checks._src.run import caches
from checks._src.store import identity

if TYPE_CHECKING:
    from checks._src.declare.claims import Claim

# The shapes and dtypes a function is traced at.
Avals = tuple[jax.ShapeDtypeStruct, ...]
# A function with its rounding-error bound, over points: ``(value, bound)``.
Bounded = Callable[..., tuple[jax.Array, jax.Array]]
# A case's check, ``program(stream, count)``: per dtype, its ``Values`` (judged
# on the host) or what ``judge`` returns (judged in the program).
Program = Callable[[jax.Array, ArrayLike], dict[str, Values | Judged]]
# ``evaluate(*xs) -> (C, e_C, R, e_R)``, float64, at a batch of points.
PointEvaluator = Callable[..., tuple[ArrayLike, ArrayLike, ArrayLike, ArrayLike]]
# One dtype's stages of a staged check (``_dtype_stages``); None: not run.
Stages = tuple[Callable[..., object] | None, ...]
P = TypeVar("P", bound=Callable[..., object])


def _compiler_options() -> dict[str, bool | str]:
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
def _staged_options() -> dict[str, bool | str]:
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


def _bounded(
    fn: Callable[..., jax.Array], avals: Avals, block: int | None = None
) -> Bounded:
    """``fn`` with its rounding-error bound, over points and jitted; one per function,
    what it computes now (``checks._src.store.identity``) and shapes, so a function
    shared by several derivations is traced once, and again once it changes."""
    return _bounded_kept(fn, identity.computes(fn, avals), avals, block)


@caches.register
@functools.lru_cache(maxsize=512)
def _bounded_kept(
    fn: Callable[..., jax.Array], computes: Hashable, avals: Avals, block: int | None
) -> Bounded:
    return jax.jit(over_points(with_error_bound(fn, *avals), block))


def _reference(
    of: Callable[..., jax.Array],
    wrt_index: int,
    order: int,
    avals: Avals,
    block: int | None = None,
) -> Bounded:
    """The reference at these shapes with its bound, over points and jitted."""
    what = identity.computes(of, avals)
    return _reference_kept(of, what, wrt_index, order, avals, block)


@caches.register
@functools.lru_cache(maxsize=512)
def _reference_kept(of, computes, wrt_index, order, avals, block):
    ref_fn = reference(of, wrt_index, order, avals)
    return jax.jit(over_points(with_error_bound(ref_fn, *avals), block))


def _reference_as_written(
    of: Callable[..., jax.Array],
    wrt_index: int,
    order: int,
    avals: Avals,
    block: int | None = None,
) -> Callable[..., list[jax.Array]]:
    """Autodiff evaluated in the arguments' own precision, over points and jitted."""
    what = identity.computes(of, avals)
    return _reference_as_written_kept(of, what, wrt_index, order, avals, block)


@caches.register
@functools.lru_cache(maxsize=512)
def _reference_as_written_kept(of, computes, wrt_index, order, avals, block):
    ref_fn = reference(of, wrt_index, order, avals)
    as_written = core.jaxpr_as_fun(trace_as_written(ref_fn, *avals))
    return jax.jit(over_points(as_written, block))


def computes(
    d: Derivation | Claim, dims: dict[str, int], dtypes: Sequence[str]
) -> tuple[Hashable, ...]:
    """What every function of ``d`` (a derivation or a claim) computes now at these
    sizes and dtypes, and its domains' samplers (``checks._src.store.identity``): a
    program kept under this key is built again after an edit."""
    functions = [d.fn] if d.kind == "claim" else [d.closed_form, d.of]
    parts: list[Hashable] = []
    for dt in dtypes:
        args = tuple(example_args(d, dims, dt))
        parts += [identity.computes(fn, args) for fn in functions]
    for dom in d.inputs.values():
        if dom.kind in ("custom", "fixed"):
            parts.append(identity.computes(dom.draw, None))
    return tuple(parts)


_PROGRAMS: dict[tuple[Hashable, ...], tuple[Derivation, Program | PointEvaluator]] = (
    caches.register({})
)


def _program(
    d: Derivation,
    dims: dict[str, int],
    dtypes: Sequence[str],
    n: int,
    devices: tuple[jax.Device, ...] = (),
    on_device: bool = False,
    staged: bool = False,
) -> Program:
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


def _keep(key: tuple[Hashable, ...], d: Derivation, program: P) -> P:
    """``program`` kept in ``_PROGRAMS`` under ``key``; past 256 kept programs the
    oldest is dropped (a run of many derivations, or diagnosis's neighbours,
    does not hold every compiled program for the process's life)."""
    if len(_PROGRAMS) >= 256:
        _PROGRAMS.pop(next(iter(_PROGRAMS)))
    _PROGRAMS[key] = (d, program)
    return program


def point_evaluator(
    d: Derivation, dims: dict[str, int], sides: Sequence[str] = on_host.SIDES
) -> PointEvaluator:
    """A float64 function of a batch of inputs: (C, e_C, R, e_R), evaluated by NumPy on
    the CPU (``checks._src.evaluate.on_host``) where it can be, else jitted; only the
    closed form's pair or the reference's with ``sides`` (``on_host.SIDES``).

    Used to search around, and simplify, a counterexample.
    """
    device = jax.config.jax_default_device or jax.devices()[0]
    part = on_host.side_slice(sides)

    def compiled() -> PointEvaluator:
        program = _compiled_point_evaluator(d, dims)
        return program if part == slice(0, 4) else lambda *x: program(*x)[part]

    if on_host.choose(device).engine == "numpy":
        host = on_host.point_evaluator(d, dims, sides)
        if host is not None:  # should NumPy raise, the compiled evaluator decides
            return on_host.fallback(host, compiled)
    return compiled()


def _compiled_point_evaluator(d: Derivation, dims: dict[str, int]) -> PointEvaluator:
    key = ("points", id(d), tuple(sorted(dims.items())))
    key = (*key, computes(d, dims, ("float64",)))
    cached = _PROGRAMS.get(key)
    if cached is not None and cached[0] is d:
        return cached[1]
    return _keep(key, d, _build_point_evaluator(d, dims))


def _build_point_evaluator(d: Derivation, dims: dict[str, int]) -> PointEvaluator:
    args64 = tuple(example_args(d, dims, jnp.float64))
    closed = _bounded(d.closed_form, args64)
    ref = _reference(d.of, d.wrt_index, d.order, args64)

    def evaluate(*xs):
        c, ec = closed(*xs)
        r, er = ref(*xs)
        return c, ec, r, er

    return jax.jit(with_inline_lapack(evaluate), compiler_options=_compiler_options())


def _build_program(
    d: Derivation,
    dims: dict[str, int],
    dtypes: Sequence[str],
    n: int,
    devices: tuple[jax.Device, ...] = (),
    on_device: bool = False,
) -> Program:
    """Sample, evaluate the closed form and the reference, and compare them
    (``checks._src.judge.compare``), for every dtype, in one program.

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

    def program(key: jax.Array, count: ArrayLike) -> dict[str, Values | Judged]:
        out = {
            dt: _closed_in(d, dims, dt, key, n, closed[dt], sharding, block)
            for dt in dtypes
        }
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


def _closed_in(
    d: Derivation,
    dims: dict[str, int],
    dt: str,
    key: jax.Array,
    n: int,
    closed: Callable[..., tuple[jax.Array, jax.Array]],
    sharding: jax.sharding.NamedSharding | None,
    block: int | None,
) -> Values:
    """Inside ``_build_program``'s program, one dtype's part before the
    reference: the sampled inputs and their strata, the closed form with its
    bound (``closed``), the inputs in float64 ("xs64", for the one reference
    call) and, below float64, autodiff in the dtype."""
    domains = list(d.inputs.values())
    xs, strata = _sample_inputs(domains, key, n, dims, dt, sharding)
    c, ec = closed(*xs)
    xs64 = _in_float64(xs, domains)
    same = None
    if dt != "float64":
        avals = tuple(example_args(d, dims, dt))
        written = _reference_as_written(d.of, d.wrt_index, d.order, avals, block)
        local = sharding if block is not None else None
        (same,) = on_shards(written, local)(*xs)
    out: Values = {"xs": xs, "strata": strata, "c": c, "ec": ec, "xs64": xs64}
    out["same_dtype"] = same
    return out


def _sample_inputs(
    domains: Sequence[Domain],
    key: jax.Array,
    n: int,
    dims: dict[str, int],
    dt: str,
    sharding: jax.sharding.NamedSharding | None,
) -> tuple[list[jax.Array], list[jax.Array]]:
    """``n`` points of every input, real ones in ``dt`` and integers in int32,
    and their strata, each input drawn from its own substream of ``key``; with
    a ``sharding``, their points axis is spread over its devices."""
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


def _in_float64(xs: Sequence[jax.Array], domains: Sequence[Domain]) -> list[jax.Array]:
    """The inputs as the float64 reference takes them: real ones in float64,
    integers as they are."""
    return [x.astype(jnp.float64) if dom.floating else x for x, dom in zip(xs, domains)]


def _build_staged(
    d: Derivation,
    dims: dict[str, int],
    dtypes: Sequence[str],
    n: int,
    devices: tuple[jax.Device, ...] = (),
) -> Program:
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

    def program(key: jax.Array, count: ArrayLike) -> dict[str, Judged]:
        """Like ``_build_program``'s, but on the host: each dtype's outputs are
        fetched before the next dtype runs, so they do not wait on the device."""
        return {
            dt: _gather(_run_stages(stages, gather, key, count))
            for dt, stages in per_dtype.items()
        }

    return program


def _run_stages(
    stages: Stages,
    gather: Callable[[Values, jax.Array], Values],
    key: jax.Array,
    count: ArrayLike,
) -> Judged:
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
    d: Derivation,
    dims: dict[str, int],
    dt: str,
    n: int,
    sharding: jax.sharding.NamedSharding | None,
) -> Stages:
    """The jitted stages of one dtype's check (``_build_staged``): sample(key),
    closed(*xs), written(*xs) (None in float64), ref(*xs) and
    judged(c, ec, r, er, same, count) -> (comparison, index of the worst points)."""
    options = _staged_options()
    domains = list(d.inputs.values())
    avals = tuple(example_args(d, dims, dt))
    args64 = tuple(example_args(d, dims, jnp.float64))
    ref_bounded = _reference(d.of, d.wrt_index, d.order, args64)

    def sample(key: jax.Array) -> tuple[list[jax.Array], list[jax.Array]]:
        return _sample_inputs(domains, key, n, dims, dt, sharding)

    def ref(*xs: jax.Array) -> tuple[jax.Array, jax.Array]:
        return ref_bounded(*_in_float64(xs, domains))

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
