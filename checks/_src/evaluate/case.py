"""Running the cases of one derivation at one set of sizes on one device.

Checks run in a fixed order, each with its own message:

1. ``of`` traces on one example and returns real values;
2. the closed form traces under ``jax.jit``;
3. the closed form's shape is ``of(...).shape + wrt.shape`` (twice for order 2)
   (1–3: ``checks._src.evaluate.case_static``);
4. one compiled program per set of sizes samples the inputs for every dtype, evaluates
   the closed form in each dtype and the float64 reference on all of them, each with its
   rounding-error bound, and autodiff in each low-precision dtype
   (``checks._src.evaluate.case_program``); the values are then compared on the host
   (``checks._src.judge.case_judge``), or in the program for large or many points. How
   many points each call checks, and where they are judged, is planned first
   (``checks._src.evaluate.case_plan``); each chunk's tally is summarized once every
   chunk has run (``checks._src.judge.summary``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import jax
import numpy as np
from jax.typing import ArrayLike

from checks._src.declare import sampling
from checks._src.declare.declare import Derivation
from checks._src.declare.sampling import Stream
from checks._src.evaluate import ahead, narrower, on_host
from checks._src.evaluate.case_plan import (
    _host_program,
    _Plan,
    _plan,
    _runner,
    memory_problem,
)
from checks._src.evaluate.case_program import _compiler_options
from checks._src.evaluate.case_static import (
    _static_checks,
    _where,
    _whole,
    example_args,
)
from checks._src.judge import compare
from checks._src.judge.case_judge import Judged, Values, judge
from checks._src.judge.summary import Tally, summarize
from checks._src.report.result import CaseResult

__all__ = ["ahead_jobs", "run_cases"]


def ahead_jobs(
    d: Derivation,
    dtypes: Sequence[str],
    device: jax.Device,
    samples: int,
    seed: int,
    shards: int | None = 1,
) -> list[ahead.Job]:
    """The compiled checks ``run_cases`` will need for every set of sizes of ``d``, for
    ``checks._src.evaluate.ahead`` (best effort: a case that cannot be planned is left
    to ``run_cases``, which reports why)."""
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
    device: jax.Device,
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
    tallies: dict[str, Tally] = {}
    program, ran = None, ()
    with jax.default_device(device):
        runnable = _runnable(d, dims, dtypes, device, samples, results)
        if runnable:
            try:
                plan = _plan(d, dims, runnable, device, samples, shards)
                program = _runner(d, dims, plan, device)
                ran = tuple(runnable)
                tallies = _run_chunks(program, plan, runnable, samples, seed, progress)
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
                    message = f"evaluation failed: {_whole(exc)}"
                    message += _where(exc, d.closed_form)
                    results[dt] = _error(dt, device, dims, samples, message)
                runnable = []
    seconds = (time.perf_counter() - start) / max(len(dtypes), 1)
    for dt in runnable:
        results[dt] = summarize(d, dims, dt, device.platform, samples, tallies[dt])
    for dt, r in results.items():
        r.seconds = seconds
        if program is not None and dt in ran:
            r.engine, r.engine_fallback = program.engine, program.fallback
    compare.judge_by_float64(results)
    for r in results.values():
        r.message += _narrower_note(d, dims, r)
    return [results[dt] for dt in dtypes]


def _narrower_note(d: Derivation, dims: dict[str, int], r: CaseResult) -> str:
    """A case's note on what of the closed form is narrower than its dtype
    (``checks._src.evaluate.narrower``): the casts of the closed form and of
    ``of`` (the reference's accuracy) in a checked case, and the closed form's
    rounded constants in a failing one."""
    if r.status not in ("pass", "fail"):
        return ""
    args = tuple(example_args(d, dims, r.dtype))
    closed = on_host.traced(d.closed_form, args)
    note = narrower.casts(closed, r.dtype)
    note += narrower.casts(on_host.traced(d.of, args), r.dtype, who="of")
    if r.status == "fail":
        note += narrower.note(closed, r.dtype)
    return note


def _runnable(
    d: Derivation,
    dims: dict[str, int],
    dtypes: Sequence[str],
    device: jax.Device,
    samples: int,
    results: dict[str, CaseResult],
) -> list[str]:
    """The dtypes that pass steps 1–3 and fit in memory; each other one's error
    is put in ``results``."""
    runnable = []
    too_large = memory_problem(d, dims, device)
    for dt in dtypes:
        problem = too_large or _static_checks(d, dims, dt)
        if problem:
            results[dt] = _error(dt, device, dims, samples, problem)
        else:
            runnable.append(dt)
    return runnable


def _error(
    dt: str, device: jax.Device, dims: dict[str, int], samples: int, message: str
) -> CaseResult:
    """A case that ends in an error, saying why."""
    return CaseResult(
        dtype=dt,
        device=device.platform,
        dims=dict(dims),
        samples=samples,
        status="error",
        message=message,
    )


def _run_chunks(
    program: Callable[[Stream, ArrayLike], dict[str, Values | Judged]],
    plan: _Plan,
    runnable: Sequence[str],
    samples: int,
    seed: int,
    progress: Callable[[int, int], None] | None,
) -> dict[str, Tally]:
    """Every chunk of ``samples`` points checked by ``program``, one after
    another, each judged (on the host unless ``plan.on_device``) and added to its
    dtype's tally before the next runs."""
    chunk, on_device = plan.chunk, plan.on_device
    tallies = {dt: Tally() for dt in runnable}
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
    return tallies
