"""What a check costs: its compiled program timed, and where its time goes.

``time_check`` compiles the check of one derivation at its first sizes — the
program a run of many samples executes on the device: sampling, the closed form
and the reference with their running rounding-error bounds, the comparison and
the choice of the worst points, its few outputs brought to the host — and times
its runs, compilation apart. ``profile_check`` times that program's parts alone
as well, against the two sides evaluated bare (``jax.jit(jax.vmap(f))``, no
sampling, no bounds, no comparison): the overhead of a verdict.

Timings are the seconds of calls waited for (``jax.block_until_ready``), each
program compiled beforehand; on shared cores the fastest call is the one least
disturbed, the mean says what a long run sees.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from checks._src.declare import sampling
from checks._src.declare.declare import Derivation, as_derivation
from checks._src.declare.forms import lowered, needs_lowering
from checks._src.evaluate.blocks import block_points, over_points, shard_devices
from checks._src.evaluate.case_program import _bounded, _program, _reference
from checks._src.evaluate.case_static import _largest, example_args
from checks._src.evaluate.lapack import with_inline_lapack
from checks._src.evaluate.precision import numerics
from checks._src.evaluate.reference import reference
from checks._src.judge.case_judge import judge
from checks._src.run.options import (
    OptionError,
    _check_options,
    _check_shards,
    _check_sizes,
    _with_sizes,
    resolve_devices,
)

__all__ = ["PARTS", "Timing", "profile_check", "time_check"]

# What is timed: a decorated closed form (or rule), or its record.
Target = Callable[..., Any] | Derivation

PARTS = (
    "bare closed form",
    "bare reference",
    "sampling",
    "closed form, mapped",
    "reference, mapped",
    "closed form + bound",
    "reference + bound",
    "comparison",
    "full check",
)
"""The parts ``profile_check`` times, in the order a check runs them (the two
bare sides first). *mapped*: values only, over points as the check maps them
(``lax.map`` over cache-sized blocks on a CPU); *+ bound*: with the running
rounding-error bound; *comparison*: the verdict rule and the choice of the worst
points. The full check is one program, in which XLA fuses across the parts, so
they need not add up to it."""


@dataclass(frozen=True)
class Timing:
    """Seconds of one derivation's compiled check, at one set of sizes.

    Attributes:
        name: the derivation's name.
        sizes: the sizes it was checked at, e.g. ``{"k": 3}``.
        samples: points per run of the program.
        dtypes: the dtypes checked in each run (one program for all).
        devices: how many devices share the points.
        compile_s: seconds to lower and compile the program.
        runs: seconds of each timed run, in order.

    Examples:
        >>> from checks import Timing
        >>> t = Timing("f_grad", {}, 1000, ("float64",), 1, 2.0, (0.5, 0.25, 0.25))
        >>> t.fastest_s, round(t.mean_s, 6), round(t.points_per_s)
        (0.25, 0.333333, 3000)
    """

    name: str
    sizes: dict[str, int]
    samples: int
    dtypes: tuple[str, ...]
    devices: int
    compile_s: float
    runs: tuple[float, ...]

    @property
    def fastest_s(self) -> float:
        """Seconds of the fastest run."""
        return min(self.runs)

    @property
    def mean_s(self) -> float:
        """Mean seconds of a run."""
        return sum(self.runs) / len(self.runs)

    @property
    def points_per_s(self) -> float:
        """Points checked per second (every dtype), over the mean run."""
        return self.samples / self.mean_s


def _timed(fn: Callable[..., Any], *args: Any, least: float) -> list[float]:
    """Seconds of calls ``fn(*args)``, each waited for, made over at least
    ``least`` seconds and three calls, after one untimed call."""
    jax.block_until_ready(fn(*args))
    runs: list[float] = []
    start = time.perf_counter()
    while time.perf_counter() - start < least or len(runs) < 3:
        begin = time.perf_counter()
        jax.block_until_ready(fn(*args))
        runs.append(time.perf_counter() - begin)
    return runs


def _fetched(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` with its outputs brought to the host (as a run does with a chunk)."""

    def run(*args: Any) -> Any:
        return jax.device_get(fn(*args))

    return run


def _derivation(
    target: Target, samples: int, dtypes: Sequence[str], sizes: Mapping[str, int] | None
) -> tuple[Derivation, dict[str, int], int, list[str]]:
    """The record to time (as a Jacobian-form check), its first sizes, and the
    options checked as ``verify`` checks them."""
    samples, dtype_names, _ = _check_options(samples, dtypes)
    d = as_derivation(target)
    if d.kind == "claim":
        raise OptionError(f"{d.name} is a claim: time_check times derivations")
    d = _with_sizes(d, _check_sizes(sizes, [d]))
    dims = next(d.dims_cases())
    return lowered(d, dims), dims, samples, dtype_names


def _positive_seconds(least: float) -> float:
    if isinstance(least, bool) or not isinstance(least, (int, float)) or least < 0:
        raise OptionError(f"least must be a number of seconds ≥ 0, got {least!r}")
    return float(least)


def time_check(
    target: Target,
    *,
    samples: int = 1000,
    dtypes: Sequence[str] = ("float64",),
    device: str = "cpu",
    sizes: Mapping[str, int] | None = None,
    shards: int | None = 1,
    least: float = 1.0,
) -> Timing:
    """Compile one derivation's check at its first sizes and time its runs.

    The program is the one a run of ``samples`` points per chunk executes,
    judged on the device, its outputs fetched to the host; the same seed each
    run (the seed is an argument of the program, so it changes no cost).

    Args:
        target: a closed form decorated with ``@checks.derivation`` or
            ``@checks.rule``, or its ``Derivation``.
        samples: points per run.
        dtypes: dtypes checked in each run, from float64, float32, bfloat16,
            float16.
        device: ``"cpu"`` or ``"gpu"``.
        sizes: sizes to time at instead of the first declared ones.
        shards: how many devices of the platform share the points (None: all).
        least: seconds over which runs are timed (three runs at the least).

    Returns:
        The compile time and the seconds of every timed run.

    Raises:
        checks.OptionError: a bad option, a claim, or no such device.
        checks.DeclarationError: ``target`` is not a derivation.

    Examples:
        >>> import checks
        >>> def square(x):
        ...     return x * x
        >>> @checks.derivation(of=square, wrt="x", inputs={"x": checks.domain.real()})
        ... def square_grad(x):
        ...     return 2 * x
        >>> t = checks.time_check(square_grad, samples=100, least=0.0)
        >>> t.samples, t.dtypes, len(t.runs) >= 3, t.points_per_s > 0
        (100, ('float64',), True, True)
    """
    least = _positive_seconds(least)
    with numerics():
        d, dims, samples, names = _derivation(target, samples, dtypes, sizes)
        (first,) = _one_device(device)
        devices = shard_devices(first, _check_shards(shards, [first]))
        with jax.default_device(first):
            program = _program(d, dims, names, samples, devices, True)
            key, count = sampling.stream(0), np.int32(samples)
            start = time.perf_counter()
            compiled = program.lower(key, count).compile()
            compile_s = time.perf_counter() - start
            runs = _timed(_fetched(compiled), key, count, least=least)
    return Timing(
        name=d.name,
        sizes=dict(dims),
        samples=samples,
        dtypes=tuple(names),
        devices=len(devices),
        compile_s=compile_s,
        runs=tuple(runs),
    )


def _one_device(device: str) -> list[jax.Device]:
    if device == "all":
        raise OptionError("device must be cpu or gpu, got 'all'")
    return resolve_devices(device)


def profile_check(
    target: Target,
    *,
    samples: int = 1000,
    device: str = "cpu",
    sizes: Mapping[str, int] | None = None,
    least: float = 0.5,
) -> dict[str, float]:
    """Seconds per ``samples`` points of the full check and of its parts alone,
    in float64 at the first sizes, on the same sampled points (``PARTS``).

    Overhead = ``full check / (bare closed form + bare reference)``: what a
    verdict costs next to computing the two sides bare.

    Args:
        target: a closed form decorated with ``@checks.derivation``, or its
            ``Derivation`` (Jacobian form).
        samples: points per call.
        device: ``"cpu"`` or ``"gpu"``.
        sizes: sizes to time at instead of the first declared ones.
        least: seconds over which each part's calls are timed; the fastest
            call is kept.

    Returns:
        Each name of ``PARTS`` → seconds of its fastest call.

    Raises:
        checks.OptionError: a bad option, a claim, a derivation that is
            not of Jacobian form, or no such device.
        checks.DeclarationError: ``target`` is not a derivation.

    Examples:
        >>> import checks
        >>> def square(x):
        ...     return x * x
        >>> @checks.derivation(of=square, wrt="x", inputs={"x": checks.domain.real()})
        ... def square_grad(x):
        ...     return 2 * x
        >>> parts = checks.profile_check(square_grad, samples=64, least=0.0)
        >>> list(parts) == list(checks.timing.PARTS)
        True
    """
    least = _positive_seconds(least)
    with numerics():
        record = as_derivation(target)
        if needs_lowering(record):
            raise OptionError(
                f"{record.name}: profile_check times Jacobian-form derivations "
                "(time_check times every form)"
            )
        d, dims, n, _ = _derivation(target, samples, ("float64",), sizes)
        (first,) = _one_device(device)
        with jax.default_device(first):
            return _profile(d, dims, n, first, least)


def _profile(
    d: Derivation, dims: dict[str, int], n: int, device: jax.Device, least: float
) -> dict[str, float]:
    args64 = tuple(example_args(d, dims, jnp.float64))
    block = block_points(_largest(d, dims), (device,))
    domains = list(d.inputs.values())

    def sample(key: jax.Array) -> list[jax.Array]:
        return [
            dom.sample(
                sampling.substream(key, i),
                n,
                dims,
                "float64" if dom.floating else jnp.int32,
            )[0]
            for i, dom in enumerate(domains)
        ]

    key = sampling.stream(0)
    sampler = jax.jit(sample)
    xs = jax.block_until_ready(sampler(key))
    ref_fn = reference(d.of, d.wrt_index, d.order, args64)
    wrap = with_inline_lapack
    bare_closed = jax.jit(wrap(jax.vmap(d.closed_form)))
    bare_ref = jax.jit(wrap(jax.vmap(ref_fn)))
    mapped_closed = jax.jit(wrap(over_points(d.closed_form, block)))
    mapped_ref = jax.jit(wrap(over_points(ref_fn, block)))
    bounded_closed = jax.jit(wrap(_bounded(d.closed_form, args64, block)))
    bounded_ref = jax.jit(wrap(_reference(d.of, d.wrt_index, d.order, args64, block)))
    c, ec = bounded_closed(*xs)
    r, er = bounded_ref(*xs)
    strata = [jnp.zeros(n, jnp.int32) for _ in xs]

    def judged(c, ec, r, er, xs, strata, count):
        o = {"c": c, "ec": ec, "r": r, "er": er, "same_dtype": None}
        return judge({**o, "xs": xs, "strata": strata}, "float64", count, jnp)

    judging = jax.jit(judged)
    count = np.int32(n)
    full = _program(d, dims, ["float64"], n, (device,), True).lower(key, count)
    full = full.compile()
    calls: dict[str, tuple[Callable[..., Any], tuple[Any, ...]]] = {
        "bare closed form": (bare_closed, tuple(xs)),
        "bare reference": (bare_ref, tuple(xs)),
        "sampling": (sampler, (key,)),
        "closed form, mapped": (mapped_closed, tuple(xs)),
        "reference, mapped": (mapped_ref, tuple(xs)),
        "closed form + bound": (bounded_closed, tuple(xs)),
        "reference + bound": (bounded_ref, tuple(xs)),
        "comparison": (judging, (c, ec, r, er, xs, strata, count)),
        "full check": (_fetched(full), (key, count)),
    }
    return {
        part: min(_timed(fn, *args, least=least)) for part, (fn, args) in calls.items()
    }
