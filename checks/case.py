"""Running the cases of one derivation at one set of sizes on one device.

Checks run in a fixed order, each with its own message:

1. ``of`` traces on one example and returns real values;
2. the closed form traces under ``jax.jit``;
3. the closed form's shape is ``of(...).shape + wrt.shape`` (twice for order 2);
4. one compiled program per set of sizes samples the inputs for every dtype,
   evaluates the closed form in each dtype and the float64 reference on all of
   them, each with its rounding-error bound, and autodiff in each low-precision
   dtype; the values are then compared on the host (``checks.compare``).
"""

from __future__ import annotations

import functools
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.extend import core

from checks import sampling
from checks.compare import Comparison, compare
from checks.declare import Derivation
from checks.reference import expected_shape, reference
from checks.result import CaseResult, Counterexample
from checks.rounding import trace_as_written, with_error_bound

__all__ = ["example_args", "point_evaluator", "run_cases"]


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


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


def _nested(x: Any) -> Any:
    """A nested list with NaN and ±inf as None (JSON has neither)."""
    a = np.asarray(x)
    if a.dtype.kind == "f" or a.dtype.name == "bfloat16":
        a = a.astype(np.float64)
        obj = a.astype(object)
        obj[~np.isfinite(a)] = None
        return obj.tolist()
    return a.tolist()


def _static_checks(d: Derivation, dims: dict[str, int], dtype: str) -> str | None:
    """Steps 1–3: a message saying what is wrong, or None."""
    args = example_args(d, dims, dtype)
    try:
        out = jax.eval_shape(d.of, *args)
    except Exception as exc:
        return f"of= cannot be traced: {_one_line(exc)}{_where(exc, d.of)}"
    if not hasattr(out, "shape") or not jnp.issubdtype(out.dtype, jnp.inexact):
        return "of= must return one real array"
    try:
        got = trace_as_written(d.closed_form, *args).out_avals[0]
    except Exception as exc:
        where = _where(exc, d.closed_form)
        return f"closed form cannot be traced by jax.jit: {_one_line(exc)}{where}"
    if not hasattr(got, "shape"):
        return "closed form must return one array"
    want = expected_shape(out.shape, args[d.wrt_index].shape, d.order)
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
    return None


def _compiler_options() -> dict[str, Any]:
    """Compile fast on CPU: XLA's fusion emitters cost most of the compile time of a
    program that runs once. (``xla_backend_optimization_level=0`` is faster still
    but computed float64 exp-based results 160 ulps off in mixed-dtype programs;
    the float64 verdict rule caught it.)"""
    if jax.default_backend() == "cpu":
        return {"xla_cpu_use_fusion_emitters": False}
    return {}


@functools.lru_cache(maxsize=512)
def _bounded(fn: Callable[..., Any], avals: tuple[Any, ...]) -> Callable[..., Any]:
    """``fn`` with its rounding-error bound, vmapped and jitted; one per function and
    shapes, so a function shared by several derivations is traced once."""
    return jax.jit(jax.vmap(with_error_bound(fn, *avals)))


@functools.lru_cache(maxsize=512)
def _reference(of, wrt_index: int, order: int, avals: tuple[Any, ...]):
    """The reference at these shapes with its bound, vmapped and jitted."""
    ref_fn = reference(of, wrt_index, order, avals)
    return jax.jit(jax.vmap(with_error_bound(ref_fn, *avals)))


@functools.lru_cache(maxsize=512)
def _reference_as_written(of, wrt_index: int, order: int, avals: tuple[Any, ...]):
    """Autodiff evaluated in the arguments' own precision, vmapped and jitted."""
    ref_fn = reference(of, wrt_index, order, avals)
    return jax.jit(jax.vmap(core.jaxpr_as_fun(trace_as_written(ref_fn, *avals))))


_PROGRAMS: dict[tuple[Any, ...], tuple[Derivation, Any]] = {}


def _program(d: Derivation, dims: dict[str, int], dtypes: Sequence[str], n: int):
    """The compiled check of every dtype at these sizes, kept for reuse: the seed is
    an argument, so checking again with another seed compiles nothing."""
    key = (id(d), tuple(sorted(dims.items())), tuple(dtypes), n)
    cached = _PROGRAMS.get(key)
    if cached is not None and cached[0] is d:
        return cached[1]
    if len(_PROGRAMS) >= 256:
        _PROGRAMS.pop(next(iter(_PROGRAMS)))
    program = _build_program(d, dims, dtypes, n)
    _PROGRAMS[key] = (d, program)
    return program


def point_evaluator(d: Derivation, dims: dict[str, int]):
    """A jitted float64 function of a batch of inputs: (C, e_C, R, e_R).

    Used to search around, and simplify, a counterexample.
    """
    key = ("points", id(d), tuple(sorted(dims.items())))
    cached = _PROGRAMS.get(key)
    if cached is not None and cached[0] is d:
        return cached[1]
    evaluate = _build_point_evaluator(d, dims)
    _PROGRAMS[key] = (d, evaluate)
    return evaluate


def _build_point_evaluator(d: Derivation, dims: dict[str, int]):
    args64 = tuple(example_args(d, dims, jnp.float64))
    closed = _bounded(d.closed_form, args64)
    ref = _reference(d.of, d.wrt_index, d.order, args64)

    def evaluate(*xs):
        c, ec = closed(*xs)
        r, er = ref(*xs)
        return c, ec, r, er

    return jax.jit(evaluate, compiler_options=_compiler_options())


def _build_program(d: Derivation, dims: dict[str, int], dtypes: Sequence[str], n: int):
    """Sample, then evaluate the closed form and the reference, for every dtype."""
    args64 = tuple(example_args(d, dims, jnp.float64))
    ref_bounded = _reference(d.of, d.wrt_index, d.order, args64)
    closed = {
        dt: _bounded(d.closed_form, tuple(example_args(d, dims, dt))) for dt in dtypes
    }
    domains = list(d.inputs.values())

    def program(key: jax.Array):
        out = {}
        for dt in dtypes:
            xs, strata = [], []
            for i, dom in enumerate(domains):
                k = sampling.substream(key, i)
                x, s = dom.sample(k, n, dims, dt if dom.floating else jnp.int32)
                xs.append(x)
                strata.append(s)
            c, ec = closed[dt](*xs)
            xs64 = [
                x.astype(jnp.float64) if dom.floating else x
                for x, dom in zip(xs, domains)
            ]
            same = None
            if dt != "float64":
                avals = tuple(example_args(d, dims, dt))
                written = _reference_as_written(d.of, d.wrt_index, d.order, avals)
                (same,) = written(*xs)
            out[dt] = {"xs": xs, "strata": strata, "c": c, "ec": ec, "xs64": xs64}
            out[dt]["same_dtype"] = same
        # One reference evaluation for every dtype's inputs.
        stacked = [
            jnp.concatenate([out[dt]["xs64"][i] for dt in dtypes])
            for i in range(len(domains))
        ]
        r, er = ref_bounded(*stacked)
        for t, dt in enumerate(dtypes):
            out[dt]["r"] = r[t * n : (t + 1) * n]
            out[dt]["er"] = er[t * n : (t + 1) * n]
            del out[dt]["xs64"]
        return out

    return jax.jit(program, compiler_options=_compiler_options())


def run_cases(
    d: Derivation,
    dims: dict[str, int],
    dtypes: Sequence[str],
    device: Any,
    samples: int,
    seed: int,
) -> list[CaseResult]:
    """Check ``d`` at sizes ``dims`` in each dtype on ``device``, a result per dtype."""
    start = time.perf_counter()
    results: dict[str, CaseResult] = {}
    runnable = []
    with jax.default_device(device):
        for dt in dtypes:
            problem = _static_checks(d, dims, dt)
            base = {"dtype": dt, "device": device.platform, "dims": dict(dims)}
            if problem:
                results[dt] = CaseResult(
                    samples=samples, status="error", message=problem, **base
                )
            else:
                runnable.append(dt)
        if runnable:
            try:
                program = _program(d, dims, runnable, samples)
                outputs = jax.device_get(program(sampling.stream(seed)))
            except Exception as exc:
                for dt in runnable:
                    results[dt] = CaseResult(
                        dtype=dt,
                        device=device.platform,
                        dims=dict(dims),
                        samples=samples,
                        status="error",
                        message=f"evaluation failed: {_one_line(exc)}"
                        f"{_where(exc, d.closed_form)}",
                    )
                runnable = []
    seconds = (time.perf_counter() - start) / max(len(dtypes), 1)
    for dt in runnable:
        o = outputs[dt]
        cmp = compare(o["c"], o["ec"], o["r"], o["er"], dt, o["same_dtype"])
        results[dt] = _summarize(d, dims, dt, device.platform, samples, cmp, o)
    for r in results.values():
        r.seconds = seconds
    _judge_low_precision_by_float64(results)
    return [results[dt] for dt in dtypes]


def _judge_low_precision_by_float64(results: dict[str, CaseResult]) -> None:
    """Correctness is decided in float64; lower precisions say how stable it is.

    When the float64 case at these sizes passes, a lower-precision case that
    exceeds its rounding-error tolerance is not a wrong derivation but an
    unstable computation: it passes, and is reported ``unstable`` with the input.
    When float64 fails or errors, stability is not judged (a wrong formula is
    far from autodiff in every dtype). Without a float64 case, each dtype's
    verdict stands on its own.
    """
    reference = results.get("float64")
    if reference is None:
        return
    for dt, case in results.items():
        if dt == "float64" or case.status == "error":
            continue
        if reference.status != "pass":
            case.stability = "not-checked"
            case.stability_ratio = 0.0
            case.stability_message = "not judged: the float64 case does not pass"
            case.stability_counterexample = None
        elif case.status == "fail":
            case.status = "pass"
            case.stability = "unstable"
            case.stability_ratio = max(case.stability_ratio, case.ratio)
            case.stability_message = (
                f"exceeds the {dt} rounding-error tolerance while float64 passes: "
                + case.message
            )
            case.stability_counterexample = case.counterexample
            case.counterexample = None
            case.message = f"float64 passes; {dt} is unstable (see stability)"


def _counterexample(
    d: Derivation, o: dict[str, Any], i: int, flat: int
) -> tuple[Counterexample, str]:
    """The inputs and values at point ``i``, and '[j, k]' naming element ``flat``."""
    params = list(d.inputs)
    ref_shape = np.shape(o["r"][i])
    element = [int(e) for e in np.unravel_index(flat, ref_shape)] if ref_shape else []
    counterexample = Counterexample(
        inputs={p: _nested(x[i]) for p, x in zip(params, o["xs"])},
        closed_form=_nested(o["c"][i]),
        reference=_nested(o["r"][i]),
        element=element,
        region={p: d.inputs[p].strata[int(s[i])] for p, s in zip(params, o["strata"])},
    )
    return counterexample, (f"[{', '.join(map(str, element))}]" if element else "")


def _value(x: Any, flat: int) -> float:
    return float(np.asarray(x, np.float64).reshape(-1)[flat])


def _region_note(ce: Counterexample) -> str:
    edges = ", ".join(f"{p}: {s}" for p, s in ce.region.items() if s != "bulk")
    return f" (sampled from {edges})" if edges else ""


def _stability(d: Derivation, dtype: str, cmp: Comparison, o: dict[str, Any]):
    """(stability, ratio, message, counterexample) of a low-precision case."""
    if cmp.stability_ratio is None:
        return "not-checked", 0.0, "", None
    considered = cmp.stability_checked
    if not considered.any():
        return "not-checked", 0.0, "no point to compare", None
    ratio = np.where(considered, cmp.stability_ratio, -1.0)
    i = int(np.argmax(ratio))
    worst = float(ratio[i])
    if worst <= 1.0:
        return "stable", worst, f"within 8× autodiff's {dtype} error", None
    flat = int(cmp.stability_element[i])
    ce, at = _counterexample(d, o, i, flat)
    c_val, r_val = _value(o["c"][i], flat), _value(o["r"][i], flat)
    a_val = _value(o["same_dtype"][i], flat)
    count = int(np.sum(considered & (cmp.stability_ratio > 1.0)))
    message = (
        f"in {dtype} the closed form{at} gives {c_val:.9g} where autodiff in {dtype} "
        f"gives {a_val:.9g} (float64: {r_val:.9g}){_region_note(ce)}; "
        f"unstable at {count} of {int(considered.sum())} points"
    )
    return "unstable", worst, message, ce


def _summarize(
    d: Derivation,
    dims: dict[str, int],
    dtype: str,
    platform: str,
    samples: int,
    cmp: Comparison,
    o: dict[str, Any],
) -> CaseResult:
    base = {"dtype": dtype, "device": platform, "dims": dict(dims), "samples": samples}
    stable, stable_ratio, stable_message, stable_ce = _stability(d, dtype, cmp, o)
    base.update(
        stability=stable,
        stability_ratio=stable_ratio,
        stability_message=stable_message,
        stability_counterexample=stable_ce,
    )
    checked = cmp.checked
    n_checked = int(checked.sum())
    unstable_nan = 0
    if cmp.stability_checked is not None:
        unstable_nan = int(
            np.sum(cmp.stability_checked & np.isinf(cmp.stability_ratio))
        )
    skipped = {
        "the reference is not finite": int(np.sum(cmp.reference_not_finite)),
        f"the reference is outside {dtype}'s range": int(np.sum(cmp.out_of_range)),
        f"autodiff in {dtype} is not finite either": int(np.sum(cmp.dtype_limit)),
        f"the closed form is not finite but autodiff in {dtype} is (unstable)": (
            unstable_nan
        ),
        "the closed form's error bound is not finite": int(np.sum(cmp.unbounded)),
    }
    notes = [f"{v} at which {k}" for k, v in skipped.items() if v]
    skip_note = (
        f"; {samples - n_checked} points left out ({', '.join(notes)})" if notes else ""
    )
    if n_checked == 0:
        return CaseResult(
            status="error",
            message=f"no sampled point could be checked{skip_note}",
            **base,
        )
    i = int(np.argmax(np.where(checked, cmp.ratio, -1.0)))
    ratio = float(cmp.ratio[i])
    status = "pass" if ratio <= 1.0 else "fail"
    flat = int(cmp.worst_element[i])
    c_val, r_val = _value(o["c"][i], flat), _value(o["r"][i], flat)
    tol = float(cmp.tolerance[i])
    counterexample = None
    if status == "fail":
        counterexample, at = _counterexample(d, o, i, flat)
        if bool(cmp.closed_not_finite[i]):
            message = f"closed form{at} is {c_val} where autodiff gives {r_val:.9g}"
        else:
            message = (
                f"closed form{at} = {c_val:.9g} but autodiff gives {r_val:.9g}: "
                f"|error| {abs(c_val - r_val):.3g} > tolerance {tol:.3g}"
            )
        failing = int(np.sum(checked & (cmp.ratio > 1.0)))
        message += f"{_region_note(counterexample)}; fails at {failing} of "
        message += f"{n_checked} points"
    else:
        message = f"{n_checked} points within tolerance"
    return CaseResult(
        status=status,
        max_abs_error=float(np.max(np.where(checked, cmp.abs_error, 0.0))),
        max_rel_error=float(np.max(np.where(checked, cmp.rel_error, 0.0))),
        max_ulp_error=float(np.max(np.where(checked, cmp.ulp_error, 0.0))),
        tolerance=tol,
        ratio=ratio,
        worst_error=abs(c_val - r_val),
        message=message + skip_note,
        counterexample=counterexample,
        checked=n_checked,
        **base,
    )
