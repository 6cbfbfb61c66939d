"""Sampled claims: identities, inequalities, "not in general" and convexity,
judged on thousands of sampled inputs, a chunk of points at a time.

One program per claim and set of sizes samples the inputs and evaluates both sides with
running error bounds (``checks._src.evaluate.rounding``), compiled by XLA or evaluated
by NumPy (``checks._src.evaluate.on_host``); each chunk is judged by the rule of its
form, with the tolerance of ``checks._src.judge.compare``:

- identity: |a − b| / tol ≤ 1 at every finite point;
- inequality: (a − b) / tol ≤ 1 (``strict``: and a ≠ b);
- differs: some point with |a − b| / tol > 1 (a witness);
- convex: the smallest eigenvalue of the symmetrized Hessian ≥ −slack
  (``compare.curvature_slack``); nonconvex: some point below it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from checks._src.declare import sampling
from checks._src.declare.claim_record import UNSAMPLED, Claim
from checks._src.evaluate import ahead, case_plan, case_program, on_host
from checks._src.evaluate.blocks import block_points, over_points
from checks._src.evaluate.case_program import _compiler_options
from checks._src.evaluate.case_static import example_args
from checks._src.evaluate.lapack import with_inline_lapack
from checks._src.evaluate.rounding import with_error_bound
from checks._src.judge import compare
from checks._src.judge.summary import nested as _nested
from checks._src.report.result import CaseResult, Counterexample
from checks._src.run import caches

# A chunk as the host sees it: the sampled inputs and their strata (one array per
# parameter) and each side's values with their running error bounds.
Chunk = tuple[list[np.ndarray], list[np.ndarray], list[tuple[np.ndarray, np.ndarray]]]


# A compiled program: ``program(stream)`` -> the chunk's inputs, strata and sides.
Program = Callable[[jax.Array], Chunk]

_PROGRAMS: dict[tuple[Hashable, ...], tuple[Claim, Program]] = caches.register({})


def _sides(c: Claim, dims: dict[str, int], n: int) -> Program:
    """Compiled: sample the inputs and evaluate both sides with error bounds; kept,
    so another seed compiles nothing."""
    key = (
        id(c),
        tuple(sorted(dims.items())),
        n,
        case_program.computes(c, dims, ["float64"]),
    )
    cached = _PROGRAMS.get(key)
    if cached is not None and cached[0] is c:
        return cached[1]
    if len(_PROGRAMS) >= 256:
        _PROGRAMS.pop(next(iter(_PROGRAMS)))
    program = _build_sides(c, dims, n)
    _PROGRAMS[key] = (c, program)
    return program


def _build_sides(c: Claim, dims: dict[str, int], n: int) -> Program:
    args = tuple(example_args(c, dims, jnp.float64))  # type: ignore[arg-type]
    if c.form in ("convex", "nonconvex"):
        index = list(c.inputs).index(c.wrt)
        shape = args[index].shape
        size = int(np.prod(shape)) if shape else 1

        def hess(*xs: jax.Array) -> jax.Array:
            return jax.hessian(c.fn, argnums=index)(*xs).reshape(size, size)

        sides = [with_error_bound(hess, *args)]
    else:
        sides = [
            with_error_bound(lambda *xs, k=k: jnp.asarray(c.fn(*xs)[k]), *args)
            for k in (0, 1)
        ]
    domains = list(c.inputs.values())
    values = [jax.eval_shape(side, *args)[0] for side in sides]
    sizes = [int(np.prod(v.shape)) for v in values] + [
        int(np.prod(a.shape)) for a in args
    ]
    block = block_points(max(sizes))

    def program(key: jax.Array) -> Chunk:
        xs, strata = [], []
        for i, dom in enumerate(domains):
            x, s = dom.sample(
                sampling.substream(key, i),
                n,
                dims,
                jnp.float64 if dom.floating else jnp.int32,
            )
            xs.append(x)
            strata.append(s)
        return xs, strata, [over_points(side, block)(*xs) for side in sides]

    return jax.jit(with_inline_lapack(program), compiler_options=_compiler_options())


def _ahead_key(c: Claim, dims: dict[str, int], n: int) -> tuple[Hashable, ...]:
    return (
        "claim",
        id(c),
        tuple(sorted(dims.items())),
        n,
        jax.config.jax_default_device,
        case_program.computes(c, dims, ["float64"]),
    )


def ahead_jobs(
    c: Claim, samples: int, seed: int, device: jax.Device
) -> list[ahead.Job]:
    """The programs of a sampled claim, for ``checks._src.evaluate.ahead`` (best
    effort)."""
    if c.form in UNSAMPLED:
        return []
    jobs = []
    with jax.default_device(device):
        for dims in c.dims_cases():
            chunk = min(samples, case_plan.MAX_CHUNK)
            try:
                if _host_program(c, dims, samples, chunk, device) is not None:
                    continue  # evaluated by NumPy: nothing to compile
                program = _sides(c, dims, chunk)
                key = _ahead_key(c, dims, chunk)
            except Exception:
                continue
            args = (sampling.stream(seed),)
            once = chunk == samples
            jobs.append(
                ahead.Job(key, program, args, device, once, _compiler_options())
            )
    return jobs


def _point(
    c: Claim, xs: Sequence[np.ndarray], strata: Sequence[np.ndarray], i: int
) -> dict[str, dict[str, object]]:
    params = list(c.inputs)
    return {
        "inputs": {p: _nested(x[i]) for p, x in zip(params, xs)},
        "region": {p: c.inputs[p].strata[int(s[i])] for p, s in zip(params, strata)},
    }


@dataclass
class _ClaimChunk:
    """One chunk's part of a sampled claim's verdict."""

    checked: int = 0
    witnesses: int = 0
    witness: Counterexample | None = None
    bad: int = 0
    worst: float = -np.inf
    worst_what: str = ""
    worst_ce: Counterexample | None = None


class _Scores(NamedTuple):
    """Per point of a chunk: whether it is finite, its score (above 1 is outside
    the claim's allowance: ``compare.outside``), and the two values a
    counterexample shows."""

    finite: np.ndarray
    score: np.ndarray
    left: np.ndarray
    right: np.ndarray


def _curvature_scores(
    sides: Sequence[tuple[np.ndarray, np.ndarray]], n: int
) -> _Scores:
    """Convexity: the lowest eigenvalue λ of the symmetrized Hessian against the
    rounding slack s of ``compare.curvature_slack``; the score −λ / s is above 1
    where λ < −s (a negative curvature beyond rounding)."""
    ((h, eh),) = sides
    finite = np.all(np.isfinite(h.reshape(n, -1)), axis=1) & np.all(
        np.isfinite(eh.reshape(n, -1)), axis=1
    )
    sym = (
        np.where(finite[:, None, None], h, 0)
        + np.swapaxes(np.where(finite[:, None, None], h, 0), 1, 2)
    ) / 2
    lowest = np.linalg.eigvalsh(sym)[:, 0]
    slack = compare.curvature_slack(np.where(finite[:, None, None], eh, 0))
    return _Scores(finite, -lowest / slack, lowest, -slack)


def _two_sided_scores(
    c: Claim, sides: Sequence[tuple[np.ndarray, np.ndarray]], n: int
) -> _Scores:
    """Identity, differs: the worst |a − b| / tol over a point's elements;
    inequality: the worst (a − b) / tol (``strict``: inf where a = b), with tol
    from ``compare.claim_tolerance``."""
    (a, ea), (b, eb) = sides
    a2, b2 = a.reshape(n, -1), b.reshape(n, -1)
    ea2, eb2 = ea.reshape(n, -1), eb.reshape(n, -1)
    finite = np.all(np.isfinite(a2) & np.isfinite(b2), axis=1)
    tol = compare.claim_tolerance(ea2, eb2, c.atol)
    if c.form == "inequality":
        excess = (a2 - b2) / tol
        if c.strict:
            excess = np.where(a2 == b2, np.inf, excess)
    else:  # identity, differs
        excess = np.abs(a2 - b2) / tol
    worst_el = np.argmax(np.where(np.isnan(excess), -np.inf, excess), axis=1)
    score = np.take_along_axis(excess, worst_el[:, None], 1)[:, 0]
    return _Scores(finite, score, a, b)


@np.errstate(all="ignore")
def _judge_chunk(
    c: Claim,
    xs: Sequence[np.ndarray],
    strata: Sequence[np.ndarray],
    sides: Sequence[tuple[np.ndarray, np.ndarray]],
    n: int,
) -> _ClaimChunk:
    """Evaluate the claim's rule on ``n`` points of one chunk: a point outside
    its allowance (``compare.outside``) is a witness for ``differs`` and
    ``nonconvex``, a failure for the other forms."""
    if c.form in ("convex", "nonconvex"):
        finite, score, left, right = _curvature_scores(sides, n)
    else:
        finite, score, left, right = _two_sided_scores(c, sides, n)
    witness = finite & compare.outside(score)

    def counterexample(i: int) -> Counterexample:
        point = _point(c, xs, strata, i)
        return Counterexample(
            inputs=point["inputs"],
            closed_form=_nested(left[i]),
            reference=_nested(right[i]),
            element=[],
            region=point["region"],
        )

    part = _ClaimChunk(checked=int(finite.sum()), witnesses=int(witness.sum()))
    if c.form in ("differs", "nonconvex"):
        if witness.any():
            part.witness = counterexample(int(np.flatnonzero(witness)[0]))
    elif witness.any():  # each witness of a failure
        i = int(np.argmax(np.where(witness, score, -np.inf)))
        part.bad = int(witness.sum())
        part.worst = float(score[i])
        part.worst_ce = counterexample(i)
        if c.form == "convex":
            part.worst_what = f"the Hessian has eigenvalue {float(left[i]):.6g} < 0"
        elif c.form == "identity":
            part.worst_what = "the two sides differ"
        else:
            part.worst_what = "the smaller side is larger"
    return part


def _host_program(
    c: Claim, dims: dict[str, int], n: int, chunk: int, device: jax.Device
) -> Program | None:
    """The claim's sides evaluated by NumPy (``checks._src.evaluate.on_host``) when they
    are one chunk on the CPU and can be evaluated there; else None."""
    if on_host.choose(device, chunks=-(-n // chunk)).engine != "numpy":
        return None
    return on_host.sides_program(c, dims, chunk)


def _runner(
    c: Claim, dims: dict[str, int], n: int, chunk: int, device: jax.Device
) -> Program:
    """``run(stream)``: a chunk's inputs, strata and sides on the host, from NumPy
    where ``_host_program`` allows, else (or should NumPy fail) compiled."""
    return on_host.runner(
        _host_program(c, dims, n, chunk, device),
        lambda: ahead.compiled(_ahead_key(c, dims, chunk), _sides(c, dims, chunk)),
        jax.device_get,
    )


def check_sampled(
    c: Claim, dims: dict[str, int], n: int, seed: int, device: jax.Device
) -> CaseResult:
    """A sampled claim at one set of sizes, ``checks._src.evaluate.case_plan.MAX_CHUNK``
    points at a time; the result names the engine that evaluated it."""
    chunk = min(n, case_plan.MAX_CHUNK)
    program = _runner(c, dims, n, chunk, device)
    result = _check_sampled_by(program, c, dims, n, seed, chunk)
    result.engine, result.engine_fallback = program.engine, program.fallback
    return result


def chunks(
    program: Program, n: int, chunk: int, seed: int
) -> Iterator[tuple[int, Chunk]]:
    """``(count, (xs, strata, sides))`` for each chunk of ``n`` points, ``chunk``
    at a time, as ``program`` (``_runner``) evaluates them from
    ``sampling.chunk_stream(seed, index)``; the last cut to the ``count``
    points left. The same points a sampled claim is judged on."""
    for index, first in enumerate(range(0, n, chunk)):
        count = min(chunk, n - first)
        out = program(sampling.chunk_stream(seed, index))
        part = jax.tree.map(lambda x, k=count: x[:k], out)
        del out
        yield count, part
        del part


def _check_sampled_by(
    program: Program,
    c: Claim,
    dims: dict[str, int],
    n: int,
    seed: int,
    chunk: int,
) -> CaseResult:
    base = {"dtype": "float64", "device": "cpu", "dims": dict(dims), "samples": n}
    parts = []
    for count, (xs, strata, sides) in chunks(program, n, chunk, seed):
        parts.append(_judge_chunk(c, xs, strata, sides, count))
        del xs, strata, sides
    checked = sum(p.checked for p in parts)
    if checked == 0:
        return CaseResult(
            status="error", message="no sampled point could be evaluated", **base
        )
    left_out = f"; {n - checked} points left out (not finite)" if checked < n else ""
    if c.form in ("differs", "nonconvex"):
        return _witness_result(c, parts, checked, left_out, base)
    return _holds_result(parts, checked, left_out, base)


def _witness_result(
    c: Claim,
    parts: Sequence[_ClaimChunk],
    checked: int,
    left_out: str,
    base: dict[str, Any],
) -> CaseResult:
    """``differs``, ``nonconvex``: pass with the first witness found, else fail."""
    found = [p.witness for p in parts if p.witness is not None]
    if not found:
        what = "a negative curvature" if c.form == "nonconvex" else "a difference"
        return CaseResult(
            status="fail",
            message=f"no witness: no sampled point shows {what} beyond rounding"
            f" ({checked} points){left_out}",
            checked=checked,
            **base,
        )
    witnesses = sum(p.witnesses for p in parts)
    return CaseResult(
        status="pass",
        message=f"witness found at {witnesses} of {checked} points, e.g. "
        f"{found[0].inputs}{left_out}",
        checked=checked,
        counterexample=found[0],
        **base,
    )


def _holds_result(
    parts: Sequence[_ClaimChunk], checked: int, left_out: str, base: dict[str, Any]
) -> CaseResult:
    """``identity``, ``inequality``, ``convex``: fail at the worst failing point,
    else pass."""
    bad = sum(p.bad for p in parts)
    if not bad:
        return CaseResult(
            status="pass",
            message=f"holds at {checked} points{left_out}",
            checked=checked,
            **base,
        )
    worst = max((p for p in parts if p.bad), key=lambda p: p.worst)
    ce = worst.worst_ce
    edges = ", ".join(f"{p}: {s}" for p, s in ce.region.items() if s != "bulk")
    return CaseResult(
        status="fail",
        message=f"{worst.worst_what} at {bad} of {checked} points"
        + (f" (e.g. sampled from {edges})" if edges else "")
        + left_out,
        checked=checked,
        ratio=worst.worst,
        counterexample=ce,
        **base,
    )
